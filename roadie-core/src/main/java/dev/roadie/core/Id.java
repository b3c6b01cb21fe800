package dev.roadie.core;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A 256-bit identifier: a blob id (keyed hash of its plaintext), or the random id of a pack, index
 * file, snapshot, key file or lease. Held as four longs (big-endian order of the 32 bytes) so that
 * millions of them stay small and compare fast.
 */
public final class Id implements Comparable<Id> {
  public static final int BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private final long w0;
  private final long w1;
  private final long w2;
  private final long w3;

  public Id(long w0, long w1, long w2, long w3) {
    this.w0 = w0;
    this.w1 = w1;
    this.w2 = w2;
    this.w3 = w3;
  }

  public static Id random() {
    byte[] b = new byte[BYTES];
    RANDOM.nextBytes(b);
    return of(b, 0);
  }

  public static Id of(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("an id has 32 bytes, not " + bytes.length);
    }
    return of(bytes, 0);
  }

  public static Id of(byte[] b, int off) {
    return new Id(getLong(b, off), getLong(b, off + 8), getLong(b, off + 16), getLong(b, off + 24));
  }

  /** Parses 64 hex digits. */
  public static Id parse(String hex) {
    if (hex.length() != BYTES * 2) {
      throw new IllegalArgumentException(
          "an id has 64 hex digits, not " + hex.length() + ": " + hex);
    }
    return of(HEX.parseHex(hex));
  }

  public long word(int i) {
    return switch (i) {
      case 0 -> w0;
      case 1 -> w1;
      case 2 -> w2;
      case 3 -> w3;
      default -> throw new IndexOutOfBoundsException(i);
    };
  }

  public byte[] bytes() {
    byte[] b = new byte[BYTES];
    writeTo(b, 0);
    return b;
  }

  public void writeTo(byte[] b, int off) {
    putLong(b, off, w0);
    putLong(b, off + 8, w1);
    putLong(b, off + 16, w2);
    putLong(b, off + 24, w3);
  }

  public String hex() {
    return HEX.formatHex(bytes());
  }

  /** The first 8 hex digits, as listings show ids. */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Id other
        && w0 == other.w0
        && w1 == other.w1
        && w2 == other.w2
        && w3 == other.w3;
  }

  @Override
  public int hashCode() {
    // Ids are uniformly random or keyed hashes: any word is already well mixed.
    return (int) (w1 ^ (w1 >>> 32));
  }

  @Override
  public int compareTo(Id o) {
    int c = Long.compareUnsigned(w0, o.w0);
    if (c == 0) c = Long.compareUnsigned(w1, o.w1);
    if (c == 0) c = Long.compareUnsigned(w2, o.w2);
    if (c == 0) c = Long.compareUnsigned(w3, o.w3);
    return c;
  }

  @Override
  public String toString() {
    return hex();
  }
}
