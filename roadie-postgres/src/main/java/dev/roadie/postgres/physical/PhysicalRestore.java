package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.DirectFileWriter;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Restores a physical snapshot into a data directory and sets it up for point-in-time recovery:
 * files written in parallel (each byte verified against its blob id), {@code recovery.signal}, and
 * {@code restore_command} plus the recovery target in {@code postgresql.auto.conf} (PostgreSQL 12+;
 * never {@code recovery.conf}, which those versions refuse). {@code global/pg_control} is written
 * after every other data file and the recovery settings last, so a restore that fails midway leaves
 * a directory PostgreSQL refuses to start, never one that starts on half the files.
 *
 * <p>Delta: files whose content already matches are left alone; for the others only the chunks that
 * differ are rewritten (chunks are fixed-size and aligned, so chunk i of a file is bytes [i*size,
 * (i+1)*size)); files the backup does not have are removed.
 */
public final class PhysicalRestore {
  /** A recovery target: at most one of time, lsn, xid, name, immediate. */
  public record Target(String time, String lsn, String xid, String name, boolean immediate) {
    public boolean isEmpty() {
      return time == null && lsn == null && xid == null && name == null && !immediate;
    }
  }

  /** {@code tablespaceMap}: original location (or OID) to the directory a tablespace goes to. */
  public record Options(
      Path pgdata,
      Target target,
      String action,
      String timeline,
      boolean force,
      boolean delta,
      int jobs,
      String restoreCommand,
      boolean archiveOff,
      Map<String, String> tablespaceMap) {}

  public record Result(
      long files,
      long filesUnchanged,
      long bytesWritten,
      RecoveryWindow.Window window,
      List<String> settings) {}

  private static final String CONF = "postgresql.auto.conf";
  private static final DateTimeFormatter PG_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx");

  private final Repository repo;
  private final Progress progress;
  private final AtomicLong unchanged = new AtomicLong();
  private final AtomicLong written = new AtomicLong();

  /**
   * Files written but not yet fsynced. Each used to be fsynced by the task that wrote it, which
   * made about 1,000 small files cost a journal commit each, one after the other; now they are all
   * fsynced after the last write, 16 at a time (the file system batches concurrent fsyncs into few
   * commits, and most pages have been written back by then), before pg_control is written.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Path> unsynced =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Concurrent fsyncs at the end of a restore. */
  private static final int SYNCS_IN_FLIGHT = 16;

  public PhysicalRestore(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  public Result restore(SnapshotRef ref, Options o) throws IOException {
    Snapshot s = ref.snapshot();
    if (!PhysicalBackup.KIND.equals(s.kind())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot "
              + ref.id().shortHex()
              + " is a "
              + s.kind()
              + " snapshot; --pgdata restores physical PostgreSQL backups (kind "
              + PhysicalBackup.KIND
              + ")");
    }
    List<String> settings = recoverySettings(ref, o);
    RecoveryWindow.Window window = new RecoveryWindow(repo).of(s, o.timeline());
    checkTarget(ref, o.target(), window);
    settings = withTimeline(settings, s, o.timeline(), window);
    TablespaceDirs tablespaces =
        new TablespaceDirs(s.source(), o.tablespaceMap(), o.force() || o.delta());
    prepareDirectory(o);
    // The whole cluster is decrypted: the native AES-GCM pays off from the first file, not from the
    // first large one.
    if (s.stats() != null) Providers.expect(s.stats().bytesRead());

    int chunkSize = s.source().get("chunkSize") instanceof Number n ? n.intValue() : 0;
    Set<String> keep = new HashSet<>();
    Node[] control = new Node[1];
    List<FileJob> files = new ArrayList<>();
    List<Future<?>> tasks = new ArrayList<>();
    try {
      restoreDir(readTreeAsync(s.tree()), o.pgdata(), "", o, keep, files, control, tablespaces);
      if (control[0] == null) {
        throw new RoadieException(
            ErrorCode.INTEGRITY, "snapshot " + ref.id().shortHex() + " has no global/pg_control");
      }
      // Largest first: a cluster's time goes to its few large relation files, and one that started
      // last would run alone at the end while the other jobs have nothing left to do.
      files.sort(Comparator.comparingLong(FileJob::size).reversed());
      Semaphore slots = new Semaphore(Math.max(1, o.jobs()));
      AtomicBoolean failed = new AtomicBoolean();
      for (FileJob f : files) {
        slots.acquire();
        if (failed.get()) break; // the failure is thrown below; no point writing more
        tasks.add(
            repo.io()
                .submit(
                    () -> {
                      try {
                        writeFile(f.node(), f.path(), o.delta(), chunkSize);
                      } catch (Throwable e) {
                        failed.set(true);
                        throw e;
                      } finally {
                        slots.release();
                      }
                      return null;
                    }));
      }
      for (Future<?> f : tasks) f.get();
      syncWritten();
      // pg_control only once every other file is durable: a crash before leaves a directory that
      // does not start.
      writeFile(control[0], o.pgdata().resolve("global/pg_control"), o.delta(), chunkSize);
      syncWritten();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      for (Future<?> f : tasks) f.cancel(true);
      Throwable c = e.getCause();
      if (c instanceof RoadieException r) throw r;
      if (c instanceof IOException io) throw io;
      throw new IOException(c);
    }
    if (o.delta()) removeOthers(o.pgdata(), keep);
    writeRecoveryConfig(o.pgdata(), settings);
    syncDirectories(o.pgdata());
    for (Path d : tablespaces.dirs()) syncDirectories(d);
    return new Result(progress.files.get(), unchanged.get(), written.get(), window, settings);
  }

  // ---- target and window ----

  private static final String TIMELINE = "recovery_target_timeline = ";

  /**
   * The settings with the timeline PostgreSQL must follow. Its {@code latest} is the highest
   * timeline with a history file in the archive, whether or not that timeline branches off the
   * backup's after the backup; when the archive holds a higher one that does not (a copy restored
   * from an older backup and promoted archives its new timeline here), recovery would stop at once
   * ("requested timeline N is not a child of this server's history"). The timeline the window was
   * computed along is named instead.
   */
  private List<String> withTimeline(
      List<String> settings, Snapshot s, String requested, RecoveryWindow.Window window)
      throws IOException {
    if (requested != null && !requested.equals("latest")) return settings;
    long sysid = Long.parseUnsignedLong(String.valueOf(s.source().get("systemIdentifier")));
    int highest = 0;
    for (dev.roadie.postgres.wal.WalArchive.Entry e :
        new dev.roadie.postgres.wal.WalArchive(repo, sysid).list()) {
      if (WalNames.isHistory(e.name())) highest = Math.max(highest, WalNames.timeline(e.name()));
    }
    if (highest <= window.timeline()) return settings;
    List<String> out = new ArrayList<>();
    for (String line : settings) {
      out.add(
          line.startsWith(TIMELINE) ? TIMELINE + quote(Integer.toString(window.timeline())) : line);
    }
    return out;
  }

  /** The lines added to postgresql.auto.conf. */
  private List<String> recoverySettings(SnapshotRef ref, Options o) {
    Target t = o.target();
    int given =
        (t.time() != null ? 1 : 0)
            + (t.lsn() != null ? 1 : 0)
            + (t.xid() != null ? 1 : 0)
            + (t.name() != null ? 1 : 0)
            + (t.immediate() ? 1 : 0);
    if (given > 1) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "give at most one recovery target (--target-time, --target-lsn, "
              + "--target-xid, --target-name or --target immediate)");
    }
    String action = o.action() == null ? "promote" : o.action();
    if (!List.of("promote", "pause", "shutdown").contains(action)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--target-action takes promote, pause or shutdown, not '" + action + "'");
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        "# added by roadie restore of snapshot "
            + ref.id().shortHex()
            + " ("
            + ref.snapshot().time()
            + ") at "
            + Instant.now());
    lines.add("restore_command = " + quote(o.restoreCommand()));
    lines.add("recovery_end_command = " + quote("rm -rf pg_wal/roadie/*/prefetch"));
    if (t.time() != null)
      lines.add("recovery_target_time = " + quote(PG_TIME.format(parseTime(t.time()))));
    if (t.lsn() != null)
      lines.add("recovery_target_lsn = " + quote(WalNames.formatLsn(parseLsn(t.lsn()))));
    if (t.xid() != null) {
      if (!t.xid().matches("[0-9]{1,20}")) {
        throw new RoadieException(
            ErrorCode.USAGE, "--target-xid takes a transaction id (digits), not '" + t.xid() + "'");
      }
      lines.add("recovery_target_xid = " + quote(t.xid()));
    }
    if (t.name() != null) lines.add("recovery_target_name = " + quote(t.name()));
    if (t.immediate()) lines.add("recovery_target = 'immediate'");
    if (!t.isEmpty()) lines.add("recovery_target_action = " + quote(action));
    lines.add(TIMELINE + quote(o.timeline() == null ? "latest" : o.timeline()));
    if (o.archiveOff()) lines.add("archive_mode = 'off'");
    return lines;
  }

  static OffsetDateTime parseTime(String text) {
    String t =
        text.trim()
            .replaceFirst("^(\\d{4}-\\d\\d-\\d\\d) ", "$1T")
            .replaceFirst(" ?UTC$", "Z")
            .replaceFirst("([+-]\\d\\d)$", "$1:00");
    try {
      return OffsetDateTime.parse(t).withOffsetSameInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--target-time "
              + text
              + " is not a time with an offset, such as "
              + "2026-11-24T07:31:50Z or '2026-11-24 08:31:50+01'");
    }
  }

  private static long parseLsn(String text) {
    try {
      return WalNames.parseLsn(text);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(ErrorCode.USAGE, "--target-lsn: " + e.getMessage());
    }
  }

  /** Refuses a target outside the recoverable window, naming the window. */
  private static void checkTarget(SnapshotRef ref, Target t, RecoveryWindow.Window w) {
    RoadieException problem = targetProblem(ref, t, w);
    if (problem != null) throw problem;
  }

  /** Why {@code ref} cannot be recovered to {@code t} (naming its window), or null when it can. */
  private static RoadieException targetProblem(SnapshotRef ref, Target t, RecoveryWindow.Window w) {
    String where = "snapshot " + ref.id().shortHex() + " is recoverable " + w.describe();
    if (!w.walComplete() && w.note() != null && w.note().startsWith("the archive lacks")) {
      return new RoadieException(
          ErrorCode.FAILURE,
          "snapshot "
              + ref.id().shortHex()
              + ": "
              + w.note()
              + "; see docs/runbooks/postgres-pitr.md, 'WAL is missing'");
    }
    if (t.time() != null) {
      Instant at = parseTime(t.time()).toInstant();
      if (at.isBefore(Instant.parse(w.fromTime()))) {
        return new RoadieException(
            ErrorCode.USAGE,
            "--target-time "
                + t.time()
                + " is before the end of the backup: "
                + where
                + "; choose a time in that window or an older snapshot");
      }
      if (at.isAfter(Instant.parse(w.toTime()))) {
        return new RoadieException(
            ErrorCode.USAGE,
            "--target-time "
                + t.time()
                + " is after the newest archived WAL: "
                + where
                + "; choose a time in that window (newer WAL may not be archived yet: SELECT pg_switch_wal() "
                + "on the server archives the current segment)");
      }
    }
    if (t.lsn() != null) {
      long lsn = parseLsn(t.lsn());
      if (Long.compareUnsigned(lsn, WalNames.parseLsn(w.fromLsn())) < 0) {
        return new RoadieException(
            ErrorCode.USAGE,
            "--target-lsn "
                + t.lsn()
                + " is before the end of the backup: "
                + where
                + "; choose an LSN in that window or an older snapshot");
      }
      if (Long.compareUnsigned(lsn, WalNames.parseLsn(w.toLsn())) > 0) {
        return new RoadieException(
            ErrorCode.USAGE,
            "--target-lsn "
                + t.lsn()
                + " is after the newest archived WAL: "
                + where
                + "; choose an LSN in that window");
      }
    }
    return null;
  }

  /** The base backup picked for a target, and the newer ones passed over, each with its window. */
  public record Pick(SnapshotRef ref, RecoveryWindow.Window window, List<String> passedOver) {}

  /**
   * The newest of {@code newestFirst} (physical snapshots of one cluster) whose recoverable window
   * holds the time or LSN target: a backup that ended after the target cannot go back to it, so the
   * one before it replays WAL up to it, as pgBackRest and WAL-G choose. None: a usage error that
   * names each snapshot's window.
   */
  public Pick newestCovering(List<SnapshotRef> newestFirst, Target t, String timeline)
      throws IOException {
    String what = t.time() != null ? "--target-time " + t.time() : "--target-lsn " + t.lsn();
    RecoveryWindow windows = new RecoveryWindow(repo);
    List<String> passed = new ArrayList<>();
    for (SnapshotRef ref : newestFirst) {
      String name = "snapshot " + ref.id().shortHex() + " (" + ref.snapshot().time() + ")";
      RecoveryWindow.Window w;
      try {
        w = windows.of(ref.snapshot(), timeline);
      } catch (RoadieException e) {
        passed.add(name + ": " + e.getMessage());
        continue;
      }
      if (targetProblem(ref, t, w) == null) return new Pick(ref, w, passed);
      passed.add(
          name
              + " recoverable "
              + w.describe()
              + (!w.walComplete() && w.note() != null ? " (" + w.note() + ")" : ""));
    }
    if (passed.isEmpty()) {
      throw new RoadieException(ErrorCode.FAILURE, "no physical snapshot to recover to " + what);
    }
    throw new RoadieException(
        ErrorCode.USAGE,
        "no base backup can be recovered to "
            + what
            + ": "
            + String.join("; ", passed)
            + "; choose a target in one of these windows");
  }

  // ---- files ----

  private void prepareDirectory(Options o) throws IOException {
    Path dir = o.pgdata();
    if (Files.exists(dir.resolve("postmaster.pid"))) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          dir
              + " has postmaster.pid: a PostgreSQL server is running there "
              + "(or crashed). Stop it (pg_ctl -D "
              + dir
              + " stop); if none runs, remove postmaster.pid; then restore again");
    }
    if (Files.isDirectory(dir)) {
      boolean empty;
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        empty = !ds.iterator().hasNext();
      }
      if (!empty && !o.force() && !o.delta()) {
        throw new RoadieException(
            ErrorCode.USAGE,
            dir
                + " is not empty; restore into an empty or new directory, or "
                + "pass --delta (rewrite only what differs, remove the rest) or --force (overwrite what the backup has)");
      }
    } else if (Files.exists(dir)) {
      throw new RoadieException(ErrorCode.USAGE, dir + " exists and is not a directory");
    }
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    // A half-restored directory must not look restorable: the files that make it a cluster come
    // last.
    Files.deleteIfExists(dir.resolve("recovery.signal"));
    Files.deleteIfExists(dir.resolve("standby.signal"));
    Files.deleteIfExists(dir.resolve("global/pg_control"));
  }

  /** A file to write once the whole tree is known. */
  private record FileJob(Node node, Path path) {
    long size() {
      return node.size() == null ? 0 : node.size();
    }
  }

  private CompletableFuture<Tree> readTreeAsync(String id) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return repo.readTree(Id.parse(id));
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        },
        repo.io());
  }

  /**
   * Creates the directories and links of {@code tree} under {@code dir} and collects its files.
   * Every subtree of a directory is requested before the first is walked, so the tree is read with
   * several reads in flight rather than one after another.
   */
  private void restoreDir(
      CompletableFuture<Tree> pending,
      Path dir,
      String rel,
      Options o,
      Set<String> keep,
      List<FileJob> files,
      Node[] control,
      TablespaceDirs tablespaces)
      throws IOException {
    Tree tree = Repository.await(pending);
    Map<String, CompletableFuture<Tree>> subtrees = new HashMap<>();
    for (Node n : tree.nodes()) {
      if (n.type().equals(Node.DIR)) subtrees.put(n.name(), readTreeAsync(n.subtree()));
    }
    for (Node n : tree.nodes()) {
      if (n.name().isEmpty()
          || n.name().equals(".")
          || n.name().equals("..")
          || n.name().contains("/")) {
        throw new RoadieException(
            ErrorCode.INTEGRITY, "the snapshot has an unsafe entry name '" + n.name() + "'");
      }
      Path p = dir.resolve(n.name());
      String r = rel.isEmpty() ? n.name() : rel + "/" + n.name();
      keep.add(r);
      switch (n.type()) {
        case Node.DIR -> {
          Path into = tablespaces.dirFor(r);
          if (into != null) {
            // pg_tblspc/OID becomes a link to the tablespace's location, which receives the
            // directory's contents.
            dev.roadie.core.source.Scratch.deleteTree(p);
            Files.createSymbolicLink(p, into);
          } else {
            into = p;
            if (Files.isSymbolicLink(p)
                || (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p))) {
              Files.delete(p);
            }
          }
          Files.createDirectories(into);
          Files.setPosixFilePermissions(into, Node.permsOf(n.mode() == null ? 0700 : n.mode()));
          restoreDir(subtrees.get(n.name()), into, r, o, keep, files, control, tablespaces);
        }
        case Node.SYMLINK -> {
          Files.deleteIfExists(p);
          Files.createSymbolicLink(p, Path.of(n.linkTarget()));
        }
        case Node.FILE -> {
          if (r.equals("global/pg_control")) {
            control[0] = n;
          } else {
            files.add(new FileJob(n, p));
          }
        }
        default ->
            throw new RoadieException(
                ErrorCode.INTEGRITY, "unknown node type '" + n.type() + "' for " + r);
      }
    }
  }

  private void writeFile(Node n, Path p, boolean delta, int chunkSize) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
      dev.roadie.core.source.Scratch.deleteTree(p);
    }
    long size = n.size() == null ? 0 : n.size();
    if (delta
        && chunkSize > 0
        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
        && deltaWrite(n, p, size, chunkSize)) {
      finish(n, p);
      return;
    }
    // Large files bypass the page cache (DirectFileWriter): less kernel CPU, and their data is on
    // disk when the last write returns, so the fsyncs before pg_control find little left to write.
    Files.deleteIfExists(p);
    try (ContentReader in = new ContentReader(repo, n, p.toString());
        DirectFileWriter out = DirectFileWriter.create(p, size)) {
      byte[] block;
      while ((block = in.nextBlock()) != null) {
        out.write(block, 0, block.length);
        progress.bytesRead.addAndGet(block.length);
        written.addAndGet(block.length);
        in.recycle(block);
      }
      out.finish(false);
    }
    unsynced.add(p);
    finish(n, p);
  }

  /**
   * Rewrites only the chunks of an existing file that differ from the backup. False when the node
   * is not chunked as fixed-size chunks of {@code chunkSize} (then the file is written whole).
   */
  private boolean deltaWrite(Node n, Path p, long size, int chunkSize) throws IOException {
    List<Id> ids = new ArrayList<>();
    Iterator<Id> it = ContentReader.chunkIds(repo, n);
    while (it.hasNext()) ids.add(it.next());
    if (ids.size() != (size + chunkSize - 1) / chunkSize) return false;
    boolean changed = false;
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (ch.size() > size) {
        ch.truncate(size);
        changed = true;
      }
      long existing = ch.size();
      ByteBuffer buf = ByteBuffer.allocate(chunkSize);
      for (int i = 0; i < ids.size(); i++) {
        long off = (long) i * chunkSize;
        int len = (int) Math.min(chunkSize, size - off);
        if (off + len <= existing) {
          buf.clear().limit(len);
          while (buf.hasRemaining()) {
            if (ch.read(buf, off + buf.position()) < 0) break;
          }
          if (buf.position() == len && repo.key().blobId(buf.array(), 0, len).equals(ids.get(i))) {
            progress.bytesRead.addAndGet(len);
            continue;
          }
        }
        byte[] data = repo.readBlob(ids.get(i));
        if (data.length != len) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              p + ": chunk " + i + " has " + data.length + " bytes, expected " + len);
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) ch.write(b, off + b.position());
        progress.bytesRead.addAndGet(len);
        written.addAndGet(len);
        changed = true;
      }
    }
    if (changed) unsynced.add(p);
    if (!changed) unchanged.incrementAndGet();
    return true;
  }

  /** Fsyncs every file written so far, {@value #SYNCS_IN_FLIGHT} at a time. */
  private void syncWritten() throws IOException, InterruptedException {
    Semaphore slots = new Semaphore(SYNCS_IN_FLIGHT);
    List<Future<?>> syncs = new ArrayList<>();
    Path p;
    try {
      while ((p = unsynced.poll()) != null) {
        Path file = p;
        slots.acquire();
        syncs.add(
            repo.io()
                .submit(
                    () -> {
                      try (FileChannel ch =
                          FileChannel.open(
                              file,
                              StandardOpenOption.READ)) { // fsync works on a read-only descriptor
                        ch.force(false);
                      } finally {
                        slots.release();
                      }
                      return null;
                    }));
      }
      for (Future<?> f : syncs) Repository.await(f);
    } finally {
      for (Future<?> f : syncs) f.cancel(false);
    }
  }

  private void finish(Node n, Path p) throws IOException {
    Files.setPosixFilePermissions(p, Node.permsOf(n.mode() == null ? 0600 : n.mode()));
    if (n.mtime() != null) Files.setLastModifiedTime(p, FileTime.from(Instant.parse(n.mtime())));
    progress.files.incrementAndGet();
  }

  /** Removes what the backup does not have (delta restores). */
  private static void removeOthers(Path root, Set<String> keep) throws IOException {
    List<Path> extra = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(p -> !p.equals(root))
          .forEach(
              p -> {
                if (!keep.contains(root.relativize(p).toString())) extra.add(p);
              });
    }
    for (Path p : extra) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) dev.roadie.core.source.Scratch.deleteTree(p);
    }
  }

  // ---- recovery configuration ----

  /**
   * Appends the recovery settings to postgresql.auto.conf, after removing recovery settings a
   * restored cluster may carry from an earlier recovery (they would otherwise still apply), and
   * creates recovery.signal.
   */
  private static void writeRecoveryConfig(Path pgdata, List<String> settings) throws IOException {
    Path conf = pgdata.resolve(CONF);
    List<String> lines = new ArrayList<>();
    if (Files.exists(conf)) {
      for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
        String key = line.trim().split("[\\s=]", 2)[0];
        if (key.equals("restore_command")
            || key.startsWith("recovery_target")
            || key.equals("recovery_end_command")
            || line.startsWith("# added by roadie restore")) {
          continue;
        }
        lines.add(line);
      }
    } else {
      lines.add("# Do not edit this file manually!");
      lines.add("# It will be overwritten by the ALTER SYSTEM command.");
    }
    lines.addAll(settings);
    Path temp = pgdata.resolve(CONF + ".roadie-tmp");
    Files.write(temp, lines, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(
        temp,
        conf,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path signal = pgdata.resolve("recovery.signal");
    Files.write(signal, new byte[0]);
    Files.setPosixFilePermissions(signal, PosixFilePermissions.fromString("rw-------"));
  }

  private static void syncDirectories(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path d : s.filter(Files::isDirectory).toList()) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
          ch.force(true);
        } catch (IOException e) {
          // some file systems cannot fsync a directory
        }
      }
    }
  }

  /** A value as postgresql.conf writes it: single quotes, embedded quotes doubled. */
  static String quote(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  /** A word for /bin/sh: single-quoted, embedded single quotes closed, escaped and reopened. */
  public static String shellQuote(String v) {
    if (v.matches("[A-Za-z0-9_./:@%+=,-]+")) return v;
    return "'" + v.replace("'", "'\\''") + "'";
  }
}
