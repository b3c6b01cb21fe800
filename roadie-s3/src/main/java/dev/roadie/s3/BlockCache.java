package dev.roadie.s3;

import dev.roadie.core.backend.ObjectName;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Read-ahead for small ranged reads of packs, so a restore makes a few requests per pack instead of
 * one per blob. The engine fills several packs at once (one per CPU worker), so a stream's
 * consecutive chunks are spread over those packs and are rarely adjacent in any one of them; on S3
 * each chunk read would otherwise be its own GET (about 12,000 per GiB restored).
 *
 * <p>The first small read of a pack is served exactly. From the second read of the same pack on,
 * small reads are served from aligned {@value #BLOCK}-byte blocks of the pack, each fetched with
 * one ranged GET; concurrent readers of one block wait for the same request. At most {@value
 * #MAX_BLOCKS} blocks are kept (least recently used are dropped), so this costs at most {@value
 * #MAX_BLOCKS} x 2 MiB of memory. Reads larger than half a block, and reads that cross a block
 * boundary, go straight to S3.
 */
final class BlockCache {
  static final int BLOCK = 2 << 20;
  static final int MAX_BLOCKS = 24;
  private static final int MAX_SEEN = 4096;

  private record Key(String pack, long index) {}

  private final S3Backend backend;
  private final Map<Key, CompletableFuture<byte[]>> blocks =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<byte[]>> e) {
          return size() > MAX_BLOCKS;
        }
      };

  /** Packs read at least once (bounded: cleared when it grows past MAX_SEEN). */
  private final Set<String> seen = new HashSet<>();

  BlockCache(S3Backend backend) {
    this.backend = backend;
  }

  /**
   * The bytes from the cache (fetching their block), or null when the caller should read directly.
   */
  byte[] read(ObjectName pack, long offset, int length) throws IOException {
    if (length > BLOCK / 2) return null;
    long index = offset / BLOCK;
    if ((offset + length - 1) / BLOCK != index) return null;
    Key key = new Key(pack.id(), index);
    CompletableFuture<byte[]> f;
    boolean load = false;
    synchronized (this) {
      f = blocks.get(key);
      if (f == null) {
        if (seen.add(pack.id())) {
          if (seen.size() > MAX_SEEN) seen.clear();
          return null; // first read of this pack: maybe a single blob, read it exactly
        }
        f = new CompletableFuture<>();
        blocks.put(key, f);
        load = true;
      }
    }
    if (load) {
      try {
        // A block past the pack's end comes back short (S3 answers with the bytes there are).
        f.complete(backend.readRangeToEnd(pack, index * BLOCK, BLOCK));
      } catch (IOException | RuntimeException e) {
        synchronized (this) {
          blocks.remove(key, f);
        }
        f.completeExceptionally(e);
      }
    }
    byte[] block;
    try {
      block = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } catch (ExecutionException e) {
      return null; // the block read failed: the direct read reports the error in its own words
    }
    int from = (int) (offset - index * BLOCK);
    if (from + length > block.length) return null; // past the end: the direct read says so
    return Arrays.copyOfRange(block, from, from + length);
  }
}
