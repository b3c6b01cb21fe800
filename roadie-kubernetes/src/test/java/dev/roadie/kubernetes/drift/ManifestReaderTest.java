package dev.roadie.kubernetes.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading manifests from a directory: files, documents, lists, and the errors a user sees. */
class ManifestReaderTest {
  @TempDir Path dir;

  private List<Manifest> read() throws Exception {
    return new ManifestReader(null).read(dir);
  }

  @Test
  void readsEveryDocumentOfEveryManifestFileBelowTheDirectoryWithItsFileAndLine() throws Exception {
    Files.createDirectories(dir.resolve("apps/web"));
    Files.writeString(
        dir.resolve("apps/web/all.yaml"),
        """
        # the web app
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: festival}
        ---
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        """);
    Files.writeString(
        dir.resolve("ns.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: festival}\n");
    Files.writeString(
        dir.resolve("list.json"),
        """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}]}
        """);
    Files.writeString(dir.resolve("README.md"), "not read");
    Files.createDirectories(dir.resolve(".git"));
    Files.writeString(dir.resolve(".git/config.yaml"), "[not: yaml");

    List<Manifest> m = read();
    assertEquals(
        List.of("ConfigMap settings", "Deployment web", "Service web", "Namespace festival"),
        m.stream().map(x -> x.kind() + " " + x.name()).toList());
    assertEquals(dir.resolve("apps/web/all.yaml") + ":2", m.get(0).origin());
    assertEquals(dir.resolve("apps/web/all.yaml") + ":7", m.get(1).origin());
    assertEquals("festival", m.get(0).namespace());
    assertEquals(null, m.get(1).namespace());
  }

  @Test
  void badYamlIsAUsageErrorNamingTheFileAndLine() throws Exception {
    Files.writeString(
        dir.resolve("ok.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    Files.writeString(
        dir.resolve("broken.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [b\n  x: y\n");
    RoadieException e = assertThrows(RoadieException.class, this::read);
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().startsWith(dir.resolve("broken.yaml") + ":5: not valid YAML"),
        e.getMessage());
  }

  @Test
  void aDocumentThatIsNotAKubernetesObjectIsRefusedWithItsLine() throws Exception {
    Files.writeString(
        dir.resolve("values.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nreplicas: 3\n");
    RoadieException e = assertThrows(RoadieException.class, this::read);
    assertTrue(
        e.getMessage()
            .startsWith(dir.resolve("values.yaml") + ":5: not a Kubernetes object (no apiVersion)"),
        e.getMessage());
    Files.writeString(
        dir.resolve("values.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {generateName: a-}\n");
    e = assertThrows(RoadieException.class, this::read);
    assertTrue(e.getMessage().contains("Pod has no metadata.name"), e.getMessage());
  }

  @Test
  void aDirectoryHoldingKustomizationsButNotBeingOneIsRefused() throws Exception {
    Files.createDirectories(dir.resolve("base"));
    Files.writeString(dir.resolve("base/kustomization.yaml"), "resources: [cm.yaml]\n");
    Files.writeString(
        dir.resolve("base/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    RoadieException e = assertThrows(RoadieException.class, this::read);
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().contains("holds kustomizations (" + dir.resolve("base") + ")"),
        e.getMessage());
  }

  @Test
  void aMissingDirectoryIsAUsageError() {
    RoadieException e =
        assertThrows(
            RoadieException.class, () -> new ManifestReader(null).read(dir.resolve("nope")));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
  }

  @Test
  void aKustomizationNeedsKubectl() throws Exception {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: []\n");
    RoadieException e =
        assertThrows(
            RoadieException.class, () -> new ManifestReader(dir.resolve("no-kubectl")).read(dir));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(e.getMessage().contains("pass --kubectl PATH"), e.getMessage());
  }
}
