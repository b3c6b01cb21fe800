package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.chunk.Chunker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.chunk.FastCdc;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackWriter;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes one snapshot: streams in, blobs into packs, packs uploaded, then index, then snapshot.
 *
 * <p>Pipeline: the caller's thread reads and chunks a stream; each chunk is hashed, looked up and
 * compressed on the CPU pool (the costly part, in parallel); the caller then seals the results into
 * the open pack in stream order (AES-GCM is cheap next to zstd), so a stream's chunks lie together
 * in packs; a full pack is uploaded on a virtual thread. Chunks in flight and uploads in flight are
 * bounded, and pack buffers are recycled, so memory stays flat whatever the stream's size. Several
 * threads may write streams at once (tables of a database); they share the open pack.
 *
 * <p>Write order: a pack's blobs enter the index only after the pack is durable; an index file is
 * written after the packs it names (one per {@link #INDEX_FILE_BLOBS} blobs, the last at the
 * commit); the snapshot last. If anything fails, no snapshot is written, and the packs already
 * uploaded are harmless leftovers that {@code check} reports and {@code prune} removes.
 */
public final class BackupWriter implements AutoCloseable {
  /** Chunk ids per chunk-list blob (8192 x 32 bytes = 256 KiB). */
  static final int LIST_SIZE = 8192;

  /** Content with up to this many chunks is stored inline in its tree node. */
  static final int INLINE_CHUNKS = 1024;

  private static final int UPLOADS_IN_FLIGHT = 2;

  /** The size a pooled pack buffer starts at. */
  private static final int INITIAL_PACK_BUFFER = 1 << 20;

  // Package-private where the DeltaCursor of a stream reads them.
  final Repository repo;
  final BlobIndex index;
  private final Progress progress;
  private final Lease lease;
  private final int workers = Runtime.getRuntime().availableProcessors();

  /**
   * The open data pack, shared by every stream of this backup. Chunks are hashed and compressed in
   * parallel but sealed into it in stream order, so a stream's new chunks lie one after another in
   * a pack and a restore reads them with a few large ranged reads instead of one per chunk.
   */
  private final Object dataLock = new Object();

  private PackWriter dataPack;

  /**
   * A chunk after the parallel stage: its id and, when it must be stored, either its zstd payload
   * ({@code compressed}) or, when compression did not pay, the chunk itself ({@code raw}, sealed
   * straight from the chunker's buffer and released then), or its framed plaintext as a delta
   * ({@code delta}: flag, base ids, zstd frame).
   */
  record Prepared(Id id, byte[] compressed, Chunker.Chunk raw, int rawLength, byte[] delta) {
    Prepared(Id id, byte[] compressed, Chunker.Chunk raw, int rawLength) {
      this(id, compressed, raw, rawLength, null);
    }

    boolean isNew() {
      return compressed != null || raw != null || delta != null;
    }
  }

  private final Object metadataLock = new Object();
  private PackWriter metadataPack;
  private final Semaphore uploadSlots = new Semaphore(UPLOADS_IN_FLIGHT);

  /** Pack buffers are recycled: one per open pack and per upload in flight, allocated on demand. */
  private final BlockingQueue<byte[]> freeBuffers =
      new java.util.concurrent.LinkedBlockingQueue<>();

  private final java.util.concurrent.atomic.AtomicInteger buffersAllocated =
      new java.util.concurrent.atomic.AtomicInteger();
  private final int maxBuffers = 1 + UPLOADS_IN_FLIGHT;
  private final Phaser uploads = new Phaser(1);
  private final Set<Id> pending = ConcurrentHashMap.newKeySet();
  private final Set<Id> storedPacks = ConcurrentHashMap.newKeySet();

  /**
   * With object lock: when each listed pack was written, to tell whose retention may end too soon.
   */
  private final java.util.Map<Id, java.time.Instant> packWritten = new ConcurrentHashMap<>();

  final Set<Id> reusedPacks = ConcurrentHashMap.newKeySet();

  /** Every pack this backup wrote (durable). */
  private final Set<Id> writtenPacks = ConcurrentHashMap.newKeySet();

  /**
   * The blobs of written packs not yet named by an index file of this backup, and how many. Once
   * {@link #INDEX_FILE_BLOBS} have gathered they go into an index file at once, so a backup of
   * millions of small blobs holds at most that many entries besides the in-memory index.
   */
  private final Object indexLock = new Object();

  private List<IndexFile.PackEntries> unindexed = new ArrayList<>();
  private int unindexedBlobs;
  private int indexFileBlobs = INDEX_FILE_BLOBS;

  /** Blobs per index file written while the backup runs (the last one may hold fewer). */
  static final int INDEX_FILE_BLOBS = 65_536;

  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final long startNanos = System.nanoTime();
  private boolean committed;

  /**
   * Packs named by deletion plans when this backup started: blobs found only there are stored
   * again.
   */
  final Set<Id> plannedPacks;

  /** For tests: runs in {@link #commit} after the index file is written, before the snapshot. */
  volatile Runnable beforeSnapshot = () -> {};

  public BackupWriter(Repository repo, Progress progress) throws IOException {
    this.repo = repo;
    this.progress = progress;
    // The lease is written before deletion plans are read, so a prune either sees this writer's
    // lease or this writer sees the prune's plan (DESIGN.md, "Concurrency and deletion").
    this.lease = new Lease(repo, "backup");
    try {
      this.index = repo.index();
      // Listed after the index was loaded: every pack an index names was written before its index.
      // With an empty index there is nothing to reuse, so nothing to check against the listing of
      // packs or of deletion plans: a first backup skips both (two requests fewer on S3).
      if (index.size() > 0) {
        for (var info : repo.backend().list(ObjectKind.PACK)) {
          storedPacks.add(Id.parse(info.name().id()));
          if (repo.lock() != null && info.modified() != null)
            packWritten.put(Id.parse(info.name().id()), info.modified());
        }
        this.plannedPacks = DeletionPlan.plannedPacks(repo);
      } else {
        this.plannedPacks = Set.of();
      }
    } catch (IOException | RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  public Progress progress() {
    return progress;
  }

  /** For tests in this package: blobs per index file written while the backup runs. */
  void indexFileBlobs(int blobs) {
    this.indexFileBlobs = blobs;
  }

  /** For tests in this package: the writer's lease. */
  Lease lease() {
    return lease;
  }

  private PackWriter newPack(BlobType type) throws IOException {
    if (type == BlobType.METADATA) {
      // Trees and chunk lists are small: a buffer that grows as needed, not a pooled 17 MiB one.
      return new PackWriter(repo.key(), type, repo.config().packSize());
    }
    byte[] buffer = freeBuffers.poll();
    if (buffer == null) {
      if (buffersAllocated.incrementAndGet() > maxBuffers) {
        try {
          buffer =
              freeBuffers.take(); // all buffers are in open packs or uploads: wait for an upload
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      } else {
        // A buffer starts small and grows with the packs it fills (doubling, up to a full pack),
        // then is reused at that size: packs of many tiny blobs seal at their blob count
        // (PackWriter.MAX_ENTRIES) with a few MiB, and their backups need not hold buffers sized
        // for 16 MiB.
        buffer =
            new byte
                [Math.min(
                    INITIAL_PACK_BUFFER,
                    PackWriter.bufferSize(
                        repo.config().packSize(), Compression.bound(ChunkerParams.FILE.max())))];
      }
    }
    return new PackWriter(repo.key(), type, repo.config().packSize(), buffer);
  }

  /**
   * A source's cheap way to recognise a chunk without hashing it: given a chunk's offset in its
   * stream and its bytes, the id of a blob the source knows holds exactly these bytes, or null. The
   * source answers from its own knowledge (PostgreSQL: every page of the chunk is older than the
   * parent backup, so the parent's chunk at this offset holds the same bytes); an answer is used
   * only if that blob is stored where this backup may reference it, else the chunk is hashed.
   */
  @FunctionalInterface
  public interface KnownChunks {
    Id lookup(long offset, byte[] data, int off, int len) throws IOException;
  }

  private final java.util.concurrent.atomic.AtomicLong knownChunks =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong knownBytes =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Chunks taken as known blobs from {@link KnownChunks} (neither hashed nor compressed), and their
   * bytes.
   */
  public long[] knownChunks() {
    return new long[] {knownChunks.get(), knownBytes.get()};
  }

  private volatile int level = Compression.DEFAULT_LEVEL;

  /**
   * The zstd level of the data chunks stored from now on (readers need no setting: any level
   * decompresses alike).
   */
  public void compressionLevel(int level) {
    this.level = level;
  }

  /**
   * Chunks and stores a stream; returns where its bytes went. The stream is read to its end, not
   * closed.
   */
  public Content writeStream(InputStream in, ChunkerParams params) throws IOException {
    return write(in, params, null, null, -1);
  }

  /**
   * As {@link #writeStream(InputStream, ChunkerParams)} for a stream of about {@code expectedSize}
   * bytes (an object whose length is known), whose read buffer is sized to fit it.
   */
  public Content writeStream(InputStream in, ChunkerParams params, long expectedSize)
      throws IOException {
    return write(in, params, null, null, expectedSize);
  }

  /**
   * As {@link #writeStream(InputStream, ChunkerParams)}, taking chunks {@code known} recognises
   * without hashing them.
   */
  public Content writeStream(InputStream in, ChunkerParams params, KnownChunks known)
      throws IOException {
    return write(in, params, known, null, -1);
  }

  /**
   * As {@link #writeStream(InputStream, ChunkerParams)}, storing a changed chunk as a delta against
   * the chunk at the same place of {@code parent}, the same stream in the parent snapshot (null:
   * none), when that is clearly smaller (docs/repository-format.md §6).
   *
   * <p>A cursor walks the parent's chunks as the stream goes: after a chunk that is the parent's
   * chunk j, it moves to j+1; a new chunk takes the parent chunk under the cursor as its base (or
   * that chunk's own base, if it is a delta: deltas are one level deep), alone or with the parent
   * chunk before or after it as a second base, and the cursor moves on by the chunk's length. Bases
   * are read from the repository as they are needed, ahead of the chunks that use them and in
   * parallel, and never from a pack that a deletion plan names.
   */
  public Content writeStream(InputStream in, ChunkerParams params, ParentStream parent)
      throws IOException {
    return write(in, params, null, parent, -1);
  }

  /**
   * The one write loop behind every {@code writeStream}: chunks are hashed and compressed on the
   * CPU pool ({@code window}); with a parent, each prepared chunk then passes the delta cursor,
   * whose delta is made on the pool too ({@code deltas}); results are appended in stream order.
   */
  private Content write(
      InputStream in,
      ChunkerParams params,
      KnownChunks known,
      ParentStream parent,
      long expectedSize)
      throws IOException {
    Chunker chunker = new Chunker(in, new FastCdc(params, repo.gear()), expectedSize);
    ContentBuilder content = new ContentBuilder();
    DeltaCursor cursor = parent == null ? null : new DeltaCursor(this, parent);
    ArrayDeque<Future<Prepared>> window = new ArrayDeque<>();
    ArrayDeque<Future<Prepared>> deltas = new ArrayDeque<>();
    // About 8 MiB of chunks in flight keeps every worker busy without holding much memory.
    int maxInFlight = Math.clamp((8 << 20) / params.avg(), 2 * workers + 2, 256);
    try {
      Chunker.Chunk chunk;
      while ((chunk = chunker.next()) != null) {
        checkFailure();
        Chunker.Chunk c = chunk;
        progress.bytesRead.addAndGet(c.length());
        long offset = content.size;
        content.size += c.length();
        Id id = known == null ? null : known.lookup(offset, c.array(), c.from(), c.length());
        if (id != null && isStored(id)) {
          int len = c.length();
          knownChunks.incrementAndGet();
          knownBytes.addAndGet(len);
          c.release();
          window.add(CompletableFuture.completedFuture(new Prepared(id, null, null, len)));
        } else {
          window.add(repo.cpu().submit(() -> prepare(c, cursor != null)));
        }
        while (window.size() >= maxInFlight) {
          pass(window.poll(), cursor, deltas, content, maxInFlight);
        }
      }
      while (!window.isEmpty()) {
        pass(window.poll(), cursor, deltas, content, maxInFlight);
      }
      while (!deltas.isEmpty()) {
        content.add(append(Repository.await(deltas.poll())));
      }
    } finally {
      for (Future<Prepared> f : window) {
        f.cancel(false);
      }
      for (Future<Prepared> f : deltas) {
        f.cancel(false);
      }
    }
    return content.finish();
  }

  /**
   * Hands a prepared chunk on: appended at once without a parent, else through the delta cursor.
   */
  private void pass(
      Future<Prepared> prepared,
      DeltaCursor cursor,
      ArrayDeque<Future<Prepared>> deltas,
      ContentBuilder content,
      int maxInFlight)
      throws IOException {
    if (cursor == null) {
      content.add(append(Repository.await(prepared)));
      return;
    }
    deltas.add(cursor.next(Repository.await(prepared)));
    while (deltas.size() >= maxInFlight) {
      content.add(append(Repository.await(deltas.poll())));
    }
  }

  final java.util.concurrent.atomic.AtomicLong deltasStored =
      new java.util.concurrent.atomic.AtomicLong();

  /** How many chunks this writer has stored as deltas so far. */
  public long deltasStored() {
    return deltasStored.get();
  }

  /**
   * Stores one data chunk exactly as given, without chunking it again (copies between repositories
   * keep the source's chunk boundaries); returns its id in this repository.
   */
  public Id writeChunk(byte[] data) throws IOException {
    checkFailure();
    progress.bytesRead.addAndGet(data.length);
    return append(prepare(Chunker.Chunk.of(data)));
  }

  /**
   * Whether a blob is stored where this backup may reference it (a pack that exists and no deletion
   * plan names); if so it counts as reused, like a deduplicated chunk.
   */
  public boolean reuse(Id blob) {
    return isStored(blob);
  }

  /**
   * The content of {@code node}, a file or stream of an earlier snapshot, for a node of this
   * backup, without reading its bytes: for a source that knows the data is unchanged (a file whose
   * size, mtime, ctime and inode match). Null, and nothing reused, unless every chunk is stored
   * where this backup may reference it ({@link #reuse}) and the chunks add up to the node's size;
   * the source then reads the data instead.
   */
  public Content reuseContent(dev.roadie.core.snapshot.Node node) throws IOException {
    if (node == null || !node.hasContent() || node.size() == null) return null;
    List<Id> ids = new ArrayList<>();
    try {
      java.util.Iterator<Id> it = ContentReader.chunkIds(repo, node);
      while (it.hasNext()) ids.add(it.next());
    } catch (RoadieException e) {
      return null; // a chunk list that cannot be read: the data is read again
    }
    long size = 0;
    for (Id id : ids) {
      BlobLocation loc = index.get(id);
      if (loc == null || !isStored(id)) return null;
      size += loc.rawLength();
    }
    if (size != node.size()) return null;
    ContentBuilder content = new ContentBuilder();
    for (Id id : ids) {
      content.chunk(id, index.get(id).rawLength());
    }
    return content.finish();
  }

  /**
   * Collects chunk ids of one file or stream written with {@link #writeChunk} or {@link #reuse}.
   */
  public ContentBuilder newContent() {
    return new ContentBuilder();
  }

  /** Stores a tree as a metadata blob; returns its id. */
  public Id writeTree(Tree tree) throws IOException {
    return storeMetadata(Json.write(tree));
  }

  /**
   * Hash, deduplicate, compress: the parallel stage of a data chunk, on a CPU worker. Releases the
   * chunk unless it is to be sealed raw.
   */
  private Prepared prepare(Chunker.Chunk chunk) {
    return prepare(chunk, false);
  }

  /**
   * As {@link #prepare(Chunker.Chunk)}; with {@code keepChunk}, a new chunk keeps its bytes for a
   * delta.
   */
  private Prepared prepare(Chunker.Chunk chunk, boolean keepChunk) {
    byte[] data = chunk.array();
    int off = chunk.from();
    int len = chunk.length();
    Id id = repo.key().blobId(data, off, len);
    if (isStored(id) || !pending.add(id)) {
      chunk.release();
      return new Prepared(id, null, null, len); // stored already, or being stored by another chunk
    }
    byte[] out = scratch(len);
    int n = Compression.compress(data, off, len, out, 0, level);
    if (n < 0) {
      return new Prepared(id, null, chunk, len);
    }
    if (!keepChunk) {
      chunk.release();
    }
    return new Prepared(id, Arrays.copyOf(out, n), keepChunk ? chunk : null, len);
  }

  private boolean isStored(Id id) {
    BlobLocation existing = index.get(id);
    // A blob in a planned pack is stored again: a prune may delete that pack once the plan is due.
    if (existing == null || !usable(existing.packId())) {
      return false;
    }
    for (Id b : existing.bases()) {
      // A delta is only as good as its bases: one whose base is gone or planned is stored again.
      BlobLocation base = index.get(b);
      if (base == null || !usable(base.packId())) {
        return false;
      }
      reusedPacks.add(base.packId());
    }
    reusedPacks.add(existing.packId());
    return true;
  }

  private boolean usable(Id pack) {
    return packExists(pack) && !plannedPacks.contains(pack);
  }

  /** Seals a prepared chunk into the open data pack, in the caller's (stream) order. */
  private Id append(Prepared p) throws IOException {
    if (!p.isNew()) {
      return p.id();
    }
    synchronized (dataLock) {
      if (dataPack == null) {
        dataPack = newPack(BlobType.DATA);
      }
      if (p.delta() != null) {
        dataPack.add(p.id(), p.delta(), p.rawLength());
      } else if (p.raw() != null && p.compressed() == null) {
        Chunker.Chunk c = p.raw();
        dataPack.add(p.id(), (byte) Compression.RAW, c.array(), c.from(), c.length(), c.length());
        c.release();
      } else {
        dataPack.add(
            p.id(),
            (byte) Compression.ZSTD,
            p.compressed(),
            0,
            p.compressed().length,
            p.rawLength());
      }
      if (dataPack.isFull()) {
        PackWriter full = dataPack;
        dataPack = null;
        upload(full);
      }
    }
    return p.id();
  }

  /**
   * Hash, deduplicate, compress and seal a metadata blob (trees, chunk lists), on the caller's
   * thread.
   */
  private Id storeMetadata(byte[] data) throws IOException {
    checkFailure();
    Id id = repo.key().blobId(data);
    if (isStored(id) || !pending.add(id)) {
      return id;
    }
    byte[] framed = scratch(data.length);
    int framedLength = Compression.packInto(data, 0, data.length, framed);
    synchronized (metadataLock) {
      if (metadataPack == null) {
        metadataPack = newPack(BlobType.METADATA);
      }
      metadataPack.add(id, framed, framedLength, data.length);
      if (metadataPack.isFull()) {
        upload(metadataPack);
        metadataPack = null;
      }
    }
    return id;
  }

  /**
   * Whether a pack the index names is in storage (listed when this backup started, or written by
   * it). A blob whose pack is gone is written again instead of being referenced: a new snapshot
   * must not inherit an older one's damage.
   */
  boolean packExists(Id pack) {
    return storedPacks.contains(pack);
  }

  /** A per-thread buffer for compressed chunks: one allocation per thread, not per chunk. */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  static byte[] scratch(int len) {
    int need = Compression.bound(len);
    byte[] b = SCRATCH.get();
    if (b.length < need) {
      b = new byte[Math.max(need, Compression.bound(ChunkerParams.LARGE.max()))];
      SCRATCH.set(b);
    }
    return b;
  }

  /**
   * Uploads a finished pack on a virtual thread; blocks while {@value #UPLOADS_IN_FLIGHT} are in
   * flight.
   */
  private void upload(PackWriter pack) throws IOException {
    ByteBuffer bytes = pack.finish();
    List<PackEntry> entries = pack.entries();
    try {
      uploadSlots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    uploads.register();
    repo.io()
        .submit(
            () -> {
              try {
                repo.backend().write(ObjectName.of(ObjectKind.PACK, pack.id().hex()), bytes, false);
                // Durable now: make the blobs visible to dedup before forgetting them as pending.
                storedPacks.add(pack.id());
                int packNumber = index.addPack(pack.id(), pack.type());
                List<IndexFile.BlobEntry> blobs = new ArrayList<>(entries.size());
                for (PackEntry e : entries) {
                  // relocate: the only way a blob is written again is that its indexed copy's pack
                  // is gone.
                  List<Id> bases = pack.basesOf(e.id());
                  index.relocate(e.id(), packNumber, e.offset(), e.length(), e.rawLength(), bases);
                  blobs.add(
                      new IndexFile.BlobEntry(
                          e.id(), e.offset(), e.length(), e.rawLength(), bases));
                }
                for (PackEntry e : entries) {
                  pending.remove(e.id());
                }
                writtenPacks.add(pack.id());
                progress.bytesAdded.addAndGet(bytes.limit());
                progress.blobsAdded.addAndGet(entries.size());
                indexed(new IndexFile.PackEntries(pack.id(), pack.type(), blobs), false);
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              } finally {
                if (pack.type() == BlobType.DATA) {
                  freeBuffers.add(pack.buffer());
                }
                uploadSlots.release();
                uploads.arriveAndDeregister();
              }
            });
  }

  /**
   * Adds a durable pack's entries (null: none) to those waiting for an index file, and writes them
   * into one when {@link #INDEX_FILE_BLOBS} have gathered or {@code last}. An index file names only
   * packs already written, so an interrupted backup leaves indexed packs that no snapshot uses: the
   * same harmless leftovers as unindexed ones, which {@code prune} removes.
   */
  private void indexed(IndexFile.PackEntries pack, boolean last) throws IOException {
    List<IndexFile.PackEntries> ready = null;
    synchronized (indexLock) {
      if (pack != null) {
        unindexed.add(pack);
        unindexedBlobs += pack.blobs().size();
      }
      if (!unindexed.isEmpty() && (last || unindexedBlobs >= indexFileBlobs)) {
        ready = unindexed;
        unindexed = new ArrayList<>();
        unindexedBlobs = 0;
      }
    }
    if (ready != null) {
      byte[] plain = IndexFile.encode(ready, List.of());
      ObjectName name = ObjectName.of(ObjectKind.INDEX, Id.random().hex());
      progress.bytesAdded.addAndGet(repo.writeSealed(name, plain));
    }
  }

  private void checkFailure() throws IOException {
    Throwable t = failure.get();
    if (t != null) {
      if (t instanceof RoadieException r) throw r;
      throw new IOException(
          repo.backend().location() + ": writing a pack failed: " + t.getMessage(), t);
    }
  }

  /**
   * Flushes the open packs, waits for every upload, writes the index file, and writes the snapshot.
   * Returns the snapshot's id. {@code draft.stats} is replaced by the measured statistics.
   */
  public Id commit(Snapshot draft) throws IOException {
    return commit(
        stats ->
            new Snapshot(
                Snapshot.VERSION,
                draft.time(),
                draft.target(),
                draft.kind(),
                draft.host(),
                draft.user(),
                draft.tags(),
                draft.paths(),
                draft.tree(),
                draft.parent(),
                stats,
                draft.source(),
                draft.copy()));
  }

  /**
   * Like {@link #commit(Snapshot)}, for a snapshot that does not take the measured statistics as
   * its own (a copy keeps its original's and records the measurement as the copy's): {@code
   * snapshot} is given the measured statistics and returns the snapshot to write.
   */
  public Id commit(java.util.function.Function<Snapshot.Stats, Snapshot> snapshot)
      throws IOException {
    synchronized (dataLock) {
      if (dataPack != null && !dataPack.isEmpty()) {
        upload(dataPack);
      }
      dataPack = null;
    }
    synchronized (metadataLock) {
      if (metadataPack != null && !metadataPack.isEmpty()) {
        upload(metadataPack);
      }
      metadataPack = null;
    }
    uploads.arriveAndAwaitAdvance();
    checkFailure();
    indexed(null, true);
    beforeSnapshot.run();
    if (lease.lapsed()) {
      // A prune may have judged this writer gone: every pack it deduplicated against or wrote must
      // still exist, and none may be in a deletion plan made meanwhile.
      Set<Id> planned = DeletionPlan.plannedPacks(repo);
      Set<Id> used = new java.util.HashSet<>(reusedPacks);
      used.addAll(writtenPacks);
      for (Id pack : used) {
        boolean gone = repo.backend().size(ObjectName.of(ObjectKind.PACK, pack.hex())) < 0;
        if (gone || planned.contains(pack)) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              "pack "
                  + pack.shortHex()
                  + " that this backup uses was "
                  + (gone ? "deleted" : "planned for deletion")
                  + " by a prune while the backup was paused past its "
                  + "lease; no snapshot was written; run the backup again");
        }
      }
    }
    extendRetention();
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    Snapshot.Stats stats =
        new Snapshot.Stats(
            progress.bytesRead.get(),
            progress.bytesAdded.get(),
            progress.blobsAdded.get(),
            progress.files.get(),
            millis);
    Snapshot s = snapshot.apply(stats);
    AuditOperation audit = repo.audit();
    if (audit != null) s = s.withAudit(audit.id().hex());
    Id id = Id.random();
    repo.writeSealed(ObjectName.of(ObjectKind.SNAPSHOT, id.hex()), Json.write(s));
    if (audit != null) audit.snapshot(id, s.target());
    committed = true;
    return id;
  }

  /**
   * With object lock, the snapshot about to be written must stay restorable for the lock's days, so
   * every pack it reuses from earlier backups, and the index files naming those packs, must be
   * retained that long too: their retention is extended now, before the snapshot exists. A pack
   * written less than {@link ObjectLock#SLACK} ago already is (its retention was set with that
   * slack), which spares a request per pack for a backup that reuses the previous day's packs.
   */
  private void extendRetention() throws IOException {
    ObjectLock lock = repo.lock();
    if (lock == null) return;
    java.time.Instant now = java.time.Instant.now();
    java.time.Instant until = lock.retainUntil(now);
    Set<ObjectName> names = new java.util.HashSet<>();
    for (Id pack : reusedPacks) {
      if (writtenPacks.contains(pack)) continue;
      java.time.Instant at = packWritten.get(pack);
      if (at != null && at.isAfter(now.minus(ObjectLock.SLACK))) continue;
      names.add(ObjectName.of(ObjectKind.PACK, pack.hex()));
      names.addAll(repo.indexFilesOf(pack));
    }
    List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
    for (ObjectName n : names) {
      calls.add(
          repo.io()
              .submit(
                  () -> {
                    repo.backend().extendRetention(n, until);
                    return null;
                  }));
    }
    for (var f : calls) Repository.await(f);
  }

  /**
   * Ends the backup: without a commit, nothing becomes visible (uploaded packs stay as leftovers).
   */
  @Override
  public void close() throws IOException {
    if (!committed) {
      failure.compareAndSet(null, new RoadieException(ErrorCode.FAILURE, "backup aborted"));
    }
    lease.close();
  }

  /**
   * Collects a stream's chunk ids, moving them into chunk-list blobs once there are too many to
   * inline.
   */
  public final class ContentBuilder {
    long size;
    final List<Id> ids = new ArrayList<>();
    final List<Id> lists = new ArrayList<>();

    private ContentBuilder() {}

    /** Appends a stored chunk of {@code length} bytes. */
    public void chunk(Id id, int length) throws IOException {
      size += length;
      add(id);
    }

    void add(Id id) throws IOException {
      ids.add(id);
      if (ids.size() == LIST_SIZE) {
        flushList();
      }
    }

    private void flushList() throws IOException {
      byte[] buf = new byte[ids.size() * Id.BYTES];
      for (int i = 0; i < ids.size(); i++) {
        ids.get(i).writeTo(buf, i * Id.BYTES);
      }
      lists.add(storeMetadata(buf));
      ids.clear();
    }

    public Content finish() throws IOException {
      if (lists.isEmpty() && ids.size() <= INLINE_CHUNKS) {
        return new Content(size, List.copyOf(ids), List.of());
      }
      if (!ids.isEmpty()) {
        flushList();
      }
      return new Content(size, List.of(), List.copyOf(lists));
    }
  }
}
