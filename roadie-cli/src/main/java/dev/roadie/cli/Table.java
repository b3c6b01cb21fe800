package dev.roadie.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A text table whose columns are as wide as their widest cell, measured in terminal columns (an
 * East Asian wide character takes two, a combining mark none), so every column lines up whatever
 * the targets and hosts are. The last column is not padded. A row may be followed by a free line
 * (such as a snapshot's recovery window) that is printed as is.
 */
final class Table {
  private final String[] headers;
  private final boolean[] right;
  private final List<Object> rows = new ArrayList<>();

  /** Column headers; a header ending in '>' is right-aligned (numbers), the '>' is not shown. */
  Table(String... headers) {
    this.headers = new String[headers.length];
    this.right = new boolean[headers.length];
    for (int i = 0; i < headers.length; i++) {
      right[i] = headers[i].endsWith(">");
      this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
    }
  }

  Table row(Object... cells) {
    if (cells.length != headers.length)
      throw new IllegalArgumentException("row of " + cells.length + " cells");
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++)
      r[i] = cells[i] == null ? "" : clean(String.valueOf(cells[i]));
    rows.add(r);
    return this;
  }

  /** A line printed under the last row as is, not part of the columns. */
  Table line(String text) {
    rows.add(text);
    return this;
  }

  /** The table, one line per row, each ending in a newline. */
  String render(String indent) {
    int[] width = new int[headers.length];
    for (int i = 0; i < headers.length; i++) width[i] = width(headers[i]);
    for (Object o : rows) {
      if (o instanceof String[] r) {
        for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], width(r[i]));
      }
    }
    StringBuilder b = new StringBuilder();
    append(b, indent, headers, width);
    for (Object o : rows) {
      if (o instanceof String[] r) append(b, indent, r, width);
      else b.append(indent).append(o).append('\n');
    }
    return b.toString();
  }

  private void append(StringBuilder b, String indent, String[] cells, int[] width) {
    StringBuilder line = new StringBuilder(indent);
    for (int i = 0; i < cells.length; i++) {
      String pad = " ".repeat(width[i] - width(cells[i]));
      if (i > 0) line.append("  ");
      if (right[i]) line.append(pad).append(cells[i]);
      else line.append(cells[i]).append(i == cells.length - 1 ? "" : pad);
    }
    b.append(line.toString().stripTrailing()).append('\n');
  }

  /** Control characters (a newline in a target name) would break the lines: shown as '?'. */
  private static String clean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }

  /** Terminal columns a string takes. */
  static int width(String s) {
    int w = 0;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      int type = Character.getType(c);
      if (type == Character.NON_SPACING_MARK
          || type == Character.ENCLOSING_MARK
          || type == Character.FORMAT) continue;
      w += wide(c) ? 2 : 1;
    }
    return w;
  }

  /** East Asian wide and fullwidth characters, and emoji (Unicode's EastAsianWidth W and F). */
  private static boolean wide(int c) {
    return (c >= 0x1100 && c <= 0x115F)
        || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F)
        || (c >= 0xAC00 && c <= 0xD7A3)
        || (c >= 0xF900 && c <= 0xFAFF)
        || (c >= 0xFE30 && c <= 0xFE4F)
        || (c >= 0xFF00 && c <= 0xFF60)
        || (c >= 0xFFE0 && c <= 0xFFE6)
        || (c >= 0x1F300 && c <= 0x1F64F)
        || (c >= 0x1F900 && c <= 0x1F9FF)
        || (c >= 0x20000 && c <= 0x3FFFD);
  }
}
