package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackReader;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * Reads blobs of a {@link Repository} (whose public methods delegate here): finds them in the
 * index, reads their bytes from packs, authenticates and decodes them, and keeps the plaintexts of
 * recent delta bases, which consecutive delta blobs share.
 */
final class BlobReader {
  private final Repository repo;

  BlobReader(Repository repo) {
    this.repo = repo;
  }

  /**
   * Reads, authenticates and verifies one blob. Fails with an INTEGRITY error when it is damaged.
   */
  byte[] readBlob(Id blobId) throws IOException {
    BlobLocation loc = repo.index().get(blobId);
    if (loc == null) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "blob "
              + blobId.shortHex()
              + " is not in the index: the repository is missing data (run 'roadie check')");
    }
    return readBlob(loc);
  }

  byte[] readBlob(BlobLocation loc) throws IOException {
    byte[] sealed =
        repo.backend()
            .readRange(
                ObjectName.of(ObjectKind.PACK, loc.packId().hex()), loc.offset(), loc.length());
    return openBlob(loc, sealed, 0);
  }

  /**
   * Opens a blob whose sealed bytes start at {@code off} of {@code buf}; a delta blob's base is
   * read (or taken from the cache of recent bases) to decode it.
   */
  byte[] openBlob(BlobLocation loc, byte[] buf, int off) {
    return openBlob(loc, buf, off, this::basePlaintext);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], int)} with the base's plaintext from {@code bases}.
   */
  byte[] openBlob(BlobLocation loc, byte[] buf, int off, Compression.Bases bases) {
    return openBlob(loc, repo.key().packKey(loc.packId()), buf, off, bases);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], int, Compression.Bases)} with the key of the blob's
   * pack derived by the caller ({@link MasterKey#packKey}), who opens several blobs of one pack.
   */
  byte[] openBlob(BlobLocation loc, byte[] packKey, byte[] buf, int off, Compression.Bases bases) {
    return openBlob(loc, packKey, buf, off, bases, null);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], byte[], int, Compression.Bases)}, decoding into
   * {@code into} when that is exactly the blob's raw length (see {@link
   * PackReader#openBlob(MasterKey, byte[], Id, PackEntry, byte[], int, Compression.Bases,
   * byte[])}).
   */
  byte[] openBlob(
      BlobLocation loc, byte[] packKey, byte[] buf, int off, Compression.Bases bases, byte[] into) {
    PackEntry entry =
        new PackEntry(loc.type(), loc.blobId(), loc.offset(), loc.length(), loc.rawLength());
    return PackReader.openBlob(repo.key(), packKey, loc.packId(), entry, buf, off, bases, into);
  }

  /**
   * Bases read recently: consecutive delta chunks usually have consecutive bases, each used once or
   * twice.
   */
  private static final int BASE_CACHE = 64;

  private final java.util.Map<Id, CompletableFuture<byte[]>> bases =
      java.util.Collections.synchronizedMap(
          new java.util.LinkedHashMap<>(BASE_CACHE * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(
                java.util.Map.Entry<Id, CompletableFuture<byte[]>> e) {
              return size() > BASE_CACHE;
            }
          });

  /**
   * The plaintext of a delta's base, read on an I/O thread (shared by concurrent requests for the
   * same base). A base must be stored in full: one that is itself a delta fails the read.
   */
  CompletableFuture<byte[]> baseAsync(Id baseId) {
    CompletableFuture<byte[]> f;
    boolean mine = false;
    synchronized (bases) {
      f = bases.get(baseId);
      if (f == null || f.isCompletedExceptionally()) {
        f = new CompletableFuture<>();
        bases.put(baseId, f);
        mine = true;
      }
    }
    if (mine) {
      CompletableFuture<byte[]> out = f;
      repo.io()
          .execute(
              () -> {
                try {
                  BlobLocation loc = repo.index().get(baseId);
                  if (loc == null) {
                    throw new RoadieException(
                        ErrorCode.INTEGRITY,
                        "base blob "
                            + baseId.shortHex()
                            + " is not in the index: the repository is missing data (run 'roadie check')");
                  }
                  byte[] sealed =
                      repo.backend()
                          .readRange(
                              ObjectName.of(ObjectKind.PACK, loc.packId().hex()),
                              loc.offset(),
                              loc.length());
                  out.complete(openBlob(loc, sealed, 0, Compression.NO_BASES));
                } catch (Throwable t) {
                  out.completeExceptionally(t);
                }
              });
    }
    return f;
  }

  /** {@link #baseAsync}, waited for. */
  byte[] basePlaintext(Id baseId) {
    try {
      return baseAsync(baseId).join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RoadieException r)
        throw new RoadieException(r.code(), "base " + baseId.shortHex() + ": " + r.getMessage(), r);
      throw new RoadieException(
          ErrorCode.FAILURE, "reading base blob " + baseId.shortHex() + ": " + c.getMessage(), c);
    }
  }
}
