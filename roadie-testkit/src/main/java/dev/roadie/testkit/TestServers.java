package dev.roadie.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The repository's {@code scripts/test-servers}, which builds the pinned server binaries (MinIO,
 * mc, etcd, Kubernetes) into a cache outside the work tree and runs them. The first use on a
 * machine builds them: minutes for MinIO, tens of minutes for Kubernetes; later uses find them in
 * the cache.
 */
public final class TestServers {
  private TestServers() {}

  /** The script: -Droadie.test-servers if set, else found from the working directory upwards. */
  public static Path script() {
    String configured = System.getProperty("roadie.test-servers");
    if (configured != null) {
      return Path.of(configured);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("scripts/test-servers");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no scripts/test-servers in "
            + Path.of("").toAbsolutePath()
            + " or above: run the tests from the roadie work tree, or set -Droadie.test-servers=PATH");
  }

  /**
   * Builds {@code name} (minio, mc, etcd, kube) unless the cache has it; the script's progress goes
   * to this process's standard error.
   */
  public static void build(String name) {
    run(List.of("build", name));
  }

  /**
   * The path of a built binary (minio, mc, etcd, kube-apiserver, kube-controller-manager, kubectl).
   */
  public static Path binary(String name) {
    return Path.of(run(List.of("path", name)).strip());
  }

  private static String run(List<String> args) {
    ProcessBuilder pb =
        new ProcessBuilder(command(args)).redirectError(ProcessBuilder.Redirect.INHERIT);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = p.waitFor();
      if (status != 0) {
        throw new IllegalStateException(
            script()
                + " "
                + String.join(" ", args)
                + " failed with status "
                + status
                + " (its messages are above)");
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + script(), e);
    }
  }

  static List<String> command(List<String> args) {
    return Stream.concat(Stream.of(script().toString()), args.stream()).toList();
  }
}
