package dev.roadie.bucket;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small pull reader for the XML documents S3 servers answer with (listing pages, errors): the
 * start and end tags of elements and the text of those that hold only text. It reads UTF-8 bytes
 * directly, which at thousands of keys a page costs a fraction of the JDK's streaming parser (whose
 * large scanner a short command also spends much of its time interpreting and compiling).
 *
 * <p>What XML allows in such documents is read as an XML parser reads it: the declaration, comments
 * and processing instructions (skipped), attributes (skipped, quoted values may hold {@code >}),
 * empty-element tags, namespace prefixes (dropped: names are local), the five predefined entities,
 * character references, CDATA sections, and line ends normalized to {@code \n}. A document type
 * declaration is refused (no entity of a server's is expanded), as are unknown entities, end tags
 * that do not match, and a document that ends inside an element.
 */
public final class XmlPull {
  /** {@link #next}: a start tag, an end tag, or the end of the document. */
  public static final int START = 1;

  public static final int END = 2;
  public static final int EOF = 3;

  private final byte[] b;
  private int pos;
  private String name;
  private boolean pendingEnd;
  private String[] open = new String[16];
  private int depth;

  public XmlPull(byte[] body) {
    this.b = body;
  }

  /** Thrown for a document that is not well-formed XML of the kinds above. */
  public static final class XmlException extends Exception {
    public XmlException(String message) {
      super(message);
    }
  }

  /** The local name of the element whose start or end tag was read last. */
  public String localName() {
    return name;
  }

  /** Reads on to the next start or end tag, skipping text between tags; {@link #EOF} at the end. */
  public int next() throws XmlException {
    if (pendingEnd) {
      pendingEnd = false;
      name = open[--depth];
      return END;
    }
    while (true) {
      int lt = indexOf((byte) '<', pos);
      if (lt < 0) {
        if (depth > 0) throw new XmlException("the document ends inside <" + open[depth - 1] + ">");
        pos = b.length;
        return EOF;
      }
      pos = lt;
      if (skipMarkup()) continue;
      return tag();
    }
  }

  /**
   * The text of the element whose start tag was read last, up to its end tag (which is read too);
   * an element inside it is an error.
   */
  public String text() throws XmlException {
    if (pendingEnd) {
      pendingEnd = false;
      name = open[--depth];
      return "";
    }
    int start = pos;
    int lt = indexOf((byte) '<', pos);
    if (lt < 0) throw new XmlException("the document ends inside <" + open[depth - 1] + ">");
    if (b[lt + 1 < b.length ? lt + 1 : lt] == '/' && plain(start, lt)) {
      // The common case: text without references or carriage returns, then the end tag.
      String s = new String(b, start, lt - start, StandardCharsets.UTF_8);
      pos = lt;
      endTag();
      return s;
    }
    StringBuilder out = new StringBuilder();
    while (true) {
      lt = indexOf((byte) '<', pos);
      if (lt < 0) throw new XmlException("the document ends inside <" + open[depth - 1] + ">");
      appendText(out, pos, lt);
      pos = lt;
      if (startsWith("<![CDATA[")) {
        int close = indexOf("]]>", pos + 9);
        appendRaw(out, pos + 9, close);
        pos = close + 3;
      } else if (startsWith("</")) {
        endTag();
        return out.toString();
      } else if (skipMarkup()) {
        // a comment or processing instruction within the text
      } else {
        throw new XmlException("an element inside <" + open[depth - 1] + ">, which holds text");
      }
    }
  }

  /**
   * Reads the document element's start tag, which must be {@code expected}: an answer of another
   * kind (an error document sent with a 200 status, say) is refused rather than read as an empty
   * one.
   */
  public void root(String expected) throws XmlException {
    if (next() != START) throw new XmlException("an empty document");
    if (!name.equals(expected))
      throw new XmlException("the answer is a <" + name + ">, not a <" + expected + ">");
  }

  /**
   * Reads on within the element being read (the one whose start tag was read last, or whose child
   * was just read to its end): true at a child's start tag, false at the element's own end tag.
   */
  public boolean nextChild() throws XmlException {
    return next() == START; // a document that ends inside an element is refused by next()
  }

  /** Skips the element whose start tag was read last, with all it holds, to its end tag. */
  public void skip() throws XmlException {
    int target = depth - 1;
    while (depth > target) {
      if (next() == EOF) throw new XmlException("the document ends inside an element");
    }
  }

  /** At '<': skips a comment, processing instruction or CDATA section; false for a tag. */
  private boolean skipMarkup() throws XmlException {
    if (startsWith("<?")) {
      pos = indexOf("?>", pos + 2) + 2;
    } else if (startsWith("<!--")) {
      pos = indexOf("-->", pos + 4) + 3;
    } else if (startsWith("<![CDATA[")) {
      pos = indexOf("]]>", pos + 9) + 3;
    } else if (startsWith("<!")) {
      throw new XmlException("a document type declaration, which a server's answer never needs");
    } else {
      return false;
    }
    return true;
  }

  /** At '<' of a start or end tag: reads it. */
  private int tag() throws XmlException {
    if (startsWith("</")) {
      endTag();
      return END;
    }
    pos++;
    String n = readName();
    // Attributes: skipped, their quoted values with any characters.
    while (true) {
      if (pos >= b.length) throw new XmlException("the document ends inside a tag");
      byte c = b[pos];
      if (c == '>') {
        pos++;
        break;
      }
      if (c == '/' && pos + 1 < b.length && b[pos + 1] == '>') {
        pos += 2;
        pendingEnd = true;
        break;
      }
      if (c == '"' || c == '\'') {
        int close = indexOf(c, pos + 1);
        if (close < 0) throw new XmlException("the document ends inside an attribute");
        pos = close + 1;
      } else {
        pos++;
      }
    }
    if (depth == open.length) open = Arrays.copyOf(open, depth * 2);
    open[depth++] = n;
    name = n;
    return START;
  }

  /** At "</": reads the end tag, which must close the innermost open element. */
  private void endTag() throws XmlException {
    pos += 2;
    int from = nameStart();
    int to = pos;
    while (pos < b.length && isSpace(b[pos])) pos++;
    if (pos >= b.length || b[pos] != '>') throw new XmlException("a malformed end tag");
    pos++;
    if (depth == 0 || !sameName(from, to, open[depth - 1])) {
      throw new XmlException(
          "</"
              + new String(b, from, to - from, StandardCharsets.UTF_8)
              + "> does not close "
              + (depth == 0 ? "any element" : "<" + open[depth - 1] + ">"));
    }
    name = open[--depth];
  }

  /** A tag's name, its local part (after any prefix). */
  private String readName() throws XmlException {
    int from = nameStart();
    return new String(b, from, pos - from, StandardCharsets.UTF_8);
  }

  /** Reads a tag's name up to its end ({@code pos}); returns where its local part starts. */
  private int nameStart() throws XmlException {
    int start = pos;
    int colon = -1;
    while (pos < b.length) {
      byte c = b[pos];
      if (c == '>' || c == '/' || isSpace(c)) break;
      if (c == ':') colon = pos;
      pos++;
    }
    if (pos == start || pos >= b.length) throw new XmlException("a malformed tag");
    return colon < 0 ? start : colon + 1;
  }

  /**
   * Whether the bytes {@code [from, to)} spell {@code n}, without making a string of ASCII ones.
   */
  private boolean sameName(int from, int to, String n) {
    if (to - from == n.length()) {
      int k = 0;
      while (k < n.length() && b[from + k] >= 0) {
        if (b[from + k] != n.charAt(k)) return false;
        k++;
      }
      if (k == n.length()) return true;
    }
    return new String(b, from, to - from, StandardCharsets.UTF_8).equals(n);
  }

  private boolean plain(int from, int to) {
    for (int i = from; i < to; i++) {
      byte c = b[i];
      if (c == '&' || c == '\r') return false;
    }
    return true;
  }

  /** Appends the character data {@code [from, to)} with its references resolved. */
  private void appendText(StringBuilder out, int from, int to) throws XmlException {
    int run = from;
    for (int i = from; i < to; i++) {
      if (b[i] != '&') continue;
      appendRaw(out, run, i);
      int semi = indexOf((byte) ';', i);
      if (semi < 0 || semi > to) throw new XmlException("an unterminated reference");
      String ref = new String(b, i + 1, semi - i - 1, StandardCharsets.US_ASCII);
      switch (ref) {
        case "lt" -> out.append('<');
        case "gt" -> out.append('>');
        case "amp" -> out.append('&');
        case "quot" -> out.append('"');
        case "apos" -> out.append('\'');
        default -> out.appendCodePoint(characterReference(ref));
      }
      i = semi;
      run = semi + 1;
    }
    appendRaw(out, run, to);
  }

  /**
   * Appends the bytes {@code [from, to)} as they stand in the document, with XML's line ends: CR LF
   * and a lone CR read as LF. A run ends at a reference or markup, never between a CR and its LF; a
   * referenced CR ({@code &#13;}) is no line end and stays.
   */
  private void appendRaw(StringBuilder out, int from, int to) {
    int run = from;
    for (int i = from; i < to; i++) {
      if (b[i] != '\r') continue;
      out.append(new String(b, run, i - run, StandardCharsets.UTF_8)).append('\n');
      if (i + 1 < to && b[i + 1] == '\n') i++;
      run = i + 1;
    }
    out.append(new String(b, run, to - run, StandardCharsets.UTF_8));
  }

  /** The character of a character reference ({@code &#65;}, {@code &#x41;}). */
  private static int characterReference(String ref) throws XmlException {
    try {
      int cp;
      if (ref.startsWith("#x")) cp = Integer.parseInt(ref.substring(2), 16);
      else if (ref.startsWith("#")) cp = Integer.parseInt(ref.substring(1));
      else throw new XmlException("an unknown entity &" + ref + ";");
      if (!xmlChar(cp)) throw new XmlException("a reference to no XML character &" + ref + ";");
      return cp;
    } catch (NumberFormatException e) {
      throw new XmlException("a bad reference &" + ref + ";");
    }
  }

  /** XML's Char production: the characters a document may hold. */
  private static boolean xmlChar(int cp) {
    return cp == 0x9
        || cp == 0xA
        || cp == 0xD
        || (cp >= 0x20 && cp <= 0xD7FF)
        || (cp >= 0xE000 && cp <= 0xFFFD)
        || (cp >= 0x10000 && cp <= 0x10FFFF);
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private boolean startsWith(String s) {
    if (pos + s.length() > b.length) return false;
    for (int i = 0; i < s.length(); i++) if (b[pos + i] != s.charAt(i)) return false;
    return true;
  }

  private int indexOf(byte c, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == c) return i;
    return -1;
  }

  private int indexOf(String s, int from) throws XmlException {
    outer:
    for (int i = from; i + s.length() <= b.length; i++) {
      for (int j = 0; j < s.length(); j++) if (b[i + j] != s.charAt(j)) continue outer;
      return i;
    }
    throw new XmlException("the document ends before " + s);
  }
}
