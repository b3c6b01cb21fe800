package dev.roadie.core.pack;

import dev.roadie.core.Id;
import dev.roadie.core.crypto.Aead;
import dev.roadie.core.crypto.MasterKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds one pack in memory. Not thread-safe: each worker owns its own writer, so blobs are
 * encrypted in parallel without a lock. The caller uploads {@link #finish()}'s bytes.
 */
public final class PackWriter {
  /** The most blobs one pack holds, whatever their size. */
  public static final int MAX_ENTRIES = 65_536;

  private final Id packId;
  private final BlobType type;
  private final byte[] key;
  private final int targetSize;
  private final List<PackEntry> entries = new ArrayList<>();

  /** Delta blobs sealed so far and their bases (read from the compression frame). */
  private final java.util.Map<Id, List<Id>> bases = new java.util.HashMap<>();

  private byte[] buf;
  private int size;
  private long counter;
  private boolean finished;

  public PackWriter(MasterKey masterKey, BlobType type, int targetSize) {
    this(
        masterKey,
        type,
        targetSize,
        new byte[Math.min(targetSize, 1 << 20) + PackFormat.MAGIC.length]);
  }

  /**
   * A writer that fills {@code buffer} (grown only if a blob does not fit), so callers can recycle
   * buffers of {@link #bufferSize} bytes between packs instead of allocating 16 MiB per pack.
   */
  public PackWriter(MasterKey masterKey, BlobType type, int targetSize, byte[] buffer) {
    this(masterKey, Id.random(), type, targetSize, buffer);
  }

  /** With a given pack id: for known-answer tests only; real packs have random ids. */
  PackWriter(MasterKey masterKey, Id packId, BlobType type, int targetSize, byte[] buffer) {
    this.packId = packId;
    this.type = type;
    this.key = masterKey.packKey(packId);
    this.targetSize = targetSize;
    this.buf = buffer;
    System.arraycopy(PackFormat.MAGIC, 0, buf, 0, PackFormat.MAGIC.length);
    this.size = PackFormat.MAGIC.length;
  }

  public Id id() {
    return packId;
  }

  public BlobType type() {
    return type;
  }

  /**
   * Seals one blob into the pack. {@code plaintext} is the compression-framed plaintext (see {@link
   * dev.roadie.core.crypto.Compression}); {@code rawLength} is the chunk's size before compression.
   */
  public PackEntry add(Id blobId, byte[] plaintext, int rawLength) {
    return add(blobId, plaintext, plaintext.length, rawLength);
  }

  /** As {@link #add(Id, byte[], int)} with the plaintext in {@code plaintext[0, length)}. */
  public PackEntry add(Id blobId, byte[] plaintext, int length, int rawLength) {
    if (finished) {
      throw new IllegalStateException("pack " + packId + " is finished");
    }
    ensure(length + Aead.OVERHEAD);
    if (length > 0) {
      noteBases(blobId, plaintext[0], plaintext, 1, length - 1);
    }
    int n =
        Aead.seal(
            key,
            PackFormat.counterNonce(counter++),
            PackFormat.blobAad(type, blobId),
            plaintext,
            0,
            length,
            buf,
            size);
    PackEntry e = new PackEntry(type, blobId, size, n, rawLength);
    entries.add(e);
    size += n;
    return e;
  }

  /**
   * As {@link #add(Id, byte[], int)} with the compression-framed plaintext given as its flag byte
   * and payload {@code payload[off, off+len)}, so a chunk stored raw is sealed straight from the
   * caller's buffer.
   */
  public PackEntry add(Id blobId, byte flag, byte[] payload, int off, int len, int rawLength) {
    if (finished) {
      throw new IllegalStateException("pack " + packId + " is finished");
    }
    ensure(1 + len + Aead.OVERHEAD);
    noteBases(blobId, flag, payload, off, len);
    int n =
        Aead.seal(
            key,
            PackFormat.counterNonce(counter++),
            PackFormat.blobAad(type, blobId),
            flag,
            payload,
            off,
            len,
            buf,
            size);
    PackEntry e = new PackEntry(type, blobId, size, n, rawLength);
    entries.add(e);
    size += n;
    return e;
  }

  private void noteBases(Id blobId, byte flag, byte[] payload, int off, int len) {
    List<Id> b = dev.roadie.core.crypto.Compression.deltaBases(flag, payload, off, len);
    if (!b.isEmpty()) bases.put(blobId, b);
  }

  /**
   * A buffer size that holds a full pack whose blobs are at most {@code maxBlob} bytes: no growth.
   */
  public static int bufferSize(int targetSize, int maxBlob) {
    return PackFormat.MAGIC.length + targetSize + maxBlob + Aead.OVERHEAD + (1 << 20);
  }

  /** The buffer this writer filled; after the pack is uploaded it may be handed to a new writer. */
  public byte[] buffer() {
    return buf;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * Whether the pack should be sealed: it reached its target size, or holds {@link #MAX_ENTRIES}
   * blobs (tiny blobs would otherwise keep hundreds of thousands of entries waiting in one open
   * pack, in memory, and in one header).
   */
  public boolean isFull() {
    return size >= targetSize || entries.size() >= MAX_ENTRIES;
  }

  public int size() {
    return size;
  }

  /** The bases of a delta blob sealed into this pack; empty for a blob stored in full. */
  public List<Id> basesOf(Id blobId) {
    return bases.getOrDefault(blobId, List.of());
  }

  public List<PackEntry> entries() {
    return List.copyOf(entries);
  }

  /** Appends the sealed header and its length; returns the whole pack. */
  public ByteBuffer finish() {
    finished = true;
    byte[] header = new byte[5 + entries.size() * PackFormat.ENTRY_BYTES];
    header[0] = PackFormat.HEADER_VERSION;
    PackFormat.putInt(header, 1, entries.size());
    int p = 5;
    for (PackEntry e : entries) {
      header[p] = (byte) e.type().code();
      e.id().writeTo(header, p + 1);
      PackFormat.putInt(header, p + 33, (int) e.offset());
      PackFormat.putInt(header, p + 37, e.length());
      PackFormat.putInt(header, p + 41, e.rawLength());
      p += PackFormat.ENTRY_BYTES;
    }
    ensure(header.length + Aead.OVERHEAD + 4);
    int n =
        Aead.seal(
            key,
            PackFormat.HEADER_NONCE,
            PackFormat.headerAad(packId),
            header,
            0,
            header.length,
            buf,
            size);
    size += n;
    PackFormat.putInt(buf, size, n);
    size += 4;
    return ByteBuffer.wrap(buf, 0, size);
  }

  /** Room for {@code extra} more bytes: the buffer doubles, up to what a full pack needs. */
  private void ensure(int extra) {
    if (size + extra > buf.length) {
      buf =
          Arrays.copyOf(
              buf, Math.max(size + extra, Math.min(buf.length * 2, bufferSize(targetSize, extra))));
    }
  }
}
