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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code restore_command}: writes one archived WAL file to where PostgreSQL wants it, and fetches
 * the next {@code prefetch} segments of the same timeline in parallel into the spool directory
 * ({@code prefetch/<name>}), so that PostgreSQL's next calls are served from local disk without
 * opening the repository. Only whole archived segments are prefetched, never one assembled from
 * fragments (it may still grow). Spooled segments older than the one asked for are removed:
 * recovery only moves forward.
 */
public final class WalFetch {
  public record Options(String name, Path destination, Path spool, int prefetch) {}

  private final WalArchive archive;

  public WalFetch(WalArchive archive) {
    this.archive = archive;
  }

  /** Serves {@code name} from the prefetch spool; true when it was there. */
  public static boolean fromSpool(Path spool, String name, Path destination) throws IOException {
    Path spooled = spool.resolve("prefetch").resolve(name);
    if (!Files.exists(spooled)) return false;
    move(spooled, destination);
    return true;
  }

  /** Fetches {@code name}; returns null when the archive does not have it, else a note (or ""). */
  public String run(Options o) throws IOException {
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
      return null;
    }
    if (!f.complete() || !WalNames.isSegment(name) || o.prefetch() <= 0) {
      write(f.bytes(), o.destination());
      return f.complete() ? "" : f.note();
    }
    // The segment's length is the cluster's segment size, which the names of the next ones depend
    // on.
    cleanSpool(o.spool(), name);
    long segmentSize = f.bytes().length;
    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    try {
      List<String> ahead = new ArrayList<>();
      List<Future<byte[]>> fetches = new ArrayList<>();
      String next = name;
      for (int i = 0; i < o.prefetch(); i++) {
        next = WalNames.next(next, segmentSize);
        String n = next;
        ahead.add(n);
        fetches.add(threads.submit(() -> archive.read(n)));
      }
      write(f.bytes(), o.destination());
      Path dir = o.spool().resolve("prefetch");
      for (int i = 0; i < ahead.size(); i++) {
        byte[] b;
        try {
          b = fetches.get(i).get();
        } catch (ExecutionException e) {
          break; // prefetch is an optimisation; PostgreSQL's own call for that file reports any
          // error
        }
        if (b == null) break;
        Files.createDirectories(dir);
        write(b, dir.resolve(ahead.get(i)));
      }
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      threads.shutdownNow();
    }
  }

  private static void cleanSpool(Path spool, String requested) throws IOException {
    Path dir = spool.resolve("prefetch");
    if (!Files.isDirectory(dir)) return;
    String position = requested.substring(8);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (!WalNames.isSegment(n) || n.substring(8).compareTo(position) < 0)
          Files.deleteIfExists(p);
      }
    }
  }

  /** Writes under a temporary name in the destination's directory, then renames into place. */
  private static void write(byte[] bytes, Path destination) throws IOException {
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

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
