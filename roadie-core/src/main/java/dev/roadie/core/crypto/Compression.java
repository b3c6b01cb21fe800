package dev.roadie.core.crypto;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The compression step of a blob's plaintext: one flag byte (0 stored raw, 1 zstd frame, 2 zstd
 * frame against a base blob, 3 zstd frame against two base blobs) followed by the payload. Data is
 * stored raw when zstd does not make it smaller, so incompressible input costs one byte.
 *
 * <p>A delta ({@link #DELTA}) is {@code 0x02 || baseId (32 bytes) || one zstd frame} compressed
 * with the base blob's plaintext loaded as a raw-content dictionary; a two-base delta ({@link
 * #DELTA2}) is {@code 0x03 || baseId1 || baseId2 || one zstd frame} compressed with the two bases'
 * plaintexts, concatenated in that order, as the dictionary. Bases are always blobs stored in full
 * (flag 0 or 1): deltas are one level deep. zstd loads a dictionary that starts with its dictionary
 * magic as a structured dictionary, so such a plaintext is never used as a base ({@link
 * #usableBase}).
 */
public final class Compression {
  public static final int RAW = 0;
  public static final int ZSTD = 1;
  public static final int DELTA = 2;
  public static final int DELTA2 = 3;

  /**
   * zstd level 1: on log- and table-like data it compresses nearly as well as level 3 and clearly
   * faster, and compression is the largest CPU cost of a backup
   * (docs/decisions/0011-zstd-levels.md).
   */
  public static final int DEFAULT_LEVEL = 1;

  /**
   * zstd level 2 for PostgreSQL's relation pages in fixed 128 KiB chunks: level 1 (strategy fast)
   * misses matches between the pages' tuples that level 2 (double-fast) finds, so pages store
   * smaller at about the same speed; level 3 gains nothing more
   * (docs/decisions/0011-zstd-levels.md).
   */
  public static final int PAGE_LEVEL = 2;

  private static final ThreadLocal<ZstdCompressCtx> CTX =
      ThreadLocal.withInitial(
          () -> {
            ZstdCompressCtx ctx = new ZstdCompressCtx();
            ctx.setChecksum(false);
            ctx.setContentSize(true);
            return ctx;
          });

  /**
   * zstd level 3 for deltas: level 1's hash table is sized for the chunk, not for chunk plus base,
   * and misses most of a 128 KiB base, which makes its deltas many times larger
   * (docs/decisions/0011-zstd-levels.md).
   */
  static final int DELTA_LEVEL = 3;

  private static final ThreadLocal<ZstdCompressCtx> DELTA_CTX =
      ThreadLocal.withInitial(
          () -> {
            ZstdCompressCtx ctx = new ZstdCompressCtx();
            ctx.setLevel(DELTA_LEVEL);
            ctx.setChecksum(false);
            ctx.setContentSize(true);
            ctx.setDictID(false);
            return ctx;
          });
  private static final ThreadLocal<ZstdDecompressCtx> DELTA_DCTX =
      ThreadLocal.withInitial(ZstdDecompressCtx::new);

  /**
   * Reads a base blob's plaintext for decoding a delta; a base that is itself a delta is refused.
   */
  @FunctionalInterface
  public interface Bases {
    byte[] plaintext(Id baseId);
  }

  /**
   * A resolver for callers that never meet deltas (metadata, sealed objects): any delta is an
   * error.
   */
  public static final Bases NO_BASES =
      id -> {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "a delta blob appears where none may (base " + id.shortHex() + ")");
      };

  private Compression() {}

  /**
   * Whether {@code base} may serve as a delta's reference: long enough to matter, and not starting
   * with zstd's dictionary magic (37 A4 30 EC), which zstd would parse as a structured dictionary.
   */
  public static boolean usableBase(byte[] base) {
    return base.length >= 64
        && !(base[0] == 0x37
            && base[1] == (byte) 0xA4
            && base[2] == 0x30
            && base[3] == (byte) 0xEC);
  }

  /**
   * Compresses {@code data[off, off+len)} against {@code bases} (one or two plaintexts, in the
   * order their ids are framed) into {@code out} from {@code outOff}; returns the zstd frame's
   * length, or -1 when it fails or is not smaller than {@code limit}. The caller writes the flag
   * and the base ids ({@link #deltaHeader}) before it.
   */
  public static int compressAgainst(
      List<byte[]> bases, byte[] data, int off, int len, byte[] out, int outOff, int limit) {
    for (byte[] base : bases) {
      if (!usableBase(base)) return -1;
    }
    ZstdCompressCtx ctx = DELTA_CTX.get();
    try {
      ctx.loadDict(reference(bases));
      int n = ctx.compressByteArray(out, outOff, out.length - outOff, data, off, len);
      return n < limit ? n : -1;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** The dictionary of a delta: its bases' plaintexts one after the other. */
  private static byte[] reference(List<byte[]> bases) {
    if (bases.size() == 1) return bases.get(0);
    byte[] first = bases.get(0);
    byte[] second = bases.get(1);
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }

  /** The flag of a delta against {@code baseCount} bases (1 or 2). */
  public static byte deltaFlag(int baseCount) {
    return (byte) (baseCount == 1 ? DELTA : DELTA2);
  }

  /**
   * Bytes before the zstd frame of a delta against {@code baseCount} bases: the flag and the base
   * ids.
   */
  public static int deltaHeader(int baseCount) {
    return 1 + baseCount * Id.BYTES;
  }

  /**
   * The base ids of a delta whose framed plaintext is its flag and then {@code payload} from {@code
   * off} ({@code len} bytes); empty when the flag is not a delta's or the ids are cut off.
   */
  public static List<Id> deltaBases(byte flag, byte[] payload, int off, int len) {
    int count = flag == DELTA ? 1 : flag == DELTA2 ? 2 : 0;
    if (count == 0 || len < count * Id.BYTES) return List.of();
    return count == 1
        ? List.of(Id.of(payload, off))
        : List.of(Id.of(payload, off), Id.of(payload, off + Id.BYTES));
  }

  /** The base ids of a delta's framed plaintext; empty when the blob is stored in full. */
  public static List<Id> deltaBases(byte[] framed) {
    return framed.length == 0 ? List.of() : deltaBases(framed[0], framed, 1, framed.length - 1);
  }

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
    return compress(data, off, len, out, outOff, DEFAULT_LEVEL);
  }

  /** As {@link #compress(byte[], int, int, byte[], int)} at zstd level {@code level}. */
  public static int compress(byte[] data, int off, int len, byte[] out, int outOff, int level) {
    int n;
    try {
      ZstdCompressCtx ctx = CTX.get();
      ctx.setLevel(level);
      n = ctx.compressByteArray(out, outOff, out.length - outOff, data, off, len);
    } catch (RuntimeException e) {
      return -1; // incompressible beyond the bound, or a zstd error: store raw
    }
    return n < len ? n : -1;
  }

  /**
   * Inverse of {@link #pack} when the plaintext length is not recorded elsewhere (sealed objects).
   */
  public static byte[] unpack(byte[] packed, String what) {
    if (packed.length > 0 && packed[0] == ZSTD) {
      long size;
      try {
        size = Zstd.getFrameContentSize(packed, 1, packed.length - 1);
      } catch (RuntimeException e) { // zstd-jni reads past a frame shorter than its header
        size = -1;
      }
      if (size < 0 || size > Integer.MAX_VALUE - 16) {
        throw new RoadieException(ErrorCode.INTEGRITY, what + " has a damaged zstd frame header");
      }
      return unpack(packed, (int) size, what);
    }
    return unpack(packed, packed.length - 1, what);
  }

  /** Inverse of {@link #pack}; {@code rawLength} is the expected plaintext length. */
  public static byte[] unpack(byte[] packed, int rawLength, String what) {
    return unpack(packed, rawLength, what, NO_BASES);
  }

  /**
   * Inverse of {@link #pack} and of a delta: a {@link #DELTA} blob is decoded against its base's
   * plaintext from {@code bases}. A wrong base decodes to wrong bytes (or fails): the caller's
   * check of the plaintext against the blob id catches it.
   */
  public static byte[] unpack(byte[] packed, int rawLength, String what, Bases bases) {
    return unpack(packed, rawLength, what, bases, null);
  }

  /**
   * As {@link #unpack(byte[], int, String, Bases)}, decoding into {@code into} when it is given and
   * exactly {@code rawLength} long (a buffer the caller reuses); returns the array that holds the
   * plaintext, which is a new one when {@code into} is null or does not fit.
   */
  public static byte[] unpack(byte[] packed, int rawLength, String what, Bases bases, byte[] into) {
    if (into != null && into.length != rawLength) into = null;
    if (packed.length == 0) {
      throw new RoadieException(ErrorCode.INTEGRITY, what + " is empty: no compression flag");
    }
    switch (packed[0]) {
      case RAW -> {
        if (packed.length - 1 != rawLength) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              what + " has " + (packed.length - 1) + " bytes, the index says " + rawLength);
        }
        if (into == null) return Arrays.copyOfRange(packed, 1, packed.length);
        System.arraycopy(packed, 1, into, 0, rawLength);
        return into;
      }
      case ZSTD -> {
        byte[] out = into != null ? into : new byte[rawLength];
        long n;
        try {
          n = Zstd.decompressByteArray(out, 0, rawLength, packed, 1, packed.length - 1);
        } catch (com.github.luben.zstd.ZstdException e) { // zstd-jni throws some errors
          throw new RoadieException(
              ErrorCode.INTEGRITY, what + " does not decompress: " + e.getMessage());
        }
        if (Zstd.isError(n) || n != rawLength) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              what
                  + " does not decompress to the "
                  + rawLength
                  + " bytes the index records"
                  + (Zstd.isError(n) ? ": " + Zstd.getErrorName(n) : " (got " + n + ")"));
        }
        return out;
      }
      case DELTA, DELTA2 -> {
        int header = deltaHeader(packed[0] == DELTA ? 1 : 2);
        if (packed.length < header + 1) {
          throw new RoadieException(ErrorCode.INTEGRITY, what + " is a truncated delta");
        }
        List<Id> baseIds = deltaBases(packed);
        List<byte[]> plaintexts = new ArrayList<>(baseIds.size());
        for (Id baseId : baseIds) {
          byte[] base = bases.plaintext(baseId);
          if (!usableBase(base)) {
            throw new RoadieException(
                ErrorCode.INTEGRITY,
                what + " names base " + baseId.shortHex() + ", which cannot be a base");
          }
          plaintexts.add(base);
        }
        byte[] out = into != null ? into : new byte[rawLength];
        int n;
        try {
          ZstdDecompressCtx ctx = DELTA_DCTX.get();
          ctx.loadDict(reference(plaintexts));
          n = ctx.decompressByteArray(out, 0, rawLength, packed, header, packed.length - header);
        } catch (RuntimeException e) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              what
                  + " does not decode against its bases "
                  + baseIds.stream().map(Id::shortHex).toList()
                  + ": "
                  + e.getMessage());
        }
        if (n != rawLength) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              what + " decodes to " + n + " bytes, the index records " + rawLength);
        }
        return out;
      }
      default ->
          throw new RoadieException(
              ErrorCode.INTEGRITY, what + " has unknown compression flag " + packed[0]);
    }
  }
}
