package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.NoSuchObjectException;
import dev.roadie.core.backend.ObjectExistsException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.chunk.GearTable;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.KeyFile;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.crypto.SealedObject;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackReader;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An open repository: its backend, its master key, and (loaded on first use) its index. Safe for
 * use from many threads. Opening reads only {@code config} and key files; everything else is read
 * when asked for. Reading blobs ({@link BlobReader}), snapshots ({@link SnapshotStore}) and
 * managing key files ({@link KeyRing}) are delegated to package-private collaborators.
 */
public final class Repository implements AutoCloseable {
  private final Backend backend;
  private final Config config;
  private final MasterKey key;
  private final Id keyId;
  private final ExecutorService cpu;
  private final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
  private volatile BlobIndex index;

  /** With object lock: the index files that name each pack, filled when the index is loaded. */
  private final java.util.Map<Id, List<ObjectName>> indexFiles =
      new java.util.concurrent.ConcurrentHashMap<>();

  private volatile GearTable gear;
  private final java.util.Map<ObjectName, byte[]> writtenSnapshots =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final BlobReader blobs = new BlobReader(this);
  private final SnapshotStore snapshots = new SnapshotStore(this);
  private final KeyRing keys = new KeyRing(this);
  private volatile AuditOperation audit;

  private Repository(Backend backend, Config config, MasterKey key, Id keyId) {
    this.backend = backend;
    this.config = config;
    this.key = key;
    this.keyId = keyId;
    int cores = Runtime.getRuntime().availableProcessors();
    this.cpu =
        Executors.newFixedThreadPool(
            cores,
            r -> {
              Thread t = new Thread(r, "roadie-cpu");
              t.setDaemon(true);
              return t;
            });
  }

  /** Creates a new repository at the backend's location; fails if one is already there. */
  public static Repository init(Backend backend, char[] password, int packSize) throws IOException {
    return init(backend, password, packSize, null);
  }

  /**
   * Creates a new repository; with {@code lock}, one whose backup objects the storage keeps for the
   * lock's days whatever anyone asks of it ({@link ObjectLock}).
   */
  public static Repository init(Backend backend, char[] password, int packSize, ObjectLock lock)
      throws IOException {
    backend.prepareForInit(lock);
    if (backend.exists()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          backend.location()
              + ": a repository already exists here; "
              + "use it, or choose another location");
    }
    MasterKey key = MasterKey.generate();
    Id repoId = Id.random();
    Id keyId = Id.random();
    KeyFile kf = KeyFile.create(key, repoId, password, Hosts.host(), Hosts.user());
    if (lock != null) backend.useObjectLock(lock);
    // Key first, config last: a location with a config always has a key that opens it.
    backend.write(ObjectName.of(ObjectKind.KEY, keyId.hex()), ByteBuffer.wrap(kf.toJson()), true);
    Config config = Config.create(key, repoId, Instant.now().toString(), packSize, lock);
    try {
      backend.write(ObjectName.CONFIG, ByteBuffer.wrap(Json.write(config)), true);
    } catch (ObjectExistsException e) {
      backend.delete(ObjectName.of(ObjectKind.KEY, keyId.hex()));
      throw new RoadieException(
          ErrorCode.FAILURE,
          backend.location()
              + ": another roadie initialised a repository here at the same moment; use that one");
    }
    return new Repository(backend, config, key, keyId);
  }

  /**
   * Opens the repository with a password; tries every key file. A key file that the password opens
   * settles it: a damaged key file or config is then reported as such, never as a wrong password.
   */
  public static Repository open(Backend backend, char[] password) throws IOException {
    byte[] read;
    try {
      read = backend.read(ObjectName.CONFIG);
    } catch (NoSuchObjectException e) {
      throw new RoadieException(
          ErrorCode.NO_REPOSITORY,
          "no repository at "
              + backend.location()
              + ": check --repo / ROADIE_REPOSITORY, or create one with 'roadie init'");
    }
    // init writes config once. A later version that drops or changes the object lock of the first
    // (anyone with the password can make one with a valid MAC) must not turn off or weaken roadie's
    // lock handling: the first version, which the lock keeps, wins; check reports the later one.
    byte[] first = backend.firstVersion(ObjectName.CONFIG);
    if (first != null && Config.declaresLock(first)) read = first;
    byte[] configBytes = read;
    // Decoding the config is a command's first use of JSON, which costs a fresh JVM tens of
    // milliseconds of Jackson's own start-up: it runs on another thread while the key files are
    // read
    // and the key is derived. Its errors still come first: every way out of here waits for it.
    CompletableFuture<Config> config =
        CompletableFuture.supplyAsync(
            () -> Config.parse(configBytes, backend.location()),
            r -> Thread.ofPlatform().daemon().name("roadie-config").start(r));
    if (Config.declaresLock(configBytes)) {
      // Key files are locked objects: with object lock they are listed and read as roadie wrote
      // them.
      ObjectLock lock = parsed(config).lock();
      if (lock != null) backend.useObjectLock(lock);
    }
    try {
      return open(backend, config, password);
    } catch (IOException | RuntimeException e) {
      parsed(config);
      throw e;
    }
  }

  private static Repository open(
      Backend backend, CompletableFuture<Config> parsing, char[] password) throws IOException {
    List<ObjectInfo> keys = backend.list(ObjectKind.KEY);
    if (keys.isEmpty()) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          backend.location()
              + ": the repository has no key files; "
              + "it cannot be opened (restore keys/ from a copy)");
    }
    RoadieException damaged = null;
    for (ObjectInfo info : keys) {
      byte[] bytes;
      try {
        bytes = backend.read(info.name());
      } catch (NoSuchObjectException e) {
        continue; // removed since the listing ('key remove' elsewhere)
      }
      // A key file that cannot be read (permissions, I/O) fails the open as such: it is not
      // damaged.
      KeyFile kf;
      try {
        kf = KeyFile.parse(bytes, "key file " + info.name().id());
      } catch (IOException e) {
        damaged = new RoadieException(ErrorCode.INTEGRITY, e.getMessage(), e);
        continue;
      }
      byte[] wrapping;
      try {
        wrapping = kf.wrappingKey(password);
      } catch (RoadieException e) {
        throw damagedKeyFile(backend, info, e);
      }
      Config config = parsed(parsing);
      MasterKey key;
      try {
        key = kf.unwrap(wrapping, config.repositoryId());
      } catch (RoadieException e) {
        if (e.code() != ErrorCode.WRONG_PASSWORD) {
          // This key file decrypted with the password but is itself damaged: say so, not "wrong
          // password".
          throw damagedKeyFile(backend, info, e);
        }
        continue;
      }
      config.verify(key, backend.location());
      return new Repository(backend, config, key, Id.parse(info.name().id()));
    }
    if (damaged != null && keys.size() == 1) {
      throw damaged;
    }
    throw new RoadieException(
        ErrorCode.WRONG_PASSWORD,
        backend.location()
            + ": wrong password: no key file opens with it (check --password-file / ROADIE_PASSWORD_FILE / ROADIE_PASSWORD)");
  }

  private static RoadieException damagedKeyFile(
      Backend backend, ObjectInfo info, RoadieException e) {
    return new RoadieException(
        e.code(),
        backend.location()
            + ": key file "
            + info.name().id().substring(0, 8)
            + ": "
            + e.getMessage()
            + "; open with another password and replace it ('roadie key add', 'key remove')");
  }

  /** The parsed config, or its parse's error as thrown. */
  private static Config parsed(CompletableFuture<Config> config) {
    try {
      return config.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      if (e.getCause() instanceof Error err) throw err;
      throw e;
    }
  }

  public Backend backend() {
    return backend;
  }

  /** The repository's object lock, or null when it has none. */
  public ObjectLock lock() {
    return config.lock();
  }

  /**
   * Removes a snapshot from the repository's history. With object lock the snapshot object cannot
   * be deleted: a tombstone naming it is written instead, and every listing leaves the snapshot
   * out.
   */
  public void forgetSnapshot(Id id) throws IOException {
    if (lock() != null) {
      snapshots.writeTombstone(id);
    } else {
      backend.delete(ObjectName.of(ObjectKind.SNAPSHOT, id.hex()));
    }
  }

  public Config config() {
    return config;
  }

  public MasterKey key() {
    return key;
  }

  /** The key file this repository was opened with. */
  public Id keyId() {
    return keyId;
  }

  /** Pool for CPU-bound work (hash, compress, encrypt), one thread per core. */
  public ExecutorService cpu() {
    return cpu;
  }

  /** Virtual threads for blocking I/O. */
  public ExecutorService io() {
    return io;
  }

  public GearTable gear() {
    GearTable g = gear;
    if (g == null) {
      g = gear = GearTable.derive(key.gearKey());
    }
    return g;
  }

  // ---- index ----

  /** The index of every blob, loaded from all index files on first use. */
  public BlobIndex index() throws IOException {
    BlobIndex i = index;
    if (i == null) {
      synchronized (this) {
        i = index;
        if (i == null) {
          i = index = loadIndex();
        }
      }
    }
    return i;
  }

  /** Index files read and decoded ahead of the one being added to the index. */
  private static final int INDEX_FILES_AHEAD = 4;

  private BlobIndex loadIndex() throws IOException {
    List<ObjectInfo> files = backend.list(ObjectKind.INDEX);
    BlobIndex idx = new BlobIndex();
    // Each file is added to the index as soon as it is decoded, in listing order (the first copy of
    // a blob indexed twice wins), and dropped: a decoded file takes about twice the memory its
    // entries take in the index, so a few at a time are decoded ahead, not all of them.
    ArrayDeque<Future<IndexFile.Decoded>> ahead = new ArrayDeque<>();
    List<ObjectName> loaded = new ArrayList<>();
    long entries = 0;
    int next = 0;
    try {
      for (int i = 0; i < files.size(); i++) {
        while (next < files.size() && next < i + INDEX_FILES_AHEAD) {
          ObjectName name = files.get(next++).name();
          ahead.add(io.submit(() -> readIndexFile(name)));
        }
        IndexFile.Decoded d;
        try {
          d = ahead.poll().get();
        } catch (ExecutionException e) {
          // A damaged index file is skipped: its blobs read as missing, and 'check' names the file
          // and the snapshots that need it.
          continue;
        }
        loaded.add(files.get(i).name());
        if (lock() != null) {
          for (IndexFile.PackEntries p : d.packs())
            indexFiles.computeIfAbsent(p.packId(), k -> new ArrayList<>()).add(files.get(i).name());
        }
        entries += d.blobCount();
        d.addTo(idx);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while loading the index", e);
    } finally {
      ahead.forEach(f -> f.cancel(true));
    }
    // A blob indexed twice (stored again after the pack of its first copy went missing, by two
    // concurrent backups, or repacked by prune) must resolve to a copy that exists, and rather one
    // that no deletion plan names. Only then are storage and plans listed, and the files read
    // again.
    if (entries > idx.size()) {
      java.util.Set<Id> stored = new java.util.HashSet<>();
      for (ObjectInfo info : backend.list(ObjectKind.PACK)) {
        stored.add(Id.parse(info.name().id()));
      }
      java.util.Set<Id> planned = DeletionPlan.plannedPacks(this);
      java.util.function.ToIntFunction<Id> rank =
          p -> !stored.contains(p) ? 0 : planned.contains(p) ? 1 : 2;
      for (ObjectName name : loaded) {
        IndexFile.Decoded d;
        try {
          d = readIndexFile(name);
        } catch (RoadieException e) {
          continue; // damaged since it was first read: its first reading stands
        }
        for (IndexFile.PackEntries p : d.packs()) {
          int r = rank.applyAsInt(p.packId());
          if (r == 0) continue;
          int number = idx.addPack(p.packId(), p.type());
          for (IndexFile.BlobEntry b : p.blobs()) {
            BlobLocation current = idx.get(b.id());
            if (current != null && rank.applyAsInt(current.packId()) < r) {
              idx.relocate(b.id(), number, b.offset(), b.length(), b.rawLength(), b.bases());
            }
          }
        }
      }
    }
    return idx;
  }

  /**
   * With object lock: the index files that name {@code pack}, as loaded with the index (empty
   * without object lock, or for a pack written since).
   */
  public List<ObjectName> indexFilesOf(Id pack) {
    return indexFiles.getOrDefault(pack, List.of());
  }

  public IndexFile.Decoded readIndexFile(ObjectName name) throws IOException {
    byte[] plain = SealedObject.open(key, name, backend.read(name));
    try {
      return IndexFile.decode(plain);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, "index " + name.id() + " is malformed: " + e.getMessage());
    }
  }

  // ---- blobs and trees ----

  /**
   * Reads, authenticates and verifies one blob. Fails with an INTEGRITY error when it is damaged.
   */
  public byte[] readBlob(Id blobId) throws IOException {
    return blobs.readBlob(blobId);
  }

  public byte[] readBlob(BlobLocation loc) throws IOException {
    return blobs.readBlob(loc);
  }

  /**
   * Opens a blob whose sealed bytes start at {@code off} of {@code buf}; a delta blob's base is
   * read (or taken from the cache of recent bases) to decode it.
   */
  public byte[] openBlob(BlobLocation loc, byte[] buf, int off) {
    return blobs.openBlob(loc, buf, off);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], int)} with the base's plaintext from {@code bases}.
   */
  public byte[] openBlob(BlobLocation loc, byte[] buf, int off, Compression.Bases bases) {
    return blobs.openBlob(loc, buf, off, bases);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], int, Compression.Bases)} with the key of the blob's
   * pack derived by the caller ({@link MasterKey#packKey}), who opens several blobs of one pack.
   */
  public byte[] openBlob(
      BlobLocation loc, byte[] packKey, byte[] buf, int off, Compression.Bases bases) {
    return blobs.openBlob(loc, packKey, buf, off, bases);
  }

  /**
   * As {@link #openBlob(BlobLocation, byte[], byte[], int, Compression.Bases)}, decoding into
   * {@code into} when that is exactly the blob's raw length (see {@link
   * PackReader#openBlob(MasterKey, byte[], Id, PackEntry, byte[], int, Compression.Bases,
   * byte[])}).
   */
  public byte[] openBlob(
      BlobLocation loc, byte[] packKey, byte[] buf, int off, Compression.Bases bases, byte[] into) {
    return blobs.openBlob(loc, packKey, buf, off, bases, into);
  }

  /**
   * The plaintext of a delta's base, read on an I/O thread (shared by concurrent requests for the
   * same base). A base must be stored in full: one that is itself a delta fails the read.
   */
  public CompletableFuture<byte[]> baseAsync(Id baseId) {
    return blobs.baseAsync(baseId);
  }

  /** {@link #baseAsync}, waited for. */
  public byte[] basePlaintext(Id baseId) {
    return blobs.basePlaintext(baseId);
  }

  public Tree readTree(Id treeId) throws IOException {
    return Json.read(readBlob(treeId), Tree.class, "tree " + treeId.shortHex());
  }

  // ---- sealed objects ----

  /** Seals and stores a small object; returns its stored size. */
  public long writeSealed(ObjectName name, byte[] payload) throws IOException {
    byte[] sealed = SealedObject.seal(key, name, payload);
    backend.write(name, ByteBuffer.wrap(sealed), false);
    if (name.kind() == ObjectKind.SNAPSHOT) {
      // Objects are immutable: the snapshot this process just wrote is read back from memory (one
      // request less for the summary a backup prints, which matters on S3).
      writtenSnapshots.put(name, payload);
    }
    return sealed.length;
  }

  public byte[] readSealed(ObjectName name) throws IOException {
    byte[] mine = writtenSnapshots.get(name);
    if (mine != null) return mine.clone();
    return SealedObject.open(key, name, backend.read(name));
  }

  // ---- snapshots ----

  /**
   * Every readable snapshot, oldest first. Unreadable ones are reported through {@code problems}.
   */
  public List<SnapshotRef> snapshots(List<String> problems) throws IOException {
    return snapshots.snapshots(problems);
  }

  /** Ids of the snapshots that 'forget' marked with a tombstone (repositories with object lock). */
  public java.util.Set<String> forgottenSnapshots(List<String> problems) throws IOException {
    return snapshots.tombstones(problems);
  }

  public SnapshotRef readSnapshot(Id id) throws IOException {
    return snapshots.readSnapshot(id);
  }

  /**
   * Resolves what a user typed: a full id, a unique id prefix, or {@code latest} (the newest
   * snapshot that {@code filter} accepts).
   */
  public SnapshotRef resolve(String spec, SnapshotFilter filter) throws IOException {
    SnapshotRef ref = snapshots.resolve(spec, filter);
    AuditOperation op = audit;
    if (op != null) op.snapshot(ref.id(), ref.snapshot().target());
    return ref;
  }

  // ---- audit ----

  /**
   * The operation this repository is opened for: snapshots and records written through it name that
   * operation's audit entry, and the snapshots it writes or resolves are noted in it. Whoever sets
   * it writes the entry when the operation ends ({@link AuditLog}).
   */
  public void audit(AuditOperation op) {
    this.audit = op;
  }

  /** The operation set by {@link #audit(AuditOperation)}, or null. */
  public AuditOperation audit() {
    return audit;
  }

  // ---- keys ----

  public record KeyInfo(Id id, String created, String host, String user, boolean current) {}

  public List<KeyInfo> keys() throws IOException {
    return keys.keys();
  }

  /** Adds a key file for another password; returns its id. */
  public Id addKey(char[] password) throws IOException {
    return keys.addKey(password);
  }

  /** Removes a key file (revoking its password). The key in use cannot be removed. */
  public void removeKey(Id id) throws IOException {
    keys.removeKey(id);
  }

  /**
   * Replaces the key file in use by one for a new password: the new file is written (and durable)
   * before the old one is deleted, so a crash in between leaves both passwords working, never none.
   */
  public Id changePassword(char[] newPassword) throws IOException {
    return keys.changePassword(newPassword);
  }

  /** Key ids that match a prefix. */
  public Id resolveKey(String prefix) throws IOException {
    return keys.resolveKey(prefix);
  }

  /** Whether a key file's public fields carry a valid MAC under this repository's master key. */
  public boolean keyFileIntact(ObjectName name) throws IOException {
    return keys.keyFileIntact(name);
  }

  /**
   * Waits for a task of the repository's pools. A failure is rethrown as itself where it can be
   * ({@link #unwrap}); an interrupt becomes an IOException with the interrupt flag kept.
   */
  public static <T> T await(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      throw unwrap(e);
    }
  }

  static IOException unwrap(ExecutionException e) {
    Throwable c = e.getCause();
    if (c instanceof RoadieException r) throw r;
    if (c instanceof IOException io) return io;
    if (c instanceof UncheckedIOException u) return u.getCause();
    if (c instanceof RuntimeException r) throw r;
    return new IOException(c);
  }

  @Override
  public void close() throws IOException {
    cpu.shutdownNow();
    io.shutdownNow();
    backend.close();
  }
}
