package dev.roadie.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The control plane the Kubernetes tests get: kubectl works against it, and the controller-manager
 * finalizes deleted namespaces and garbage-collects owned objects.
 */
@Tag("slow")
class KubeClusterTest {
  @Test
  void namespaceIsCreatedAndItsDeletionIsFinalizedWithItsContents() throws Exception {
    try (KubeCluster kube = KubeCluster.start()) {
      kubectl(kube, "create", "namespace", "smoke");
      kubectl(kube, "-n", "smoke", "create", "configmap", "settings", "--from-literal=a=1");
      assertEquals(
          "Active", kubectl(kube, "get", "namespace", "smoke", "-o", "jsonpath={.status.phase}"));

      // Returns once the namespace object is gone: the namespace controller deleted its contents
      // and removed the kubernetes finalizer.
      kubectl(kube, "delete", "namespace", "smoke", "--timeout=120s");
      Result gone = run(kube, "get", "namespace", "smoke");
      assertTrue(gone.status != 0 && gone.output.contains("NotFound"), gone.output);
    }
  }

  @Test
  void ownedObjectIsGarbageCollectedWithItsOwner() throws Exception {
    try (KubeCluster kube = KubeCluster.start()) {
      kubectl(kube, "create", "configmap", "owner");
      String uid = kubectl(kube, "get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}");
      Path owned = Files.createTempFile(kube.dir(), "owned", ".json");
      Files.writeString(
          owned,
          """
          {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "owned", "namespace": "default",
             "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "%s"}]}}
          """
              .formatted(uid));
      kubectl(kube, "create", "-f", owned.toString());

      kubectl(kube, "delete", "configmap", "owner");
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      Result r;
      do {
        Thread.sleep(500);
        r = run(kube, "get", "configmap", "owned");
      } while (r.status == 0 && System.nanoTime() < deadline);
      assertTrue(
          r.status != 0 && r.output.contains("NotFound"),
          "the garbage collector left it: " + r.output);
    }
  }

  @Test
  void serverReportsTheReleaseOfTheKubectlBuiltWithIt() throws Exception {
    try (KubeCluster kube = KubeCluster.start()) {
      String client = gitVersion(kubectl(kube, "version", "--client", "-o", "json"));
      String server = gitVersion(kubectl(kube, "get", "--raw", "/version"));
      assertTrue(
          client.matches("v1\\.\\d+\\.\\d+"),
          "a release version, not a development one: " + client);
      assertEquals(client, server);
    }
  }

  private static String gitVersion(String json) {
    Matcher m = Pattern.compile("\"gitVersion\":\\s*\"([^\"]*)\"").matcher(json);
    assertTrue(m.find(), json);
    return m.group(1);
  }

  private record Result(int status, String output) {}

  private static String kubectl(KubeCluster kube, String... args)
      throws IOException, InterruptedException {
    Result r = run(kube, args);
    assertEquals(0, r.status, "kubectl " + String.join(" ", args) + " said: " + r.output);
    return r.output;
  }

  private static Result run(KubeCluster kube, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                KubeCluster.kubectl().toString(), "--kubeconfig", kube.kubeconfig().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }
}
