package dev.roadie.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceContractTest;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.objects.ObjectYaml;
import dev.roadie.testkit.KubeCluster;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The source contract for {@code k8s}: a namespace backed up and restored as YAML files into a
 * directory (the form every tool reads), compared object by object with the cluster's, verified,
 * and a damaged file found. Restores into a cluster are covered by {@link
 * KubernetesBackupRestoreTest}.
 */
@Tag("slow")
class KubernetesSourceContractTest extends SourceContractTest {
  static KubeCluster cluster;
  static Kubectl kubectl;
  private String namespace;

  @BeforeAll
  static void start() throws Exception {
    cluster = KubeCluster.start();
    kubectl = new Kubectl(cluster.kubeconfig());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @Override
  protected String kind() {
    return KubernetesSource.KIND;
  }

  @Override
  protected BackupRequest.Options original() {
    if (namespace == null) {
      namespace = "contract-" + Long.toHexString(System.nanoTime() & 0xffffffL);
      kubectl.run("create", "namespace", namespace);
      kubectl.run("-n", namespace, "create", "configmap", "settings", "--from-literal=mode=loud");
      kubectl.run("-n", namespace, "create", "secret", "generic", "keys", "--from-literal=key=k3y");
      kubectl.run(
          "-n", namespace, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2");
    }
    return KubernetesBackupOptions.of(
        KubeEnvironment.file(cluster.kubeconfig()), null, List.of(namespace));
  }

  @Override
  protected Destination freshDestination() throws Exception {
    return new Destination.Directory(Files.createTempDirectory(work, "copy"));
  }

  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    Path dir = ((Destination.Directory) copy).path();
    for (String[] o :
        List.of(
            new String[] {"configmaps", "settings", "configmap"},
            new String[] {"secrets", "keys", "secret"},
            new String[] {"deployments.apps", "web", "deployment"})) {
      Map<String, Object> restored =
          ObjectYaml.read(
              Files.readAllBytes(dir.resolve(namespace).resolve(o[0]).resolve(o[1] + ".yaml")));
      String live = kubectl.run("-n", namespace, "get", o[2], o[1], "-o", "json");
      Map<String, Object> original =
          dev.roadie.kubernetes.objects.ObjectNormalizer.normalize(
              ObjectYaml.read(live.getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
      assertEquals(original, restored, o[0] + "/" + o[1]);
    }
    assertTrue(Files.isRegularFile(dir.resolve("_cluster/namespaces/" + namespace + ".yaml")));
  }

  @Override
  protected void damage(Destination copy) throws Exception {
    Path file =
        ((Destination.Directory) copy)
            .path()
            .resolve(namespace)
            .resolve("configmaps/settings.yaml");
    Files.writeString(file, Files.readString(file).replace("loud", "quiet"));
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Stream(new ByteArrayOutputStream());
  }

  /** Objects by namespace and kind, each with its namespace, kind and name. */
  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) throws Exception {
    Entry settings =
        all.stream()
            .filter(e -> e.path().equals(namespace + "/configmaps/settings.yaml"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no configmap in " + all));
    assertEquals("object", settings.type());
    assertEquals(
        Map.of("namespace", namespace, "kind", "configmaps", "name", "settings"),
        settings.details());
    assertTrue(
        all.stream().anyMatch(e -> e.path().equals(namespace + "/deployments.apps/web.yaml")),
        all.toString());
    Entry ns =
        all.stream()
            .filter(e -> e.path().equals("_cluster/namespaces/" + namespace + ".yaml"))
            .findFirst()
            .orElseThrow();
    assertEquals(Map.of("kind", "namespaces", "name", namespace), ns.details());
    List<Entry> kinds = new java.util.ArrayList<>();
    browser.list(namespace).forEachRemaining(kinds::add);
    assertTrue(
        kinds.stream().allMatch(e -> e.type().equals("dir") && e.details().containsKey("kind")),
        kinds.toString());
  }
}
