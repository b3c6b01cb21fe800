package dev.roadie.core.chunk;

import java.util.Objects;

/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016; IEEE TPDS 2020) with normalized
 * chunking at level 2.
 *
 * <p>The rolling hash is the gear hash {@code h = (h << 1) + gear[b]} over unsigned bytes, in
 * 64-bit two's-complement arithmetic. Because each step shifts left, bit {@code k} of {@code h}
 * depends on the last {@code k + 1} bytes only; the cut test therefore looks at the <em>high</em>
 * bits, which carry the longest window (up to 64 bytes). With {@code bits = log2(avg)}, the strict
 * mask {@code maskS} is the top {@code bits + 2} bits of the word and the loose mask {@code maskL}
 * the top {@code bits - 2} bits ({@code -1L << (64 - n)} for {@code n} one-bits).
 *
 * <p>Exact cut rule, for a chunk starting at position 0 of the remaining input of length {@code n}:
 * if {@code n <= min} the chunk is the whole input. Otherwise {@code h} starts at 0 and bytes at
 * positions {@code min, min + 1, ...} are fed in turn (the first {@code min} bytes are skipped,
 * never hashed). After feeding the byte at position {@code p}, the chunk ends with that byte
 * (length {@code p + 1}) if {@code (h & mask) == 0}, where {@code mask} is {@code maskS} while
 * {@code p < avg} and {@code maskL} from {@code p = avg} on. If no position below {@code min(n,
 * max)} matches, the chunk length is {@code min(n, max)}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class FastCdc {
  private final ChunkerParams params;
  private final long[] gear;
  private final long maskS;
  private final long maskL;

  public FastCdc(ChunkerParams params, GearTable gear) {
    this.params = Objects.requireNonNull(params, "params");
    this.gear = Objects.requireNonNull(gear, "gear").values();
    int bits = Integer.numberOfTrailingZeros(params.avg());
    this.maskS = highBits(bits + 2);
    this.maskL = highBits(bits - 2);
  }

  private static long highBits(int n) {
    return -1L << (64 - n);
  }

  public ChunkerParams params() {
    return params;
  }

  /**
   * Length of the chunk starting at {@code buf[off]}, looking at no more than {@code len} bytes. If
   * {@code len <= min}, returns {@code len}. If no cut point is found within {@code len} bytes and
   * {@code len < max}, returns {@code len}: callers that are not at the end of their input must
   * therefore pass {@code len >= max}, or the cut would depend on how the input was buffered.
   */
  public int cut(byte[] buf, int off, int len) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (len <= params.min()) {
      return len;
    }
    int n = scan(buf, off, Math.min(len, params.max()));
    return n < 0 ? Math.min(len, params.max()) : n;
  }

  /**
   * Length of the chunk starting at {@code buf[off]} if the {@code len} bytes there decide it, else
   * -1. They decide it when they hold a cut point or at least {@code max} bytes; otherwise the cut
   * depends on bytes not yet seen. Unlike {@link #cut}, this is safe in the middle of a stream.
   */
  public int cutIfKnown(byte[] buf, int off, int len) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (len >= params.max()) {
      return cut(buf, off, len);
    }
    return len <= params.min() ? -1 : scan(buf, off, len);
  }

  /** The cut rule over {@code limit > min} bytes: the length up to the first cut point, or -1. */
  private int scan(byte[] buf, int off, int limit) {
    int min = params.min();
    int normal = Math.min(limit, params.avg());
    // Locals so the JIT keeps table and masks in registers; absolute indices so the loops are
    // simple counted loops whose bounds checks can be hoisted.
    long[] g = gear;
    long h = 0;
    int i = off + min;
    int stop = off + normal;
    for (long mask = maskS; ; mask = maskL, stop = off + limit) {
      // Two bytes a step: the hash after the second, (h << 2) + (a << 1) + b, depends on the one
      // before the first through one shift and one add, not two of each, so consecutive steps
      // overlap in the CPU; the hash after the first byte is tested on the side. Same cuts.
      for (; i + 1 < stop; i += 2) {
        long a = g[buf[i] & 0xff];
        long b = g[buf[i + 1] & 0xff];
        long first = (h << 1) + a;
        h = (h << 2) + ((a << 1) + b);
        if (((first & mask) == 0) | ((h & mask) == 0)) {
          return i - off + ((first & mask) == 0 ? 1 : 2);
        }
      }
      if (i < stop) {
        h = (h << 1) + g[buf[i] & 0xff];
        if ((h & mask) == 0) {
          return i - off + 1;
        }
        i++;
      }
      if (mask == maskL) {
        return -1;
      }
    }
  }
}
