package dev.roadie.core.chunk;

/**
 * Deterministic test input that is easy to reproduce in any language: Marsaglia's xorshift64 with
 * shifts 13, 7, 17. Starting from {@code state = seed}, each step does {@code x ^= x << 13; x ^= x
 * >>> 7; x ^= x << 17} (64-bit, logical right shift) and emits the new state as 8 little-endian
 * bytes; the output is truncated to the requested length.
 */
final class XorShift64 {
  private long state;

  XorShift64(long seed) {
    if (seed == 0) {
      throw new IllegalArgumentException("xorshift64 needs a non-zero seed");
    }
    this.state = seed;
  }

  long nextLong() {
    long x = state;
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    state = x;
    return x;
  }

  void fill(byte[] out) {
    int i = 0;
    for (; i + 8 <= out.length; i += 8) {
      long x = nextLong();
      for (int k = 0; k < 8; k++) {
        out[i + k] = (byte) (x >>> (8 * k));
      }
    }
    if (i < out.length) {
      long x = nextLong();
      for (int k = 0; i < out.length; i++, k++) {
        out[i] = (byte) (x >>> (8 * k));
      }
    }
  }

  static byte[] bytes(long seed, int length) {
    byte[] out = new byte[length];
    new XorShift64(seed).fill(out);
    return out;
  }
}
