package dev.roadie.cli;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code ls}, {@code find} and {@code diff} show entries: as text lines, names quoted where
 * they hold anything a terminal or shell would misread, and as JSON with names exact
 * (docs/commands.md, "ls").
 */
final class EntryFormat {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Details worth a word on a long line, in this order. */
  private static final List<String> SHOWN =
      List.of("rows", "parts", "tables", "keys", "expires", "objects");

  private EntryFormat() {}

  /** The snapshot as entry listings name it. */
  static Map<String, Object> snapshot(SnapshotRef ref) {
    Snapshot s = ref.snapshot();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", ref.id().hex());
    m.put("shortId", ref.id().shortHex());
    m.put("time", s.time());
    m.put("target", s.target());
    m.put("kind", s.kind());
    return m;
  }

  /**
   * The path as a text line shows it: quoted when needed, a directory or prefix with one trailing
   * '/'.
   */
  static String path(Entry e) {
    String p = e.path();
    if (Entry.DIR.equals(e.type()) && !p.endsWith("/")) p += "/";
    return quote(p);
  }

  /** {@code ls --long}'s line: mode or type, size in bytes, time, path, and what the kind adds. */
  static String longLine(Entry e) {
    String mode = e.mode() != null ? modeString(e) : e.type();
    String size = e.size() == null ? "-" : Long.toString(e.size());
    return String.format("%-10s %12s  %-19s  %s%s", mode, size, time(e.mtime()), path(e), extra(e));
  }

  /** The kind's words after the path: rows, keys, versions, a link's target. */
  static String extra(Entry e) {
    StringBuilder b = new StringBuilder();
    Object link = e.details().get("linkTarget");
    if (link != null) b.append(" -> ").append(quote(link.toString()));
    for (String k : SHOWN) {
      Object v = e.details().get(k);
      if (v != null) b.append("  ").append(k).append('=').append(v);
    }
    if (e.version() != null) b.append("  version=").append(quote(e.version()));
    if (!e.current())
      b.append(e.type().equals("delete-marker") ? "  (delete marker)" : "  (noncurrent)");
    return b.toString();
  }

  /**
   * An ISO-8601 time as {@code yyyy-MM-dd HH:mm:ss} UTC; "-" for none; as given if it does not
   * parse.
   */
  static String time(String iso) {
    if (iso == null) return "-";
    try {
      return OffsetDateTime.parse(iso).withOffsetSameInstant(ZoneOffset.UTC).format(TIME);
    } catch (DateTimeParseException e) {
      return iso;
    }
  }

  private static String modeString(Entry e) {
    char t =
        switch (e.type()) {
          case "dir" -> 'd';
          case "symlink" -> 'l';
          default -> '-';
        };
    StringBuilder b = new StringBuilder().append(t);
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) b.append((e.mode() & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
    return b.toString();
  }

  /**
   * A name as one unambiguous word, the way GNU ls's shell-escape style quotes it: bare when it
   * holds only characters that need no quoting, in single quotes when it holds spaces or shell
   * characters, and as {@code $'...'} with escapes ({@code \n}, {@code \x1b}, {@code \u00a0}) when
   * it holds anything not printable, so a newline in a name never looks like two entries. A file
   * name's bytes that are not UTF-8 (recorded as NUL and two hex digits) show as {@code \xe9}.
   */
  static String quote(String s) {
    if (s.isEmpty()) return "''";
    boolean plain = true;
    boolean printable = true;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      if (!safe(c)) plain = false;
      if (!printable(c)) printable = false;
    }
    if (plain) return s;
    if (printable) return "'" + s.replace("'", "'\\''") + "'";
    StringBuilder b = new StringBuilder("$'");
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        case '\\' -> b.append("\\\\");
        case '\'' -> b.append("\\'");
        case 0 -> {
          // A file name's byte that is not UTF-8, as the snapshot records it (NUL, two hex digits).
          if (i + 2 <= s.length() && s.substring(i, i + 2).matches("[0-9a-f]{2}")) {
            b.append("\\x").append(s, i, i + 2);
            i += 2;
          } else {
            b.append("\\x00");
          }
        }
        default -> {
          if (printable(c)) b.appendCodePoint(c);
          else if (c < 0x80) b.append(String.format("\\x%02x", c));
          else if (c <= 0xffff) b.append(String.format("\\u%04x", c));
          else b.append(String.format("\\U%08x", c));
        }
      }
    }
    return b.append('\'').toString();
  }

  private static boolean safe(int c) {
    if (c < 0x80) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "._-+,:@%=/#^".indexOf(c) >= 0;
    }
    return printable(c) && !Character.isWhitespace(c) && !Character.isSpaceChar(c);
  }

  private static boolean printable(int c) {
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xfffd)
      return false; // what a decoder made of bytes that were not UTF-8: show it as an escape
    return switch (Character.getType(c)) {
      case Character.CONTROL,
          Character.FORMAT,
          Character.SURROGATE,
          Character.UNASSIGNED,
          Character.PRIVATE_USE,
          Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR ->
          false;
      default -> true;
    };
  }
}
