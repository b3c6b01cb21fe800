package dev.roadie.core.pack;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.Aead;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.MasterKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads packs: the header from the tail, and single blobs (authenticated, decompressed,
 * id-checked).
 */
public final class PackReader {
  /** Most headers fit: 64 KiB holds about 1,400 entries; larger ones take a second read. */
  private static final int TAIL_GUESS = 64 * 1024;

  private PackReader() {}

  /** Reads and authenticates a pack's header. Fails with an INTEGRITY error when it was changed. */
  public static List<PackEntry> readHeader(Backend backend, MasterKey key, Id packId)
      throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.PACK, packId.hex());
    long size = backend.size(name);
    if (size < 0) {
      throw new dev.roadie.core.backend.NoSuchObjectException(name, backend.location());
    }
    String what = "pack " + packId.shortHex() + " header";
    if (size < PackFormat.MAGIC.length + Aead.OVERHEAD + 5 + 4) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, what + ": pack is truncated (" + size + " bytes)");
    }
    int guess = (int) Math.min(size, TAIL_GUESS);
    byte[] tail = backend.readRange(name, size - guess, guess);
    int sealedLength = PackFormat.getInt(tail, tail.length - 4);
    if (sealedLength < Aead.OVERHEAD + 5 || sealedLength > size - PackFormat.MAGIC.length - 4) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          what + " has an impossible length " + sealedLength + ": the pack was changed or damaged");
    }
    byte[] sealed;
    if (sealedLength + 4 <= tail.length) {
      sealed = Arrays.copyOfRange(tail, tail.length - 4 - sealedLength, tail.length - 4);
    } else {
      sealed = backend.readRange(name, size - 4 - sealedLength, sealedLength);
    }
    return parseHeader(key, packId, sealed, size - 4 - sealedLength, what);
  }

  /** Parses a whole pack's bytes (for check --read-data): the header's entries. */
  public static List<PackEntry> headerOf(byte[] pack, MasterKey key, Id packId) {
    String what = "pack " + packId.shortHex() + " header";
    if (pack.length < PackFormat.MAGIC.length + Aead.OVERHEAD + 5 + 4) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, what + ": pack is truncated (" + pack.length + " bytes)");
    }
    if (!Arrays.equals(
        pack, 0, PackFormat.MAGIC.length, PackFormat.MAGIC, 0, PackFormat.MAGIC.length)) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, "pack " + packId.shortHex() + " does not start with the pack magic");
    }
    int sealedLength = PackFormat.getInt(pack, pack.length - 4);
    if (sealedLength < Aead.OVERHEAD + 5
        || sealedLength > pack.length - PackFormat.MAGIC.length - 4) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, what + " has an impossible length " + sealedLength);
    }
    int start = pack.length - 4 - sealedLength;
    return parseHeader(key, packId, Arrays.copyOfRange(pack, start, pack.length - 4), start, what);
  }

  private static List<PackEntry> parseHeader(
      MasterKey key, Id packId, byte[] sealed, long headerStart, String what) {
    byte[] header =
        Aead.open(
            key.packKey(packId), PackFormat.headerAad(packId), sealed, 0, sealed.length, what);
    if (header.length < 5 || header[0] != PackFormat.HEADER_VERSION) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          what + " has unknown version " + (header.length > 0 ? header[0] : -1));
    }
    int count = PackFormat.getInt(header, 1);
    if (count < 0 || (long) count * PackFormat.ENTRY_BYTES != header.length - 5) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          what + " lists " + count + " blobs but has " + header.length + " bytes");
    }
    List<PackEntry> entries = new ArrayList<>(count);
    for (int i = 0, p = 5; i < count; i++, p += PackFormat.ENTRY_BYTES) {
      BlobType type = BlobType.ofCode(header[p]);
      long offset = Integer.toUnsignedLong(PackFormat.getInt(header, p + 33));
      int length = PackFormat.getInt(header, p + 37);
      int raw = PackFormat.getInt(header, p + 41);
      if (offset < PackFormat.MAGIC.length
          || length < Aead.OVERHEAD
          || offset + length > headerStart
          || raw < 0) {
        throw new RoadieException(
            ErrorCode.INTEGRITY, what + " entry " + i + " points outside the pack's blob area");
      }
      entries.add(new PackEntry(type, Id.of(header, p + 1), offset, length, raw));
    }
    return entries;
  }

  /**
   * Opens one sealed blob: authenticates it against its id and type, decompresses it, and checks
   * that the plaintext's keyed hash is its id. Any mismatch is an INTEGRITY error naming the blob
   * and pack.
   */
  public static byte[] openBlob(
      MasterKey key, byte[] packKey, Id packId, PackEntry entry, byte[] sealed, int off) {
    return openBlob(key, packKey, packId, entry, sealed, off, Compression.NO_BASES);
  }

  /**
   * As {@link #openBlob}; a delta blob is decoded against its base's plaintext from {@code bases}.
   */
  public static byte[] openBlob(
      MasterKey key,
      byte[] packKey,
      Id packId,
      PackEntry entry,
      byte[] sealed,
      int off,
      Compression.Bases bases) {
    return openBlob(key, packKey, packId, entry, sealed, off, bases, null);
  }

  /**
   * As {@link #openBlob(MasterKey, byte[], Id, PackEntry, byte[], int, Compression.Bases)}, with
   * the plaintext decoded into {@code into} when that is exactly the blob's length (a buffer the
   * caller reuses); returns the array that holds the plaintext.
   */
  public static byte[] openBlob(
      MasterKey key,
      byte[] packKey,
      Id packId,
      PackEntry entry,
      byte[] sealed,
      int off,
      Compression.Bases bases,
      byte[] into) {
    return open(key, packKey, packId, entry, sealed, off, bases, into)[1];
  }

  /**
   * As {@link #openBlob}, verified the same way, but returns the blob's compression-framed
   * plaintext, ready to be sealed into another pack without compressing it again (repacking).
   */
  public static byte[] openFramed(
      MasterKey key,
      byte[] packKey,
      Id packId,
      PackEntry entry,
      byte[] sealed,
      int off,
      Compression.Bases bases) {
    return open(key, packKey, packId, entry, sealed, off, bases, null)[0];
  }

  private static byte[][] open(
      MasterKey key,
      byte[] packKey,
      Id packId,
      PackEntry entry,
      byte[] sealed,
      int off,
      Compression.Bases bases,
      byte[] into) {
    String what = "blob " + entry.id().shortHex() + " in pack " + packId.shortHex();
    byte[] framed =
        Aead.open(
            packKey,
            PackFormat.blobAad(entry.type(), entry.id()),
            sealed,
            off,
            entry.length(),
            what);
    byte[] plain = Compression.unpack(framed, entry.rawLength(), what, bases, into);
    if (!key.blobId(plain).equals(entry.id())) {
      throw new RoadieException(ErrorCode.INTEGRITY, what + " does not hash to its id");
    }
    return new byte[][] {framed, plain};
  }
}
