package dev.roadie.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One private instance of a server kind, run by {@code scripts/test-servers run KIND DIR} in a
 * fresh temporary directory: the script prints {@code export NAME=value} lines once the server
 * answers, and stops it when its standard input closes, so an instance never outlives this JVM.
 */
final class ServerRun implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final Map<String, String> env;

  private ServerRun(Process process, Path dir, Map<String, String> env) {
    this.process = process;
    this.dir = dir;
    this.env = env;
  }

  static ServerRun start(String kind, int exportLines, Duration timeout) throws IOException {
    return start(kind, exportLines, timeout, Map.of());
  }

  /** As {@link #start(String, int, Duration)}, with variables added to the script's environment. */
  static ServerRun start(
      String kind, int exportLines, Duration timeout, Map<String, String> environment)
      throws IOException {
    TestServers.build(kind); // outside the start-up timeout: the first build takes long
    Path dir = Files.createTempDirectory("roadie-" + kind);
    Path log = dir.resolve("run.log");
    ProcessBuilder pb =
        new ProcessBuilder(TestServers.command(List.of("run", kind, dir.toString())))
            .redirectError(log.toFile());
    pb.environment().putAll(environment);
    Process process = pb.start();
    CompletableFuture<Map<String, String>> exports =
        CompletableFuture.supplyAsync(() -> readExports(process, exportLines));
    try {
      return new ServerRun(process, dir, exports.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      String why =
          e instanceof TimeoutException ? "did not start within " + timeout : "did not start";
      stop(process);
      String messages = tail(log);
      deleteTree(dir);
      throw new IOException(kind + " " + why + "; scripts/test-servers said:\n" + messages, e);
    }
  }

  private static Map<String, String> readExports(Process process, int count) {
    Map<String, String> env = new LinkedHashMap<>();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    try {
      while (env.size() < count) {
        String line = out.readLine();
        if (line == null) {
          throw new IllegalStateException("exited with status " + process.waitFor());
        }
        if (!line.startsWith("export ") || !line.contains("=")) {
          throw new IllegalStateException("printed an unexpected line: " + line);
        }
        String assignment = line.substring("export ".length());
        int eq = assignment.indexOf('=');
        env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
      }
      return env;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The values of the export lines, by name. */
  Map<String, String> env() {
    return env;
  }

  Path dir() {
    return dir;
  }

  private static void stop(Process process) {
    try {
      process.getOutputStream().close(); // the script stops its servers when its input closes
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (IOException e) {
      process.destroy();
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the servers and deletes their directory. */
  @Override
  public void close() {
    stop(process);
    deleteTree(dir);
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    } catch (IOException e) {
      return "(no messages)";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: the directory is under the temporary directory
    }
  }
}
