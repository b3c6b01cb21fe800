package dev.roadie.redis;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The start of an RDB file: {@code REDIS} and a 4-digit format version, then the aux fields ({@code
 * redis-ver}, {@code used-mem}, {@code ctime}, ...) that precede the first database.
 */
public record RdbHeader(int rdbVersion, Map<String, String> aux) {
  private static final int OPCODE_AUX = 0xFA;

  /** Parses a payload prefix; throws IllegalArgumentException if it is not an RDB. */
  public static RdbHeader parse(byte[] b) {
    if (b.length < 9 || !new String(b, 0, 5, StandardCharsets.US_ASCII).equals("REDIS")) {
      throw new IllegalArgumentException("not an RDB file (no REDIS magic)");
    }
    int version;
    try {
      version = Integer.parseInt(new String(b, 5, 4, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an RDB file (bad version)");
    }
    Map<String, String> aux = new LinkedHashMap<>();
    int[] pos = {9};
    try {
      while (pos[0] < b.length && (b[pos[0]] & 0xFF) == OPCODE_AUX) {
        pos[0]++;
        String k = string(b, pos);
        String v = string(b, pos);
        if (k == null || v == null) break;
        aux.put(k, v);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      // the prefix ended inside an aux field: keep what was read
    }
    return new RdbHeader(version, aux);
  }

  /** An RDB string (length-prefixed, or an integer encoding); null for LZF-compressed ones. */
  private static String string(byte[] b, int[] pos) {
    int first = b[pos[0]++] & 0xFF;
    int kind = first >>> 6;
    long len;
    switch (kind) {
      case 0 -> len = first & 0x3F;
      case 1 -> len = ((first & 0x3F) << 8) | (b[pos[0]++] & 0xFF);
      case 2 -> {
        if (first == 0x80) {
          len = 0;
          for (int i = 0; i < 4; i++) len = (len << 8) | (b[pos[0]++] & 0xFF);
        } else {
          len = 0;
          for (int i = 0; i < 8; i++) len = (len << 8) | (b[pos[0]++] & 0xFF);
        }
      }
      default -> {
        int enc = first & 0x3F;
        if (enc == 0) return Integer.toString(b[pos[0]++]);
        if (enc == 1) {
          int v = (short) ((b[pos[0]] & 0xFF) | (b[pos[0] + 1] << 8));
          pos[0] += 2;
          return Integer.toString(v);
        }
        if (enc == 2) {
          int v =
              (b[pos[0]] & 0xFF)
                  | (b[pos[0] + 1] & 0xFF) << 8
                  | (b[pos[0] + 2] & 0xFF) << 16
                  | b[pos[0] + 3] << 24;
          pos[0] += 4;
          return Integer.toString(v);
        }
        return null;
      }
    }
    // A length past the prefix (or above 2^63, negative here) ends the aux fields read so far.
    // (Compared without adding to pos: a length near 2^63 would overflow the sum.)
    if (len < 0 || len > b.length - pos[0]) throw new ArrayIndexOutOfBoundsException();
    String s = new String(b, pos[0], (int) len, StandardCharsets.ISO_8859_1);
    pos[0] += (int) len;
    return s;
  }
}
