package dev.roadie.postgres.wal;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * {@code archive_command}: archives one WAL file, and with it up to {@code batch} other files that
 * PostgreSQL has marked ready ({@code pg_wal/archive_status/*.ready}), in parallel, because
 * starting a JVM costs more than archiving a segment.
 *
 * <p>PostgreSQL renames {@code X.ready} to {@code X.done} only after archive_command returned 0 for
 * X, and it will call archive_command for every ready file in turn. So a file archived ahead of its
 * turn gets a marker in the spool directory ({@code pushed/<name>}: SHA-256 and size of what was
 * archived), written only after the archive object is durable. When PostgreSQL then asks for that
 * file, the {@code roadie} launcher script reads the marker before any JVM starts (that check must
 * not cost a JVM's start, and it is the only reader of markers): if the file's SHA-256 and size
 * still match, the call succeeds at once and the marker is removed; otherwise, or when the JVM is
 * started some other way, the file is archived normally here (accepted if the archive holds the
 * same content under its name, refused if different). Markers live from one call to the next few;
 * markers of files that are no longer ready are removed.
 */
public final class WalPush {
  public record Options(Path file, Path spool, int batch, int jobs) {}

  /** The outcome: the file asked for, and the others archived with it. */
  public record Result(
      String name,
      WalArchive.PushResult result,
      int othersArchived,
      List<String> warnings,
      long nanos) {}

  private final WalArchive archive;

  public WalPush(WalArchive archive) {
    this.archive = archive;
  }

  /** The directory of the default spool for a data directory and repository location. */
  public static Path defaultSpool(Path pgdata, String repositoryLocation) {
    return pgdata.resolve("pg_wal").resolve("roadie").resolve(locationKey(repositoryLocation));
  }

  /**
   * 16 hex digits of SHA-256 of the repository location: one spool per repository. The launcher
   * script computes the same name to find markers.
   */
  static String locationKey(String location) {
    return HexFormat.of().formatHex(sha256(location.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  /**
   * A marker's content: SHA-256 in hex, a space, the size in bytes (the launcher compares it as
   * text).
   */
  static String fingerprint(byte[] content) {
    return HexFormat.of().formatHex(sha256(content)) + " " + content.length;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Result run(Options o) throws IOException {
    long start = System.nanoTime();
    Path file = o.file();
    String name = file.getFileName().toString();
    if (!WalNames.isArchivable(name)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + file
              + "' is not a WAL segment, timeline history or backup "
              + "history file; use archive_command = 'roadie wal-push %p'");
    }
    List<Path> others = o.batch() > 0 ? readyFiles(file, o.spool(), o.batch()) : List.of();
    List<String> warnings = new ArrayList<>();
    int[] archived = {0};
    WalArchive.PushResult result;
    if (others.isEmpty()) {
      result = archive.push(name, read(file));
    } else {
      ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
      Semaphore slots = new Semaphore(Math.max(1, o.jobs()));
      try {
        Future<WalArchive.PushResult> mine =
            threads.submit(() -> limited(slots, () -> archive.push(name, read(file))));
        List<Future<?>> ahead = new ArrayList<>();
        for (Path p : others) {
          ahead.add(
              threads.submit(
                  () ->
                      limited(
                          slots,
                          () -> {
                            byte[] content;
                            try {
                              content = Files.readAllBytes(p);
                            } catch (NoSuchFileException e) {
                              return null; // archived and recycled meanwhile
                            }
                            archive.push(p.getFileName().toString(), content);
                            mark(o.spool(), p.getFileName().toString(), content);
                            synchronized (archived) {
                              archived[0]++;
                            }
                            return null;
                          })));
        }
        result = Repository.await(mine);
        for (int i = 0; i < ahead.size(); i++) {
          try {
            Repository.await(ahead.get(i));
          } catch (IOException | RuntimeException e) {
            // Not fatal: PostgreSQL will ask for that file itself, and it is archived (or refused)
            // then.
            warnings.add(others.get(i).getFileName() + ": " + e.getMessage());
          }
        }
      } finally {
        threads.shutdownNow();
      }
    }
    return new Result(name, result, archived[0], warnings, System.nanoTime() - start);
  }

  private interface IoTask<T> {
    T call() throws IOException;
  }

  private static <T> T limited(Semaphore slots, IoTask<T> task)
      throws IOException, InterruptedException {
    slots.acquire();
    try {
      return task.call();
    } finally {
      slots.release();
    }
  }

  private static byte[] read(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          file.toAbsolutePath()
              + " does not exist; archive_command must be "
              + "'roadie wal-push %p' and run in the data directory (PostgreSQL does that)");
    }
  }

  /**
   * The other files PostgreSQL has marked ready, oldest first (timeline history files before
   * everything, as PostgreSQL orders them), at most {@code max}, without those already marked.
   * Markers of files that are no longer ready are removed.
   */
  static List<Path> readyFiles(Path file, Path spool, int max) throws IOException {
    Path walDir = file.toAbsolutePath().getParent();
    Path status = walDir.resolve("archive_status");
    List<String> ready = new ArrayList<>();
    if (!Files.isDirectory(status)) return List.of();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(status, "*.ready")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        n = n.substring(0, n.length() - ".ready".length());
        if (WalNames.isArchivable(n)) ready.add(n);
      }
    }
    Path pushed = spool.resolve("pushed");
    List<String> marked = new ArrayList<>();
    if (Files.isDirectory(pushed)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(pushed)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (!ready.contains(n)) Files.deleteIfExists(p);
          else marked.add(n);
        }
      }
    }
    String self = file.getFileName().toString();
    return ready.stream()
        .filter(n -> !n.equals(self) && !marked.contains(n))
        .sorted(Comparator.comparing((String n) -> !WalNames.isHistory(n)).thenComparing(n -> n))
        .limit(max)
        .map(walDir::resolve)
        .toList();
  }

  private static void mark(Path spool, String name, byte[] content) throws IOException {
    Path dir = spool.resolve("pushed");
    Files.createDirectories(dir);
    Path temp = dir.resolve(".tmp-" + name);
    Files.writeString(temp, fingerprint(content) + "\n", StandardCharsets.US_ASCII);
    try {
      Files.move(
          temp,
          dir.resolve(name),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
