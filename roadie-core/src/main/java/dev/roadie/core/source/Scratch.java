package dev.roadie.core.source;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The throwaway things one verification sets up (temporary directories, servers it starts, scratch
 * databases it creates) and how each is torn down. A source registers a clean-up as soon as the
 * thing exists; {@link #tearDown} runs them, newest first, exactly once, whether the verification
 * passed, failed or was interrupted. A JVM shutdown hook tears down every scratch still open, so
 * SIGTERM (or Ctrl-C) stops the servers and removes the directories too; only SIGKILL leaves them,
 * and their names ({@code roadie-verify-*}) say what they are.
 *
 * <p>Directories are unique ({@link Files#createTempDirectory}), so two verifications can run side
 * by side on one machine.
 */
public final class Scratch implements AutoCloseable {
  /** A clean-up step. */
  @FunctionalInterface
  public interface Cleanup {
    void run() throws Exception;
  }

  private record Step(String what, Cleanup cleanup) {}

  private static final Set<Scratch> OPEN = ConcurrentHashMap.newKeySet();
  private static volatile boolean hooked;

  private final Path base;
  private final Deque<Step> steps = new ArrayDeque<>();
  private final List<String> problems = new ArrayList<>();
  private boolean closed;

  private Scratch(Path base) {
    this.base = base;
  }

  /**
   * A scratch whose directories go under {@code base} (null: the system's temporary directory),
   * closed by the shutdown hook if the process ends before {@link #close}.
   */
  public static Scratch open(Path base) {
    installHook();
    Scratch s = new Scratch(base);
    OPEN.add(s);
    return s;
  }

  private static synchronized void installHook() {
    if (hooked) return;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Scratch s : OPEN) s.tearDown();
                },
                "roadie-scratch-cleanup"));
    hooked = true;
  }

  /**
   * A new private (0700) directory {@code roadie-verify-NAME-…}, removed with everything in it at
   * close.
   */
  public Path directory(String name) throws IOException {
    Path dir =
        base == null
            ? Files.createTempDirectory(
                "roadie-verify-" + name + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
            : Files.createTempDirectory(
                Files.createDirectories(base),
                "roadie-verify-" + name + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    onClose("remove " + dir, () -> deleteTree(dir));
    return dir;
  }

  /** Registers a clean-up; it runs before those registered earlier. */
  public synchronized void onClose(String what, Cleanup cleanup) {
    if (closed) {
      // Closed by the shutdown hook while the verification was still setting up: tear down at once.
      run(new Step(what, cleanup));
      return;
    }
    steps.push(new Step(what, cleanup));
  }

  /**
   * Runs every clean-up, newest first; one that fails does not stop the others. Returns what could
   * not be cleaned up (empty when all went), also on later calls.
   */
  public synchronized List<String> tearDown() {
    if (!closed) {
      closed = true;
      while (!steps.isEmpty()) run(steps.pop());
      OPEN.remove(this);
    }
    return List.copyOf(problems);
  }

  /** {@link #tearDown}, for try-with-resources. */
  @Override
  public void close() {
    tearDown();
  }

  private void run(Step s) {
    try {
      s.cleanup().run();
    } catch (Exception e) {
      problems.add(s.what() + ": " + e.getMessage());
    }
  }

  /**
   * Deletes a directory tree without following symlinks; a tree already gone is fine. A process
   * that is still ending may add a file while the tree is walked (a WAL prefetcher notices the
   * removal of its spool within milliseconds): the walk is then repeated, a few times.
   */
  public static void deleteTree(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        deleteTreeOnce(dir);
        return;
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        if (attempt == 5) throw e;
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static void deleteTreeOnce(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
