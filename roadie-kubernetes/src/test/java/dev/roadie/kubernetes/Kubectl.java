package dev.roadie.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.testkit.KubeCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** kubectl of the test cluster's release, run against one kubeconfig. */
final class Kubectl {
  record Result(int status, String output) {}

  private final Path kubeconfig;

  Kubectl(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  /** Runs kubectl; asserts it succeeds; returns its output. */
  String run(String... args) {
    Result r = attempt(args);
    assertEquals(0, r.status(), "kubectl " + String.join(" ", args) + " said: " + r.output());
    return r.output();
  }

  /** Applies YAML given as text. */
  String apply(String yaml) {
    return withFile(yaml, f -> run("apply", "-f", f.toString()));
  }

  String withFile(String content, java.util.function.Function<Path, String> use) {
    try {
      Path f = Files.createTempFile("roadie-test", ".yaml");
      try {
        Files.writeString(f, content);
        return use.apply(f);
      } finally {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  Result attempt(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(KubeCluster.kubectl().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(p.waitFor(), out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
