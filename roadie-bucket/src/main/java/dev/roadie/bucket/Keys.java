package dev.roadie.bucket;

import java.util.Comparator;

/**
 * The order of object keys as S3 lists them: by the UTF-8 bytes of the key, which is the order of
 * Unicode code points (Java's {@link String#compareTo} compares UTF-16 units and differs for
 * characters beyond U+FFFF).
 */
public final class Keys {
  public static final Comparator<String> ORDER = Keys::compare;

  private Keys() {}

  public static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) return Integer.compare(x, y);
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
