package dev.roadie.bucket;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Where an object goes when a bucket snapshot is restored into a directory. A name (the key
 * relative to the backed-up prefix) is used as the file's path when every '/'-separated segment is
 * a file name (not empty, not {@code .} or {@code ..}, no NUL, at most 255 bytes), the name is not
 * also the directory of other names ({@code a} beside {@code a/b}), and its first segment does not
 * start with {@code .roadie-} (roadie's own names). Any other name is encoded reversibly under
 * {@value #ENCODED}: every byte of its UTF-8 form but {@code A-Z a-z 0-9 - _ ~} written as {@code
 * %XX}, the result cut into segments of at most {@value #SEGMENT} characters (never inside an
 * escape), and a final {@code %} appended, which no cut segment ends with. Decoding: drop the
 * directory, the '/'s and the final '%', and undo the escapes.
 */
public final class FileNames {
  public static final String ENCODED = ".roadie-encoded";
  public static final String SIDECAR = ".roadie-bucket-metadata.jsonl";
  static final int SEGMENT = 240;
  private static final int MAX_NAME_BYTES = 255;

  private FileNames() {}

  /**
   * The path (relative, '/'-separated) of {@code name}; {@code prefixes} holds names that are also
   * directories.
   */
  public static String path(String name, Set<String> prefixes) {
    return plain(name) && !prefixes.contains(name) ? name : encode(name);
  }

  /** Whether {@code name} can be a path as it is (apart from being a directory of other names). */
  static boolean plain(String name) {
    if (name.isEmpty() || name.indexOf('\0') >= 0) return false;
    String[] segments = name.split("/", -1);
    if (segments[0].startsWith(".roadie-")) return false;
    for (String s : segments) {
      if (s.isEmpty()
          || s.equals(".")
          || s.equals("..")
          || s.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        return false;
      }
    }
    return true;
  }

  public static String encode(String name) {
    StringBuilder out = new StringBuilder(ENCODED).append('/');
    int segment = 0;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean keep =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '~';
      int len = keep ? 1 : 3;
      if (segment + len > SEGMENT) {
        out.append('/');
        segment = 0;
      }
      if (keep) out.append((char) c);
      else
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      segment += len;
    }
    return out.append('%').toString();
  }

  /** The name an encoded path stands for. */
  public static String decode(String path) {
    if (!path.startsWith(ENCODED + "/") || !path.endsWith("%")) {
      throw new IllegalArgumentException("not an encoded name: " + path);
    }
    String e = path.substring(ENCODED.length() + 1, path.length() - 1).replace("/", "");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < e.length(); i++) {
      char c = e.charAt(i);
      if (c == '%') {
        bytes.write(Integer.parseInt(e.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /**
   * The names of {@code names} (in listing order) that are also the directory of a later name
   * ({@code a} when {@code a/b} follows). In listing order, a name that can still turn out to be
   * such a prefix is always a prefix of the current name, so a stack of them suffices: memory is
   * bounded by the length of a key, plus the (rare) names found.
   */
  public static Set<String> directoryNames(Iterator<String> names) {
    Set<String> found = new HashSet<>();
    ArrayDeque<String> open = new ArrayDeque<>();
    while (names.hasNext()) {
      String n = names.next();
      while (!open.isEmpty() && !stillOpen(open.peek(), n)) open.pop();
      for (String p : open) {
        if (n.length() > p.length() && n.charAt(p.length()) == '/') found.add(p);
      }
      open.push(n);
    }
    return found;
  }

  /** Whether names after {@code n} (in listing order) may still start with {@code p + "/"}. */
  private static boolean stillOpen(String p, String n) {
    // Names from p up to p + "/" + anything all start with p followed by a character up to '/'.
    return n.startsWith(p) && (n.length() == p.length() || n.charAt(p.length()) <= '/');
  }
}
