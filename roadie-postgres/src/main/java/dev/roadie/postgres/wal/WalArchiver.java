package dev.roadie.postgres.wal;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asynchronous WAL archiving, as pgBackRest's {@code archive-push --archive-async}: a background
 * archiver pushes the files PostgreSQL has marked ready ({@code pg_wal/archive_status/*.ready})
 * into the repository ahead of their turn, in batches, several at once, over one open repository,
 * and acknowledges each in the queue directory ({@code SPOOL/async}) once it is durable there.
 * {@code archive_command = 'roadie wal-push --async %p'} then only looks for the acknowledgment
 * (the {@code roadie} launcher does that without a JVM) and returns in milliseconds.
 *
 * <p>Queue files, all written by the archiver holding {@code archiver.lock}:
 *
 * <ul>
 *   <li>{@code NAME.ok}: NAME is durable in the repository. Holds the identity of the file that was
 *       read (size, inode, modification second, as {@code stat -c '%s %i %Y'} prints them), so a
 *       different file under the same name is never acknowledged by it. Written only after {@link
 *       WalArchive#push} returned, i.e. after the object is durable; a lost or missing
 *       acknowledgment only means PostgreSQL asks again and the file is pushed again (idempotent).
 *   <li>{@code NAME.error}: the last push of NAME failed; first line the exit code, then the
 *       message. Removed when NAME is archived.
 *   <li>{@code global.error}: the archiver could not start (repository unreachable, wrong
 *       password).
 *   <li>{@code archiver.alive}: touched while an archiver runs, so the launcher knows whether to
 *       start one.
 * </ul>
 *
 * Acknowledgments and errors of files that are no longer ready are removed. A crashed archiver
 * loses nothing: PostgreSQL keeps every unacknowledged file and calls archive_command again.
 *
 * <p>The agent runs one in-process ({@link #start()}, {@link #stop()}); without the agent the
 * launcher starts {@code roadie wal-push --archiver} in the background, which runs {@link
 * #runUntilIdle(Duration)}. Only one archiver per queue works at a time (the lock); another waits
 * for it.
 */
public final class WalArchiver implements AutoCloseable {
  /**
   * @param jobs files pushed at once
   * @param batch files taken per pass (each is read whole into memory: at most {@code jobs} at
   *     once)
   * @param poll how often {@code archive_status} is looked at
   */
  public record Settings(int jobs, int batch, Duration poll) {
    public Settings {
      if (jobs < 1)
        throw new RoadieException(
            ErrorCode.USAGE, "the archiver's jobs must be at least 1, not " + jobs);
      if (batch < 1)
        throw new RoadieException(
            ErrorCode.USAGE, "the archiver's batch must be at least 1, not " + batch);
      if (poll.isNegative() || poll.isZero())
        throw new RoadieException(ErrorCode.USAGE, "the archiver's poll interval must be positive");
    }

    public static Settings defaults() {
      return new Settings(
          Math.max(2, Runtime.getRuntime().availableProcessors()), 64, Duration.ofMillis(20));
    }
  }

  /** What one pass did: files archived, files that failed, files still waiting after it. */
  public record Pass(int archived, int failed, int waiting) {}

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);
  private static final int READ_SLICE = 1 << 20;

  private final WalArchive archive;
  private final Path walDir;
  private final Path queue;
  private final Settings settings;
  private volatile Instant lastArchived;
  private volatile int waiting;
  private volatile String lastError;
  private volatile boolean running;
  private Thread thread;
  private FileChannel lockChannel;
  private FileLock lock;
  private ExecutorService workers;

  /** At most one per worker: memory stays bounded by {@code jobs} however many files are ready. */
  private final BlockingQueue<Buffers> buffers;

  /**
   * @param walDir the cluster's {@code pg_wal} directory
   * @param spool the spool directory of this cluster and repository ({@link WalPush#defaultSpool})
   */
  public WalArchiver(WalArchive archive, Path walDir, Path spool, Settings settings) {
    this.archive = archive;
    this.walDir = walDir.toAbsolutePath().normalize();
    this.queue = queueDirectory(spool);
    this.settings = settings;
    this.buffers = new ArrayBlockingQueue<>(settings.jobs());
  }

  public static Path queueDirectory(Path spool) {
    return spool.resolve("async");
  }

  /** When a file last reached the repository through this archiver, or null. */
  public Instant lastArchived() {
    return lastArchived;
  }

  /** Files ready and not yet acknowledged after the last pass. */
  public int waiting() {
    return waiting;
  }

  /** The message of the last failed push, null once a push succeeds again. */
  public String lastError() {
    return lastError;
  }

  // ---- acknowledgments ----

  /**
   * The identity recorded in an acknowledgment: size, inode and modification second of the file.
   */
  static String identity(Path file) throws IOException {
    Map<String, Object> a = Files.readAttributes(file, "unix:size,ino,lastModifiedTime");
    return a.get("size")
        + " "
        + a.get("ino")
        + " "
        + ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.SECONDS);
  }

  /**
   * Whether {@code file} is acknowledged in the queue of {@code spool}: archived, and the same
   * file.
   */
  public static boolean acknowledged(Path spool, Path file) throws IOException {
    Path ok = queueDirectory(spool).resolve(file.getFileName() + ".ok");
    try {
      return Files.readString(ok, StandardCharsets.US_ASCII).strip().equals(identity(file));
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** The failure recorded for {@code name} (or for the archiver as a whole), if any. */
  public static RoadieException failure(Path spool, String name) throws IOException {
    for (String f : List.of(name + ".error", "global.error")) {
      try {
        String text = Files.readString(queueDirectory(spool).resolve(f), StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        int code = Integer.parseInt(text.substring(0, nl).strip());
        String message = text.substring(nl + 1).strip();
        return code == ErrorCode.TEMPORARY.exitCode()
            ? new RoadieException.Retriable(message, null)
            : new RoadieException(
                code == ErrorCode.USAGE.exitCode() ? ErrorCode.USAGE : ErrorCode.FAILURE, message);
      } catch (NoSuchFileException e) {
        // none recorded
      } catch (RuntimeException e) {
        // half-written by a crashed archiver: as if none
      }
    }
    return null;
  }

  /** Records that the archiver could not start, for the launcher to report to archive_command. */
  public static void recordStartFailure(Path spool, Exception e) throws IOException {
    Files.createDirectories(queueDirectory(spool));
    write(queueDirectory(spool).resolve("global.error"), errorText(e));
  }

  // ---- running ----

  /**
   * Takes the queue's lock if no other archiver holds it.
   *
   * @return whether this archiver holds it now
   */
  public synchronized boolean tryLock() throws IOException {
    if (lock != null) return true;
    Files.createDirectories(queue);
    FileChannel ch =
        FileChannel.open(
            queue.resolve("archiver.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock l = ch.tryLock();
      if (l == null) {
        ch.close();
        return false;
      }
      lockChannel = ch;
      lock = l;
      Files.deleteIfExists(queue.resolve("global.error"));
      // Written afresh, not touched: an archiver that crashed leaves its own pid in the file.
      Files.writeString(queue.resolve("archiver.alive"), ProcessHandle.current().pid() + "\n");
      return true;
    } catch (OverlappingFileLockException e) {
      ch.close(); // another archiver of this JVM holds it
      return false;
    }
  }

  private synchronized void unlock() {
    if (workers != null) {
      workers.shutdown();
      workers = null;
      buffers.clear();
    }
    if (lock == null) return;
    try {
      Files.deleteIfExists(queue.resolve("archiver.alive"));
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // closing releases the lock in any case
    }
    lock = null;
    lockChannel = null;
  }

  /**
   * Starts archiving in a background thread until {@link #stop()}: what the agent does. When
   * another archiver holds the queue (a {@code wal-push --archiver} the launcher started), this one
   * waits for it to finish and then takes over.
   */
  public synchronized void start() {
    if (running) return;
    running = true;
    thread =
        Thread.ofPlatform().daemon().name("roadie-wal-archiver").start(this::archiveWhileRunning);
  }

  /**
   * Archives on this thread until {@link #requestStop()} or {@link #stop()}, as {@link #start()}
   * does in the background: what the agent's continuous job runs.
   */
  public void runUntilStopped() {
    synchronized (this) {
      if (running) throw new IllegalStateException("this archiver is running already");
      running = true;
    }
    archiveWhileRunning();
  }

  private void archiveWhileRunning() {
    Duration backoff = settings.poll();
    try {
      while (running) {
        try {
          if (tryLock()) {
            Pass p = archiveReady();
            backoff =
                p.failed() > 0 && p.archived() == 0
                    ? min(backoff.multipliedBy(2), MAX_BACKOFF)
                    : settings.poll();
          }
        } catch (IOException | RuntimeException e) {
          lastError = e.getMessage();
          backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
        }
        pause(backoff);
      }
    } finally {
      unlock();
    }
  }

  /** Ends {@link #runUntilStopped()} after the pass under way, without waiting for it. */
  public synchronized void requestStop() {
    running = false;
    notifyAll();
  }

  /**
   * Stops archiving: a push under way completes (and is acknowledged), nothing new starts, and the
   * queue's lock is released.
   */
  public void stop() throws InterruptedException {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
      thread = null;
      notifyAll();
    }
    if (t != null) t.join();
    unlock();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /**
   * Archives until nothing has been ready for {@code linger} (zero: until the thread is
   * interrupted): what {@code wal-push --archiver} runs.
   *
   * @return false when another archiver holds the queue (then nothing was done)
   */
  public boolean runUntilIdle(Duration linger) throws IOException {
    if (!tryLock()) return false;
    try {
      // Errors of an earlier archiver are stale: each file is tried afresh.
      removeQueueFiles(name -> name.endsWith(".error"));
      long idleSince = System.nanoTime();
      Duration backoff = settings.poll();
      while (!Thread.currentThread().isInterrupted()) {
        Pass p = archiveReady();
        if (p.waiting() > 0 || p.archived() > 0) idleSince = System.nanoTime();
        else if (!linger.isZero() && System.nanoTime() - idleSince > linger.toNanos()) return true;
        backoff =
            p.failed() > 0 && p.archived() == 0
                ? min(backoff.multipliedBy(2), MAX_BACKOFF)
                : settings.poll();
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return true;
    } finally {
      unlock();
    }
  }

  /**
   * One pass, by the holder of the lock: pushes up to {@code batch} ready files that are not
   * acknowledged yet (timeline history files first, then by name, as PostgreSQL orders them),
   * {@code jobs} at once, and acknowledges each once it is durable. Removes the acknowledgments and
   * errors of files no longer ready.
   */
  public Pass archiveReady() throws IOException {
    if (lock == null)
      throw new IllegalStateException("archiveReady() needs the queue's lock: tryLock() first");
    heartbeat();
    List<String> ready = readyFiles();
    Set<String> readySet = new HashSet<>(ready);
    removeQueueFiles(
        name -> {
          String file =
              name.endsWith(".ok")
                  ? name.substring(0, name.length() - 3)
                  : name.endsWith(".error") && !name.equals("global.error")
                      ? name.substring(0, name.length() - 6)
                      : null;
          return file != null && !readySet.contains(file);
        });
    List<String> todo = new ArrayList<>();
    for (String n : ready) {
      Path file = walDir.resolve(n);
      try {
        if (!acknowledged(queue.getParent(), file)) todo.add(n);
      } catch (NoSuchFileException e) {
        // archived and recycled meanwhile
      }
    }
    List<String> pass = todo.subList(0, Math.min(todo.size(), settings.batch()));
    int archived = 0;
    int failed = 0;
    if (!pass.isEmpty()) {
      // Files are taken in order, so the oldest (the one archive_command waits for) is pushed first
      // and acknowledgments come in the order PostgreSQL asks for them.
      AtomicInteger next = new AtomicInteger();
      AtomicInteger ok = new AtomicInteger();
      List<Future<?>> running = new ArrayList<>();
      ExecutorService pool = workers();
      for (int w = 0; w < Math.min(settings.jobs(), pass.size()); w++) {
        running.add(
            pool.submit(
                () -> {
                  Buffers b = buffers.poll();
                  if (b == null) b = new Buffers();
                  try {
                    for (int i; (i = next.getAndIncrement()) < pass.size(); ) {
                      if (pushOne(pass.get(i), b)) ok.incrementAndGet();
                    }
                  } finally {
                    buffers.offer(b);
                  }
                  return null;
                }));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (ExecutionException e) {
          // pushOne records its failures; anything else is counted below as not archived
        }
      }
      archived = ok.get();
      failed = pass.size() - archived;
    }
    waiting = todo.size() - archived;
    return new Pass(archived, failed, waiting);
  }

  /**
   * The worker threads of this archiver while it holds the lock: {@code jobs} long-lived threads,
   * so that each keeps its compression context, MAC and cipher from one push to the next.
   */
  private synchronized ExecutorService workers() {
    if (workers == null) {
      workers =
          Executors.newFixedThreadPool(
              settings.jobs(), Thread.ofPlatform().daemon().name("roadie-wal-push-", 1).factory());
    }
    return workers;
  }

  /** A worker's memory: the file read and the object sealed from it, reused for every push. */
  private static final class Buffers {
    private byte[] content = new byte[0];
    final WalArchive.PushBuffers push = new WalArchive.PushBuffers();

    byte[] content(int size) {
      if (content.length < size) content = new byte[size];
      return content;
    }
  }

  /**
   * Pushes one ready file; true when it is durable and acknowledged. Failures are recorded, not
   * thrown.
   */
  private boolean pushOne(String name, Buffers buffers) throws IOException {
    Path file = walDir.resolve(name);
    try {
      String before = identity(file);
      long size = Long.parseLong(before.substring(0, before.indexOf(' ')));
      int length = read(file, size, buffers);
      if (length != size || !identity(file).equals(before)) {
        throw new RoadieException(
            ErrorCode.FAILURE, file + " changed while it was read; it is read again");
      }
      archive.push(name, buffers.content, length, buffers.push);
      // Durable now: only from here on may archive_command be told so.
      write(queue.resolve(name + ".ok"), before + "\n");
      Files.deleteIfExists(queue.resolve(name + ".error"));
      lastArchived = Instant.now();
      lastError = null;
      return true;
    } catch (NoSuchFileException e) {
      return false; // archived and recycled meanwhile: PostgreSQL no longer asks for it
    } catch (IOException | RuntimeException e) {
      lastError = name + ": " + e.getMessage();
      write(queue.resolve(name + ".error"), errorText(e));
      return false;
    }
  }

  /**
   * Reads up to {@code size} bytes of {@code file} into the worker's buffer; -1 if it is longer.
   */
  private static int read(Path file, long size, Buffers buffers) throws IOException {
    if (size > Integer.MAX_VALUE - 64) {
      throw new RoadieException(
          ErrorCode.FAILURE, file + " has " + size + " bytes: too large for a WAL file");
    }
    byte[] content = buffers.content((int) size);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      // In slices: a read into a heap buffer goes through a temporary direct buffer of its size.
      ByteBuffer b = ByteBuffer.wrap(content, 0, (int) size);
      while (b.position() < size) {
        b.limit(Math.min((int) size, b.position() + READ_SLICE));
        if (ch.read(b) < 0) break;
      }
      if (ch.read(ByteBuffer.allocate(1)) > 0) return -1;
      return b.position();
    }
  }

  private List<String> readyFiles() throws IOException {
    List<String> ready = new ArrayList<>();
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(walDir.resolve("archive_status"), "*.ready")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        n = n.substring(0, n.length() - ".ready".length());
        if (WalNames.isArchivable(n)) ready.add(n);
      }
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          walDir.resolve("archive_status")
              + " does not exist: "
              + walDir
              + " is not the pg_wal directory of a PostgreSQL cluster; pass the data directory with --pgdata");
    }
    ready.sort(Comparator.comparing((String n) -> !WalNames.isHistory(n)).thenComparing(n -> n));
    return ready;
  }

  private void removeQueueFiles(java.util.function.Predicate<String> which) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue)) {
      for (Path p : ds) {
        if (which.test(p.getFileName().toString())) Files.deleteIfExists(p);
      }
    }
  }

  private void heartbeat() throws IOException {
    Path alive = queue.resolve("archiver.alive");
    try {
      Files.setLastModifiedTime(alive, FileTime.from(Instant.now()));
    } catch (NoSuchFileException e) {
      Files.writeString(alive, ProcessHandle.current().pid() + "\n");
    }
  }

  private synchronized void pause(Duration d) {
    if (!running) return;
    try {
      wait(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private static String errorText(Throwable e) {
    // As the command would exit and report it (Main): a file failure names what failed and why.
    int code = e instanceof RoadieException r ? r.code().exitCode() : ErrorCode.FAILURE.exitCode();
    String message =
        e instanceof IOException io
            ? FileFailure.describe(io)
            : e.getMessage() != null ? e.getMessage() : e.toString();
    return code + "\n" + message + "\n";
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Writes a queue file under a temporary name and renames it, so readers never see half of one.
   */
  private static void write(Path target, String text) throws IOException {
    Path temp = target.resolveSibling(".tmp-" + target.getFileName());
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
