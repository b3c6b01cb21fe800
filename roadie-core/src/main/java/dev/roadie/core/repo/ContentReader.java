package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.snapshot.Node;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The bytes of a file or stream node, in order. Blobs are fetched ahead (I/O on virtual threads,
 * decryption and decompression on the CPU pool) within a bounded window, and each is verified
 * against its id before a byte of it is returned: a damaged blob fails the read, it is never
 * returned.
 */
public final class ContentReader extends InputStream {
  private static final long WINDOW_BYTES = 8L << 20;
  private static final int WINDOW_BLOBS = 256;

  private final Repository repo;

  /** Largest single ranged read of consecutive blobs: the backend's preferred read size. */
  private final long runBytes;

  private final BlobIndex index;
  private final Iterator<Id> ids;
  private final ArrayDeque<Pending> window = new ArrayDeque<>();
  private long windowBytes;
  private byte[] current = new byte[0];
  private int pos;
  private long delivered;
  private final long expectedSize;
  private final String what;

  private record Pending(CompletableFuture<byte[]> data, int rawLength) {}

  /**
   * Blocks handed back through {@link #recycle}, decoded into again: restoring 1 GiB otherwise
   * allocates 1 GiB of arrays that die at once, a young collection every few dozen MiB, each of
   * which copies the window's live blocks. Bounded by the window: at most as many as it holds.
   */
  private final ConcurrentLinkedQueue<byte[]> spare = new ConcurrentLinkedQueue<>();

  public ContentReader(Repository repo, Node node, String what) throws IOException {
    this.repo = repo;
    this.runBytes = repo.backend().preferredReadSize();
    this.index = repo.index();
    this.ids = chunkIds(repo, node);
    this.expectedSize = node.size() == null ? -1 : node.size();
    dev.roadie.core.crypto.Providers.expect(expectedSize);
    this.what = what;
  }

  /** The node's data blob ids in order, reading chunk-list blobs lazily. */
  public static Iterator<Id> chunkIds(Repository repo, Node node) {
    if (node.content() != null) {
      return node.content().stream().map(Id::parse).iterator();
    }
    List<String> lists = node.contentLists() == null ? List.of() : node.contentLists();
    Iterator<String> listIt = lists.iterator();
    return new Iterator<>() {
      byte[] list = new byte[0];
      int p;

      @Override
      public boolean hasNext() {
        while (p >= list.length && listIt.hasNext()) {
          Id listId = Id.parse(listIt.next());
          try {
            list = repo.readBlob(listId);
          } catch (IOException e) {
            throw new RoadieException(
                ErrorCode.FAILURE,
                "reading chunk list " + listId.shortHex() + ": " + e.getMessage(),
                e);
          }
          if (list.length % Id.BYTES != 0) {
            throw new RoadieException(
                ErrorCode.INTEGRITY, "chunk list " + listId.shortHex() + " has a partial id");
          }
          p = 0;
        }
        return p < list.length;
      }

      @Override
      public Id next() {
        if (!hasNext()) throw new NoSuchElementException();
        Id id = Id.of(list, p);
        p += Id.BYTES;
        return id;
      }
    };
  }

  private BlobLocation lookahead;

  private BlobLocation nextLocation() {
    if (lookahead != null) {
      BlobLocation l = lookahead;
      lookahead = null;
      return l;
    }
    if (!ids.hasNext()) return null;
    Id id = ids.next();
    BlobLocation loc = index.get(id);
    if (loc == null) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          what
              + ": blob "
              + id.shortHex()
              + " is not in the repository's index: data is missing (run 'roadie check')");
    }
    return loc;
  }

  /**
   * Schedules reads until the window is full. Blobs stored one after another in the same pack (the
   * usual case: a stream's chunks are packed in order) are fetched with one ranged read, so a
   * restore makes about one request per pack rather than one per chunk.
   */
  private void fill() {
    while (window.size() < WINDOW_BLOBS && (window.isEmpty() || windowBytes < WINDOW_BYTES)) {
      BlobLocation first = nextLocation();
      if (first == null) return;
      List<BlobLocation> run = new java.util.ArrayList<>();
      run.add(first);
      long end = first.offset() + first.length();
      while (run.size() < WINDOW_BLOBS && end - first.offset() < runBytes) {
        BlobLocation next = nextLocation();
        if (next == null) break;
        if (!next.packId().equals(first.packId()) || next.offset() != end) {
          lookahead = next;
          break;
        }
        run.add(next);
        end += next.length();
      }
      long start = first.offset();
      int length = (int) (end - start);
      ObjectName pack = ObjectName.of(ObjectKind.PACK, first.packId().hex());
      // One key derivation per ranged read, not per blob: its blobs share the pack.
      byte[] packKey = repo.key().packKey(first.packId());
      CompletableFuture<byte[]> sealed =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return repo.backend().readRange(pack, start, length);
                } catch (IOException e) {
                  throw new CompletionException(e);
                }
              },
              repo.io());
      for (BlobLocation loc : run) {
        int off = (int) (loc.offset() - start);
        CompletableFuture<byte[]> data;
        if (!loc.isDelta()) {
          data =
              sealed.thenApplyAsync(
                  b ->
                      repo.openBlob(
                          loc, packKey, b, off, Compression.NO_BASES, spareOf(loc.rawLength())),
                  repo.cpu());
        } else {
          // A delta: its bases are read alongside (shared by neighbours through the repository's
          // cache).
          java.util.Map<Id, CompletableFuture<byte[]>> bases = new java.util.HashMap<>();
          for (Id baseId : loc.bases()) bases.put(baseId, repo.baseAsync(baseId));
          data =
              CompletableFuture.allOf(bases.values().toArray(CompletableFuture[]::new))
                  .thenCombineAsync(
                      sealed,
                      (ready, b) ->
                          repo.openBlob(
                              loc,
                              packKey,
                              b,
                              off,
                              id ->
                                  bases.containsKey(id)
                                      ? bases.get(id).join()
                                      : repo.basePlaintext(id)),
                      repo.cpu());
        }
        window.add(new Pending(data, loc.rawLength()));
        windowBytes += loc.rawLength();
      }
    }
  }

  private boolean advance() throws IOException {
    while (pos >= current.length) {
      fill();
      Pending next = window.poll();
      if (next == null) {
        if (expectedSize >= 0 && delivered != expectedSize) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              what + ": content has " + delivered + " bytes, the snapshot records " + expectedSize);
        }
        return false;
      }
      windowBytes -= next.rawLength();
      try {
        current = next.data().join();
      } catch (CompletionException e) {
        Throwable c = e.getCause();
        if (c instanceof RoadieException r) {
          throw new RoadieException(r.code(), what + ": " + r.getMessage(), r);
        }
        throw new IOException(what + ": " + c.getMessage(), c);
      }
      pos = 0;
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    if (!advance()) return -1;
    delivered++;
    return current[pos++] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (!advance()) return -1;
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    delivered += n;
    return n;
  }

  /** Hands over the next whole blob's bytes (no copy); null at the end. */
  public byte[] nextBlock() throws IOException {
    if (!advance()) return null;
    byte[] out = pos == 0 ? current : java.util.Arrays.copyOfRange(current, pos, current.length);
    delivered += out.length;
    pos = current.length;
    return out;
  }

  /**
   * Hands back a block that {@link #nextBlock} returned and that the caller no longer uses: a later
   * blob of the same length is decoded into it. Optional; a block must not be used after this.
   */
  public void recycle(byte[] block) {
    if (block.length > 0 && spare.size() < WINDOW_BLOBS) spare.add(block);
  }

  /** A recycled block of exactly {@code length} bytes, or null. */
  private byte[] spareOf(int length) {
    byte[] b = spare.poll();
    return b != null && b.length == length
        ? b
        : null; // another length (a file's last chunk) is left to the GC
  }

  @Override
  public void close() {
    for (Pending p : window) {
      p.data().cancel(false);
    }
    window.clear();
  }
}
