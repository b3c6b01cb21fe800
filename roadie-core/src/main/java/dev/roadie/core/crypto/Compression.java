package dev.roadie.core.crypto;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.Arrays;

/**
 * The compression step of a blob's plaintext: one flag byte (0 stored raw, 1 zstd frame) followed by
 * the payload. Data is stored raw when zstd does not make it smaller, so incompressible input costs
 * one byte.
 */
public final class Compression {
  public static final int RAW = 0;
  public static final int ZSTD = 1;
  /**
   * zstd level 1: on log- and table-like data it compresses within 1% of level 3 and about 30%
   * faster (measured here with the zstd CLI on the engine benchmark's text), and compression is
   * the largest CPU cost of a backup.
   */
  public static final int DEFAULT_LEVEL = 1;

  private static final ThreadLocal<ZstdCompressCtx> CTX = ThreadLocal.withInitial(() -> {
    ZstdCompressCtx ctx = new ZstdCompressCtx();
    ctx.setLevel(DEFAULT_LEVEL);
    ctx.setChecksum(false);
    ctx.setContentSize(true);
    return ctx;
  });

  private Compression() {}

  /** Returns flag byte + payload, of {@code len} + 1 bytes at most. */
  public static byte[] pack(byte[] data, int off, int len) {
    byte[] out = new byte[bound(len)];
    return Arrays.copyOf(out, packInto(data, off, len, out));
  }

  /** The output buffer size {@link #packInto} needs for {@code len} bytes of input. */
  public static int bound(int len) {
    return 1 + Math.max(len, (int) Zstd.compressBound(len));
  }

  /**
   * Writes flag byte + payload into {@code out} (at least {@link #bound} bytes) and returns its
   * length, which is at most {@code len} + 1. Lets hot paths reuse one buffer per thread.
   */
  public static int packInto(byte[] data, int off, int len, byte[] out) {
    int n = compress(data, off, len, out, 1);
    if (n < 0) {
      out[0] = RAW;
      System.arraycopy(data, off, out, 1, len);
      return 1 + len;
    }
    out[0] = ZSTD;
    return 1 + n;
  }

  /**
   * The zstd payload of a {@link #ZSTD} blob: compresses {@code data[off, off+len)} into {@code
   * out} from {@code outOff} (room for {@link #bound}{@code (len) - 1} bytes) and returns its
   * length, or -1 when it is not smaller than the input, which is then to be stored {@link #RAW}.
   */
  public static int compress(byte[] data, int off, int len, byte[] out, int outOff) {
    int n;
    try {
      n = CTX.get().compressByteArray(out, outOff, out.length - outOff, data, off, len);
    } catch (RuntimeException e) {
      return -1; // incompressible beyond the bound, or a zstd error: store raw
    }
    return n < len ? n : -1;
  }

  /** Inverse of {@link #pack} when the plaintext length is not recorded elsewhere (sealed objects). */
  public static byte[] unpack(byte[] packed, String what) {
    if (packed.length > 0 && packed[0] == ZSTD) {
      long size = Zstd.getFrameContentSize(packed, 1, packed.length - 1);
      if (size < 0 || size > Integer.MAX_VALUE - 16) {
        throw new RoadieException(ErrorCode.INTEGRITY, what + " has a damaged zstd frame header");
      }
      return unpack(packed, (int) size, what);
    }
    return unpack(packed, packed.length - 1, what);
  }

  /** Inverse of {@link #pack}; {@code rawLength} is the expected plaintext length. */
  public static byte[] unpack(byte[] packed, int rawLength, String what) {
    if (packed.length == 0) {
      throw new RoadieException(ErrorCode.INTEGRITY, what + " is empty: no compression flag");
    }
    switch (packed[0]) {
      case RAW -> {
        if (packed.length - 1 != rawLength) {
          throw new RoadieException(ErrorCode.INTEGRITY, what + " has " + (packed.length - 1)
              + " bytes, the index says " + rawLength);
        }
        return Arrays.copyOfRange(packed, 1, packed.length);
      }
      case ZSTD -> {
        byte[] out = new byte[rawLength];
        long n = Zstd.decompressByteArray(out, 0, rawLength, packed, 1, packed.length - 1);
        if (Zstd.isError(n) || n != rawLength) {
          throw new RoadieException(ErrorCode.INTEGRITY, what + " does not decompress to the "
              + rawLength + " bytes the index records"
              + (Zstd.isError(n) ? ": " + Zstd.getErrorName(n) : " (got " + n + ")"));
        }
        return out;
      }
      default -> throw new RoadieException(ErrorCode.INTEGRITY, what + " has unknown compression flag " + packed[0]);
    }
  }
}
