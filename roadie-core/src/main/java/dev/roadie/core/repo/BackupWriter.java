package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
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
import dev.roadie.core.prune.DeletionPlan;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>Write order: a pack's blobs enter the index only after the pack is durable; the index file is
 * written after every pack; the snapshot last. If anything fails, no snapshot is written, and the
 * packs already uploaded are harmless leftovers that {@code check} reports and {@code prune} removes.
 */
public final class BackupWriter implements AutoCloseable {
  /** Chunk ids per chunk-list blob (8192 x 32 bytes = 256 KiB). */
  static final int LIST_SIZE = 8192;
  /** Content with up to this many chunks is stored inline in its tree node. */
  static final int INLINE_CHUNKS = 1024;
  private static final int UPLOADS_IN_FLIGHT = 2;

  private final Repository repo;
  private final BlobIndex index;
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
   * straight from the chunker's buffer and released then).
   */
  private record Prepared(Id id, byte[] compressed, Chunker.Chunk raw, int rawLength) {}

  private final Object metadataLock = new Object();
  private PackWriter metadataPack;
  private final Semaphore uploadSlots = new Semaphore(UPLOADS_IN_FLIGHT);
  /** Pack buffers are recycled: one per open pack and per upload in flight, allocated on demand. */
  private final BlockingQueue<byte[]> freeBuffers = new java.util.concurrent.LinkedBlockingQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger buffersAllocated = new java.util.concurrent.atomic.AtomicInteger();
  private final int maxBuffers = 1 + UPLOADS_IN_FLIGHT;
  private final Phaser uploads = new Phaser(1);
  private final Set<Id> pending = ConcurrentHashMap.newKeySet();
  private final Set<Id> storedPacks = ConcurrentHashMap.newKeySet();
  private final Set<Id> reusedPacks = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<IndexFile.PackEntries> written = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final long startNanos = System.nanoTime();
  private boolean committed;
  /** Packs named by deletion plans when this backup started: blobs found only there are stored again. */
  private final Set<Id> plannedPacks;
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
          buffer = freeBuffers.take(); // all buffers are in open packs or uploads: wait for an upload
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      } else {
        // Sized for a pack of typical chunks; a pack whose last blob is larger grows its buffer once.
        buffer = new byte[PackWriter.bufferSize(repo.config().packSize(), Compression.bound(ChunkerParams.FILE.max()))];
      }
    }
    return new PackWriter(repo.key(), type, repo.config().packSize(), buffer);
  }

  /** Chunks and stores a stream; returns where its bytes went. The stream is read to its end, not closed. */
  public Content writeStream(InputStream in, ChunkerParams params) throws IOException {
    Chunker chunker = new Chunker(in, new FastCdc(params, repo.gear()));
    ContentBuilder content = new ContentBuilder();
    ArrayDeque<Future<Prepared>> window = new ArrayDeque<>();
    // About 8 MiB of chunks in flight keeps every worker busy without holding much memory.
    int maxInFlight = Math.clamp((8 << 20) / params.avg(), 2 * workers + 2, 256);
    try {
      Chunker.Chunk chunk;
      while ((chunk = chunker.next()) != null) {
        checkFailure();
        Chunker.Chunk c = chunk;
        progress.bytesRead.addAndGet(c.length());
        content.size += c.length();
        window.add(repo.cpu().submit(() -> prepare(c)));
        while (window.size() >= maxInFlight) {
          content.add(append(Repository.await(window.poll())));
        }
      }
      while (!window.isEmpty()) {
        content.add(append(Repository.await(window.poll())));
      }
    } finally {
      for (Future<Prepared> f : window) {
        f.cancel(false);
      }
    }
    return content.finish();
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

  /** Collects chunk ids of one file or stream written with {@link #writeChunk} or {@link #reuse}. */
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
    byte[] data = chunk.array();
    int off = chunk.from();
    int len = chunk.length();
    Id id = repo.key().blobId(data, off, len);
    if (isStored(id) || !pending.add(id)) {
      chunk.release();
      return new Prepared(id, null, null, len); // stored already, or being stored by another chunk
    }
    byte[] out = scratch(len);
    int n = Compression.compress(data, off, len, out, 0);
    if (n < 0) {
      return new Prepared(id, null, chunk, len);
    }
    chunk.release();
    return new Prepared(id, Arrays.copyOf(out, n), null, len);
  }

  private boolean isStored(Id id) {
    BlobLocation existing = index.get(id);
    // A blob in a planned pack is stored again: a prune may delete that pack once the plan is due.
    if (existing != null && packExists(existing.packId()) && !plannedPacks.contains(existing.packId())) {
      reusedPacks.add(existing.packId());
      return true;
    }
    return false;
  }

  /** Seals a prepared chunk into the open data pack, in the caller's (stream) order. */
  private Id append(Prepared p) throws IOException {
    if (p.compressed() == null && p.raw() == null) {
      return p.id();
    }
    synchronized (dataLock) {
      if (dataPack == null) {
        dataPack = newPack(BlobType.DATA);
      }
      if (p.raw() != null) {
        Chunker.Chunk c = p.raw();
        dataPack.add(p.id(), (byte) Compression.RAW, c.array(), c.from(), c.length(), c.length());
        c.release();
      } else {
        dataPack.add(p.id(), (byte) Compression.ZSTD, p.compressed(), 0, p.compressed().length, p.rawLength());
      }
      if (dataPack.isFull()) {
        PackWriter full = dataPack;
        dataPack = null;
        upload(full);
      }
    }
    return p.id();
  }

  /** Hash, deduplicate, compress and seal a metadata blob (trees, chunk lists), on the caller's thread. */
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
  private boolean packExists(Id pack) {
    return storedPacks.contains(pack);
  }

  /** A per-thread buffer for compressed chunks: one allocation per thread, not per chunk. */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  private static byte[] scratch(int len) {
    int need = Compression.bound(len);
    byte[] b = SCRATCH.get();
    if (b.length < need) {
      b = new byte[Math.max(need, Compression.bound(ChunkerParams.LARGE.max()))];
      SCRATCH.set(b);
    }
    return b;
  }


  /** Uploads a finished pack on a virtual thread; blocks while {@value #UPLOADS_IN_FLIGHT} are in flight. */
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
    repo.io().submit(() -> {
      try {
        repo.backend().write(ObjectName.of(ObjectKind.PACK, pack.id().hex()), bytes, false);
        // Durable now: make the blobs visible to dedup before forgetting them as pending.
        storedPacks.add(pack.id());
        int packNumber = index.addPack(pack.id(), pack.type());
        List<IndexFile.BlobEntry> blobs = new ArrayList<>(entries.size());
        for (PackEntry e : entries) {
          // relocate: the only way a blob is written again is that its indexed copy's pack is gone.
          index.relocate(e.id(), packNumber, e.offset(), e.length(), e.rawLength());
          blobs.add(new IndexFile.BlobEntry(e.id(), e.offset(), e.length(), e.rawLength()));
        }
        for (PackEntry e : entries) {
          pending.remove(e.id());
        }
        written.add(new IndexFile.PackEntries(pack.id(), pack.type(), blobs));
        progress.bytesAdded.addAndGet(bytes.limit());
        progress.blobsAdded.addAndGet(entries.size());
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

  private void checkFailure() throws IOException {
    Throwable t = failure.get();
    if (t != null) {
      if (t instanceof RoadieException r) throw r;
      throw new IOException(repo.backend().location() + ": writing a pack failed: " + t.getMessage(), t);
    }
  }


  /**
   * Flushes the open packs, waits for every upload, writes the index file, and writes the snapshot.
   * Returns the snapshot's id. {@code draft.stats} is replaced by the measured statistics.
   */
  public Id commit(Snapshot draft) throws IOException {
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
    if (!written.isEmpty()) {
      byte[] plain = IndexFile.encode(new ArrayList<>(written), List.of());
      ObjectName name = ObjectName.of(ObjectKind.INDEX, Id.random().hex());
      progress.bytesAdded.addAndGet(repo.writeSealed(name, plain));
    }
    beforeSnapshot.run();
    if (lease.lapsed()) {
      // A prune may have judged this writer gone: every pack it deduplicated against or wrote must
      // still exist, and none may be in a deletion plan made meanwhile.
      Set<Id> planned = DeletionPlan.plannedPacks(repo);
      Set<Id> used = new java.util.HashSet<>(reusedPacks);
      for (IndexFile.PackEntries p : written) used.add(p.packId());
      for (Id pack : used) {
        boolean gone = repo.backend().size(ObjectName.of(ObjectKind.PACK, pack.hex())) < 0;
        if (gone || planned.contains(pack)) {
          throw new RoadieException(ErrorCode.FAILURE, "pack " + pack.shortHex() + " that this backup uses was "
              + (gone ? "deleted" : "planned for deletion") + " by a prune while the backup was paused past its "
              + "lease; no snapshot was written; run the backup again");
        }
      }
    }
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    Snapshot.Stats stats = new Snapshot.Stats(progress.bytesRead.get(), progress.bytesAdded.get(),
        progress.blobsAdded.get(), progress.files.get(), millis);
    Snapshot s = new Snapshot(Snapshot.VERSION, draft.time(), draft.target(), draft.kind(), draft.host(), draft.user(),
        draft.tags(), draft.paths(), draft.tree(), draft.parent(), stats, draft.source());
    Id id = Id.random();
    repo.writeSealed(ObjectName.of(ObjectKind.SNAPSHOT, id.hex()), Json.write(s));
    committed = true;
    return id;
  }

  /** Ends the backup: without a commit, nothing becomes visible (uploaded packs stay as leftovers). */
  @Override
  public void close() throws IOException {
    if (!committed) {
      failure.compareAndSet(null, new RoadieException(ErrorCode.FAILURE, "backup aborted"));
    }
    lease.close();
  }

  /** Collects a stream's chunk ids, moving them into chunk-list blobs once there are too many to inline. */
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
