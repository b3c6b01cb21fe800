package dev.roadie.postgres.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches the WAL segments that recovery will ask for next into the spool, in a process of its own,
 * so that {@code restore_command} returns as soon as its own file is written and PostgreSQL's
 * following calls are answered from local disk: by the launcher without a JVM
 * (scripts/lib/wal-fetch.sh), or by {@link WalFetch#fromSpool}. The files of {@code
 * SPOOL/prefetch/}:
 *
 * <ul>
 *   <li>{@code NAME}: a whole archived segment, read, authenticated and verified, written under a
 *       temporary name and renamed into place (a file of that name is complete);
 *   <li>{@code NAME.pending}: being fetched now; a call for NAME waits for it instead of fetching
 *       it a second time;
 *   <li>{@code position}: the segment a {@code wal-fetch} last had to fetch itself: recovery is
 *       there, and the window moves to follow it (a timeline switch, a restart of recovery);
 *   <li>{@code prefetcher.lock}, held by the one running prefetcher, and {@code prefetcher.alive},
 *       touched on every turn.
 * </ul>
 *
 * It keeps at most {@code ahead} segments fetched and not yet taken (disk in the data directory's
 * file system: {@code ahead} x the segment size), {@code jobs} fetches at a time. A segment that is
 * not archived yet is asked for again every second. It ends once recovery has taken nothing for
 * {@code idle} (recovery ended, paused or stopped), removing what it fetched and nobody took, or at
 * once when the spool is removed (roadie's restores remove it at the end of recovery).
 */
public final class WalPrefetcher implements AutoCloseable {
  public record Settings(int ahead, int jobs, Duration idle) {
    public static Settings of(int ahead) {
      return new Settings(ahead, Math.min(4, ahead), Duration.ofSeconds(30));
    }
  }

  /** A heartbeat older than this means no prefetcher runs. */
  static final Duration ALIVE = Duration.ofSeconds(3);

  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final long TURN_MILLIS = 20;

  private final WalArchive archive;
  private final Path dir;
  private final Settings settings;
  private FileChannel lockChannel;
  private FileLock lock;

  public WalPrefetcher(WalArchive archive, Path spool, Settings settings) {
    this.archive = archive;
    this.dir = directory(spool);
    this.settings = settings;
  }

  static Path directory(Path spool) {
    return spool.resolve("prefetch");
  }

  /** Takes the spool's prefetcher lock; false when another prefetcher holds it. */
  public boolean tryLock() throws IOException {
    Files.createDirectories(dir);
    lockChannel =
        FileChannel.open(
            dir.resolve("prefetcher.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      lockChannel = null;
    }
    return lock != null;
  }

  /** Whether a prefetcher runs for this spool (its heartbeat is recent). */
  public static boolean running(Path spool) {
    try {
      FileTime t = Files.getLastModifiedTime(directory(spool).resolve("prefetcher.alive"));
      return System.currentTimeMillis() - t.toMillis() <= ALIVE.toMillis();
    } catch (IOException e) {
      return false;
    }
  }

  /** Records that recovery fetched {@code segment} itself: the running prefetcher follows it. */
  public static void position(Path spool, String segment) throws IOException {
    Path d = Files.createDirectories(directory(spool));
    Path temp = d.resolve(".position-" + ProcessHandle.current().pid());
    Files.writeString(temp, segment + "\n", StandardCharsets.US_ASCII);
    WalFetch.move(temp, d.resolve("position"));
  }

  private record Fetch(String name, Future<byte[]> bytes) {}

  /**
   * Fetches ahead of {@code from} (a segment recovery has) until recovery has taken nothing for the
   * idle time. Call with the lock held.
   */
  public void run(String from, long segmentSize) throws IOException, InterruptedException {
    if (lock == null) throw new IllegalStateException("run without the lock");
    ExecutorService threads = Executors.newFixedThreadPool(settings.jobs());
    Deque<Fetch> inflight = new ArrayDeque<>();
    List<String> spooled = new ArrayList<>();
    String position = from;
    String next = WalNames.next(from, segmentSize);
    long lastProgress = System.nanoTime();
    long retryAt = 0;
    try {
      while (Files.isDirectory(dir)) {
        long now = System.nanoTime();
        touch(dir.resolve("prefetcher.alive"));
        if (spooled.removeIf(n -> !Files.exists(dir.resolve(n)))) lastProgress = now;
        String p = readPosition();
        if (p != null && !p.equals(position)) {
          position = p;
          lastProgress = now;
          // Recovery fetched p itself: what is spooled at or before p, or on another timeline, is
          // not wanted any more; if p is at or past the window, the window starts after it.
          for (String n : List.copyOf(spooled)) {
            if (!ahead(n, p, segmentSize)) {
              Files.deleteIfExists(dir.resolve(n));
              spooled.remove(n);
            }
          }
          if (!ahead(next, p, segmentSize)) {
            cancel(inflight);
            next = WalNames.next(p, segmentSize);
            retryAt = 0;
          }
        }
        if (now - lastProgress > settings.idle().toNanos()) return;
        while (now >= retryAt
            && inflight.size() < settings.jobs()
            && spooled.size() + inflight.size() < settings.ahead()) {
          String n = next;
          touch(dir.resolve(n + ".pending"));
          inflight.add(new Fetch(n, threads.submit(() -> archive.read(n))));
          next = WalNames.next(n, segmentSize);
        }
        Fetch first = inflight.peekFirst();
        if (first == null) {
          Thread.sleep(TURN_MILLIS);
          continue;
        }
        byte[] bytes;
        try {
          bytes = first.bytes().get(TURN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          continue;
        } catch (ExecutionException e) {
          // The call for this segment fetches it itself and reports the error to PostgreSQL.
          System.err.println(
              "roadie wal-fetch: prefetching " + first.name() + ": " + e.getCause().getMessage());
          bytes = null;
        }
        inflight.removeFirst();
        if (bytes == null) {
          // Not archived (yet), or unreadable: ask again later, from this segment on, in order.
          Files.deleteIfExists(dir.resolve(first.name() + ".pending"));
          cancel(inflight);
          next = first.name();
          retryAt = System.nanoTime() + RETRY.toNanos();
          continue;
        }
        try {
          WalFetch.write(bytes, dir.resolve(first.name()));
        } catch (NoSuchFileException e) {
          continue; // the spool was removed: the loop ends
        }
        Files.deleteIfExists(dir.resolve(first.name() + ".pending"));
        spooled.add(first.name());
      }
    } finally {
      threads.shutdownNow();
      for (Fetch f : inflight) Files.deleteIfExists(dir.resolve(f.name() + ".pending"));
      for (String n : spooled) Files.deleteIfExists(dir.resolve(n));
      Files.deleteIfExists(dir.resolve("prefetcher.alive"));
    }
  }

  /** Whether {@code segment} is on {@code position}'s timeline and after it. */
  private static boolean ahead(String segment, String position, long segmentSize) {
    return WalNames.timeline(segment) == WalNames.timeline(position)
        && WalNames.segmentNumber(segment, segmentSize)
            > WalNames.segmentNumber(position, segmentSize);
  }

  private void cancel(Deque<Fetch> inflight) throws IOException {
    for (Fetch f : inflight) {
      f.bytes().cancel(true);
      Files.deleteIfExists(dir.resolve(f.name() + ".pending"));
    }
    inflight.clear();
  }

  private String readPosition() throws IOException {
    try {
      String s = Files.readString(dir.resolve("position"), StandardCharsets.US_ASCII).strip();
      return WalNames.isSegment(s) ? s : null;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Creates or touches {@code p}; quietly nothing when its directory was removed. */
  private static void touch(Path p) throws IOException {
    try {
      if (!Files.exists(p)) Files.createFile(p);
      else Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (NoSuchFileException | java.nio.file.FileAlreadyExistsException e) {
      // removed with the spool (the loop ends), or created meanwhile
    }
  }

  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.release();
      lock = null;
    }
    if (lockChannel != null) {
      lockChannel.close();
      lockChannel = null;
    }
  }
}
