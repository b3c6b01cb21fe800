package dev.roadie.cli;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.kubernetes.KubernetesSource;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.restore.ClusterRestore;
import dev.roadie.kubernetes.restore.KubernetesRestoreOptions;
import dev.roadie.kubernetes.restore.RestoreReport;
import dev.roadie.kubernetes.verify.KubernetesVerifyOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The demo's Kubernetes part, when the work tree's test cluster binaries are built already ({@code
 * scripts/test-servers build kube}; the demo never builds them): a private control plane, a
 * namespace of objects backed up, the namespace deleted, restored, and compared with the snapshot.
 */
final class KubernetesDemo {
  private KubernetesDemo() {}

  /** {@code scripts/test-servers} above the working directory or the roadie jar, or null. */
  static Path findScript() {
    List<Path> starts = new java.util.ArrayList<>(List.of(Path.of("").toAbsolutePath()));
    try {
      starts.add(
          Path.of(
              KubernetesDemo.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (Exception e) {
      // no code source: the working directory alone
    }
    for (Path start : starts) {
      for (Path d = start; d != null; d = d.getParent()) {
        Path s = d.resolve("scripts/test-servers");
        if (Files.isExecutable(s)) return s;
      }
    }
    return null;
  }

  /** Whether the script reports etcd and Kubernetes built (asking it builds nothing). */
  static boolean built(Path script) {
    try {
      Process p = new ProcessBuilder(script.toString(), "status").redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor() == 0
          && out.lines().anyMatch(l -> l.startsWith("built: ") && l.contains("/kube-"))
          && out.lines().anyMatch(l -> l.startsWith("built: ") && l.contains("/etcd-"));
    } catch (Exception e) {
      return false;
    }
  }

  /** Returns false on a mismatch. */
  static boolean run(Repository repo, Path base, Consumer<String> step, Consumer<String> say)
      throws Exception {
    Path script = findScript();
    if (script == null || !built(script)) {
      say.accept(
          "(the test Kubernetes control plane is not built, so the Kubernetes part is skipped; build it once"
              + " with 'scripts/test-servers build kube' (tens of minutes) and run the demo again)");
      return true;
    }
    Path dir = base.resolve("kube");
    Process cluster =
        new ProcessBuilder(script.toString(), "run", "kube", dir.toString())
            .redirectError(base.resolve("kube.log").toFile())
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(cluster.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("export KUBECONFIG=")) {
        say.accept(
            "  the test control plane did not start; its messages are in "
                + base.resolve("kube.log"));
        return false;
      }
      Path kubeconfig = Path.of(line.substring("export KUBECONFIG=".length()).replace("'", ""));
      KubeEnvironment env = KubeEnvironment.file(kubeconfig);
      say.accept(
          "  started a private Kubernetes control plane (etcd, kube-apiserver, controller manager)");
      try (KubeConnection conn = KubeConnection.open(env, null)) {
        create(
            conn,
            "/api/v1/namespaces",
            Map.of(
                "apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", "festival")));
        create(
            conn,
            "/api/v1/namespaces/festival/configmaps",
            Map.of(
                "apiVersion",
                "v1",
                "kind",
                "ConfigMap",
                "metadata",
                Map.of("name", "lineup"),
                "data",
                Map.of("headliner", "The Roadies")));
        create(
            conn,
            "/api/v1/namespaces/festival/secrets",
            Map.of(
                "apiVersion",
                "v1",
                "kind",
                "Secret",
                "metadata",
                Map.of("name", "tickets-db"),
                "stringData",
                Map.of("password", "backstage")));
        create(
            conn,
            "/api/v1/namespaces/festival/services",
            Map.of(
                "apiVersion",
                "v1",
                "kind",
                "Service",
                "metadata",
                Map.of("name", "web"),
                "spec",
                Map.of("selector", Map.of("app", "web"), "ports", List.of(Map.of("port", 80)))));
        create(
            conn,
            "/apis/apps/v1/namespaces/festival/deployments",
            Map.of(
                "apiVersion",
                "apps/v1",
                "kind",
                "Deployment",
                "metadata",
                Map.of("name", "web"),
                "spec",
                Map.of(
                    "replicas",
                    2,
                    "selector",
                    Map.of("matchLabels", Map.of("app", "web")),
                    "template",
                    Map.of(
                        "metadata", Map.of("labels", Map.of("app", "web")),
                        "spec",
                            Map.of(
                                "containers",
                                List.of(Map.of("name", "web", "image", "nginx:1.27")))))));
        say.accept("  namespace festival: a deployment, a service, a config map, a secret");

        step.accept("roadie backup k8s --namespace festival");
        SnapshotRef ref =
            Sources.backup(
                    new BackupRequest(
                        repo,
                        KubernetesSource.KIND,
                        KubernetesBackupOptions.of(env, null, List.of("festival")),
                        null,
                        List.of("demo"),
                        null,
                        null,
                        null))
                .snapshot();
        say.accept(
            "  snapshot "
                + ref.id().shortHex()
                + " of "
                + ref.snapshot().target()
                + ": "
                + Sources.summary(ref.snapshot()));

        step.accept("kubectl delete namespace festival   (the accident)");
        conn.send("DELETE", "/api/v1/namespaces/festival", null, null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (conn.send("GET", "/api/v1/namespaces/festival", null, null).status() != 404) {
          if (System.nanoTime() > deadline) {
            say.accept("  the namespace was not deleted within 2 minutes");
            return false;
          }
          Thread.sleep(250);
        }
        step.accept("roadie restore " + ref.id().shortHex() + " --to-cluster");
        RestoreReport report =
            new ClusterRestore(
                    repo, ref, new Destination.Cluster(null), KubernetesRestoreOptions.of(env))
                .run();
        say.accept(
            "  "
                + report.entries().size()
                + " objects, in order: "
                + report.counts().entrySet().stream()
                    .map(c -> c.getValue() + " " + c.getKey().word(false))
                    .collect(Collectors.joining(", ")));
        VerifyResult v =
            Sources.verify(
                new VerifyRequest(
                    repo,
                    ref,
                    new Destination.Cluster(null),
                    new KubernetesVerifyOptions(
                        env, Map.of(), KubernetesVerifyOptions.Mode.COMPARE)));
        if (report.failed() || !v.matches()) {
          say.accept("  MISMATCH: " + report.failures() + " " + v.differences());
          return false;
        }
        say.accept(
            "  every object of the snapshot is back, equal to the snapshot's ("
                + v.checked()
                + " compared)");
      }
      return true;
    } finally {
      cluster.getOutputStream().close(); // the script stops its servers when its input closes
      if (!cluster.waitFor(60, TimeUnit.SECONDS)) cluster.destroy();
    }
  }

  private static void create(KubeConnection conn, String path, Map<String, Object> object)
      throws Exception {
    KubeConnection.Response r =
        conn.send("POST", path, "application/json", KubeConnection.JSON.writeValueAsBytes(object));
    if (!r.ok()) throw conn.error(r, "create " + path);
  }
}
