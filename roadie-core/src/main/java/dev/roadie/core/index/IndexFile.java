package dev.roadie.core.index;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The plaintext encoding of one index file: which blobs each of some packs holds, and which older
 * index files this one supersedes. Encryption and storage are done elsewhere; this class only turns
 * the content into bytes and back.
 *
 * <h2>Byte layout (version 1)</h2>
 *
 * <p>"varint" is an unsigned LEB128 integer: seven bits per byte, least significant group first,
 * high bit set on every byte but the last; it must be minimal (no trailing zero group), and it
 * holds at most 63 bits (a long) or 31 bits where it says "int". An id is its 32 bytes, in the
 * order of {@link Id#bytes()}. There are no fixed-width integers besides the single bytes shown.
 *
 * <pre>
 * file     = version:u8(=1) packCount:varint(int) pack* supersedesCount:varint(int) id*
 * pack     = packId:32 bytes  type:u8 (0 = DATA, 1 = METADATA)  blobCount:varint(int) blob*
 * blob     = blobId:32 bytes  offset:varint(long)  length:varint(int)  rawLength:varint(int)
 * </pre>
 *
 * <p>Versions 2 and 3 are the same but every blob is followed by {@code baseCount:u8} and that many
 * {@code baseId:32 bytes}: the bases of a delta blob (docs/repository-format.md §6). In version 2
 * the count is 0 or 1, in version 3 also 2. A file is written in the lowest version that holds its
 * entries (1 without deltas, 2 with one-base deltas only), so repositories without deltas keep
 * writing version 1 and those without two-base deltas version 2, byte for byte.
 *
 * <p>The file ends right after the last superseded id; trailing bytes are an error. Encoding is
 * deterministic (given the same lists in the same order it yields the same bytes), and because
 * varints must be minimal every valid file has exactly one decoding and re-encodes to itself.
 *
 * <p>{@link #decode} treats its input as untrusted: any deviation (truncation, trailing bytes,
 * unknown version or type, oversized or non-minimal varints, counts larger than the remaining bytes
 * could hold) is rejected with an {@link IllegalArgumentException}, and no allocation is sized by a
 * count before that count has been checked against the remaining input.
 */
public final class IndexFile {
  public static final int VERSION = 1;

  /** Written only by files that hold at least one delta entry, so other files stay version 1. */
  public static final int VERSION_DELTAS = 2;

  /** Written only by files that hold at least one delta against two bases. */
  public static final int VERSION_TWO_BASES = 3;

  /** The most bases a delta has. */
  public static final int MAX_BASES = 2;

  /** Smallest encodings: an id, a type byte and an empty count; an id and three 1-byte varints. */
  private static final int MIN_PACK_BYTES = Id.BYTES + 2;

  private static final int MIN_BLOB_BYTES = Id.BYTES + 3;

  private IndexFile() {}

  /** One blob of a pack: where it is, how long its plaintext is, and its bases if it is a delta. */
  public record BlobEntry(Id id, long offset, int length, int rawLength, List<Id> bases) {
    /** A blob stored in full. */
    public BlobEntry(Id id, long offset, int length, int rawLength) {
      this(id, offset, length, rawLength, List.of());
    }

    public BlobEntry {
      Objects.requireNonNull(id, "id");
      if (offset < 0 || length < 0 || rawLength < 0) {
        throw new IllegalArgumentException(
            "negative offset/length/rawLength: " + offset + "/" + length + "/" + rawLength);
      }
      bases = checkBases(bases);
    }
  }

  /** {@code bases} as an immutable list of at most {@link #MAX_BASES} ids. */
  static List<Id> checkBases(List<Id> bases) {
    if (bases.size() > MAX_BASES) {
      throw new IllegalArgumentException(
          "a delta has at most " + MAX_BASES + " bases, not " + bases.size());
    }
    return List.copyOf(bases);
  }

  /** A pack and the blobs it holds, all of its one type. */
  public record PackEntries(Id packId, BlobType type, List<BlobEntry> blobs) {
    public PackEntries {
      Objects.requireNonNull(packId, "packId");
      Objects.requireNonNull(type, "type");
      blobs = List.copyOf(blobs);
    }
  }

  /** The content of an index file. */
  public record Decoded(List<PackEntries> packs, List<Id> supersedes) {
    public Decoded {
      packs = List.copyOf(packs);
      supersedes = List.copyOf(supersedes);
    }

    /** The number of blob entries over all packs. */
    public long blobCount() {
      long n = 0;
      for (PackEntries pack : packs) {
        n += pack.blobs().size();
      }
      return n;
    }

    /**
     * Adds every pack and blob to {@code index}; blobs already indexed keep their location.
     *
     * @return the number of blobs that were new to the index
     * @throws IllegalArgumentException if a pack is already indexed with another type, or an offset
     *     does not fit the index (2^32 or more)
     */
    public int addTo(BlobIndex index) {
      int added = 0;
      for (PackEntries pack : packs) {
        int number = index.addPack(pack.packId(), pack.type());
        for (BlobEntry blob : pack.blobs()) {
          if (index.add(
              blob.id(), number, blob.offset(), blob.length(), blob.rawLength(), blob.bases())) {
            added++;
          }
        }
      }
      return added;
    }
  }

  /**
   * Encodes packs and superseded index ids in the layout described above.
   *
   * @throws IllegalArgumentException if the encoding would exceed the largest Java array
   */
  public static byte[] encode(List<PackEntries> packs, List<Id> supersedes) {
    int maxBases = 0;
    for (PackEntries pack : packs) {
      for (BlobEntry blob : pack.blobs()) {
        maxBases = Math.max(maxBases, blob.bases().size());
      }
    }
    boolean deltas = maxBases > 0;
    long total = 1 + varintLength(packs.size());
    for (PackEntries pack : packs) {
      total += Id.BYTES + 1 + varintLength(pack.blobs().size());
      for (BlobEntry blob : pack.blobs()) {
        total +=
            Id.BYTES
                + varintLength(blob.offset())
                + varintLength(blob.length())
                + varintLength(blob.rawLength());
        if (deltas) total += 1 + (long) Id.BYTES * blob.bases().size();
      }
    }
    total += varintLength(supersedes.size()) + (long) Id.BYTES * supersedes.size();
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("index file would be " + total + " bytes, too large");
    }
    byte[] out = new byte[(int) total];
    int pos = 0;
    out[pos++] =
        (byte) (maxBases == 0 ? VERSION : maxBases == 1 ? VERSION_DELTAS : VERSION_TWO_BASES);
    pos = putVarint(out, pos, packs.size());
    for (PackEntries pack : packs) {
      pack.packId().writeTo(out, pos);
      pos += Id.BYTES;
      out[pos++] = (byte) pack.type().code();
      pos = putVarint(out, pos, pack.blobs().size());
      for (BlobEntry blob : pack.blobs()) {
        blob.id().writeTo(out, pos);
        pos += Id.BYTES;
        pos = putVarint(out, pos, blob.offset());
        pos = putVarint(out, pos, blob.length());
        pos = putVarint(out, pos, blob.rawLength());
        if (deltas) {
          out[pos++] = (byte) blob.bases().size();
          for (Id base : blob.bases()) {
            base.writeTo(out, pos);
            pos += Id.BYTES;
          }
        }
      }
    }
    pos = putVarint(out, pos, supersedes.size());
    for (Id id : supersedes) {
      id.writeTo(out, pos);
      pos += Id.BYTES;
    }
    assert pos == out.length;
    return out;
  }

  /**
   * Decodes an index file's plaintext.
   *
   * @throws IllegalArgumentException if the bytes are not exactly a valid index file of version 1,
   *     2 or 3
   */
  public static Decoded decode(byte[] plaintext) {
    Cursor in = new Cursor(plaintext);
    int version = in.u8("version");
    if (version != VERSION && version != VERSION_DELTAS && version != VERSION_TWO_BASES) {
      throw new IllegalArgumentException(
          "index file version "
              + version
              + " is not supported (expected "
              + VERSION
              + ", "
              + VERSION_DELTAS
              + " or "
              + VERSION_TWO_BASES
              + ")");
    }
    boolean deltas = version != VERSION;
    int maxBases = version - VERSION; // 0, 1 or 2
    int packCount = in.count("pack count", MIN_PACK_BYTES);
    int minBlobBytes = MIN_BLOB_BYTES + (deltas ? 1 : 0);
    List<PackEntries> packs = new ArrayList<>(packCount);
    for (int p = 0; p < packCount; p++) {
      Id packId = in.id("pack id");
      int typeAt = in.pos;
      int code = in.u8("blob type");
      if (code != BlobType.DATA.code() && code != BlobType.METADATA.code()) {
        throw new IllegalArgumentException(
            "index file has unknown blob type " + code + " at offset " + typeAt);
      }
      int blobCount = in.count("blob count", minBlobBytes);
      List<BlobEntry> blobs = new ArrayList<>(blobCount);
      for (int b = 0; b < blobCount; b++) {
        Id id = in.id("blob id");
        long offset = in.varint("blob offset", Long.MAX_VALUE);
        int length = (int) in.varint("blob length", Integer.MAX_VALUE);
        int rawLength = (int) in.varint("blob raw length", Integer.MAX_VALUE);
        List<Id> bases = List.of();
        if (deltas) {
          int countAt = in.pos;
          int count = in.u8("blob base count");
          if (count > maxBases) {
            throw new IllegalArgumentException(
                "index file version "
                    + version
                    + " has base count "
                    + count
                    + " at offset "
                    + countAt
                    + " (at most "
                    + maxBases
                    + ")");
          }
          bases =
              switch (count) {
                case 0 -> List.of();
                case 1 -> List.of(in.id("blob base id"));
                default -> List.of(in.id("blob base id"), in.id("blob second base id"));
              };
        }
        blobs.add(new BlobEntry(id, offset, length, rawLength, bases));
      }
      packs.add(new PackEntries(packId, BlobType.ofCode(code), blobs));
    }
    int supersedesCount = in.count("supersedes count", Id.BYTES);
    List<Id> supersedes = new ArrayList<>(supersedesCount);
    for (int i = 0; i < supersedesCount; i++) {
      supersedes.add(in.id("superseded index id"));
    }
    if (in.remaining() != 0) {
      throw new IllegalArgumentException(
          "index file has " + in.remaining() + " trailing bytes after offset " + in.pos);
    }
    return new Decoded(packs, supersedes);
  }

  static int varintLength(long v) {
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  private static int putVarint(byte[] out, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      out[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[pos++] = (byte) v;
    return pos;
  }

  /** A read position in untrusted input; every read checks the bytes are there. */
  private static final class Cursor {
    private final byte[] buf;
    private int pos;

    Cursor(byte[] buf) {
      this.buf = Objects.requireNonNull(buf, "plaintext");
    }

    int remaining() {
      return buf.length - pos;
    }

    private void need(int n, String what) {
      if (remaining() < n) {
        throw new IllegalArgumentException(
            "index file truncated: "
                + what
                + " at offset "
                + pos
                + " needs "
                + n
                + " bytes, "
                + remaining()
                + " left");
      }
    }

    int u8(String what) {
      need(1, what);
      return buf[pos++] & 0xFF;
    }

    Id id(String what) {
      need(Id.BYTES, what);
      Id id = Id.of(buf, pos);
      pos += Id.BYTES;
      return id;
    }

    /** A minimal unsigned LEB128 varint no larger than {@code max}. */
    long varint(String what, long max) {
      int start = pos;
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        if (shift > 63) {
          throw new IllegalArgumentException(
              "index file " + what + " at offset " + start + " is longer than 10 bytes");
        }
        int b = u8(what);
        long group = b & 0x7F;
        if ((group << shift) >>> shift != group) {
          throw new IllegalArgumentException(
              "index file " + what + " at offset " + start + " overflows 64 bits");
        }
        v |= group << shift;
        if ((b & 0x80) == 0) {
          if (b == 0 && shift > 0) {
            throw new IllegalArgumentException(
                "index file " + what + " at offset " + start + " is not minimally encoded");
          }
          break;
        }
      }
      if (v < 0 || v > max) {
        throw new IllegalArgumentException(
            "index file "
                + what
                + " at offset "
                + start
                + " is "
                + Long.toUnsignedString(v)
                + ", more than "
                + max);
      }
      return v;
    }

    /** A count of items each at least {@code minItemBytes} long, checked against the input left. */
    int count(String what, int minItemBytes) {
      int start = pos;
      long n = varint(what, Integer.MAX_VALUE);
      if (n > remaining() / minItemBytes) {
        throw new IllegalArgumentException(
            "index file "
                + what
                + " "
                + n
                + " at offset "
                + start
                + " is more than the remaining "
                + remaining()
                + " bytes can hold");
      }
      return (int) n;
    }
  }
}
