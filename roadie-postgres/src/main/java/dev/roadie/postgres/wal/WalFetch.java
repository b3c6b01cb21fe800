package dev.roadie.postgres.wal;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * {@code restore_command}: writes one archived WAL file to where PostgreSQL wants it. A whole
 * archived segment fetched here tells the caller where recovery is ({@link Result#segmentSize}), so
 * that a {@link WalPrefetcher} fetches the following segments of the same timeline into the spool
 * ({@code prefetch/<name>}) while PostgreSQL replays this one; its next calls are then served from
 * local disk without opening the repository. Only whole archived segments are prefetched, never one
 * assembled from fragments (it may still grow). Spooled segments older than the one asked for are
 * removed: recovery only moves forward.
 */
public final class WalFetch {
  public record Options(String name, Path destination, Path spool) {}

  /**
   * What a fetch found: nothing ({@code found} false), or the file, with a note when it was
   * assembled from fragments that end early; {@code segmentSize} is the size of a whole archived
   * segment after which prefetching makes sense, else 0.
   */
  public record Result(boolean found, String note, long segmentSize) {}

  /** How long a call waits for a segment that the running prefetcher is fetching now. */
  private static final long PENDING_WAIT_NANOS = java.time.Duration.ofMinutes(2).toNanos();

  private final WalArchive archive;

  public WalFetch(WalArchive archive) {
    this.archive = archive;
  }

  /**
   * Serves {@code name} from the prefetch spool; true when it was there. A segment the running
   * prefetcher is fetching now is waited for.
   */
  public static boolean fromSpool(Path spool, String name, Path destination)
      throws IOException, InterruptedException {
    Path dir = WalPrefetcher.directory(spool);
    Path spooled = dir.resolve(name);
    long deadline = System.nanoTime() + PENDING_WAIT_NANOS;
    while (!Files.exists(spooled)
        && Files.exists(dir.resolve(name + ".pending"))
        && WalPrefetcher.running(spool)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    try {
      move(spooled, destination);
      return true;
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  /** Fetches {@code name} to the destination. */
  public Result run(Options o) throws IOException {
    String name = o.name();
    if (!WalNames.isArchivable(name)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + name
              + "' is not a WAL file name; use restore_command = "
              + "'roadie wal-fetch %f %p'");
    }
    WalArchive.Fetched f = archive.fetch(name);
    if (f == null) {
      return new Result(false, "", 0);
    }
    write(f.bytes(), o.destination());
    if (!f.complete()) return new Result(true, f.note(), 0);
    if (!WalNames.isSegment(name)) return new Result(true, "", 0);
    cleanSpool(o.spool(), name);
    return new Result(true, "", f.bytes().length);
  }

  /** Removes spooled segments before {@code requested}: recovery has passed them. */
  private static void cleanSpool(Path spool, String requested) throws IOException {
    Path dir = WalPrefetcher.directory(spool);
    if (!Files.isDirectory(dir)) return;
    String position = requested.substring(8);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (WalNames.isSegment(n) && n.substring(8).compareTo(position) < 0)
          Files.deleteIfExists(p);
      }
    }
  }

  /** Writes under a temporary name in the destination's directory, then renames into place. */
  static void write(byte[] bytes, Path destination) throws IOException {
    Path temp = destination.resolveSibling(".roadie-" + UUID.randomUUID());
    try {
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
      }
      move(temp, destination);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
