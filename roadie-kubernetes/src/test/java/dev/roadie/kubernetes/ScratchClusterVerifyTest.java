package dev.roadie.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.Sources;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.verify.KubernetesScratchCluster;
import dev.roadie.testkit.KubeCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --scratch-cluster}: a k8s snapshot's objects, mapped as the restore maps them, go
 * through a server-side dry-run apply in a real kube-apiserver. The cluster takes them, and stores
 * nothing of them; once the cluster's definition of a custom resource is stricter than the object
 * the snapshot holds, the check fails and names the object.
 */
class ScratchClusterVerifyTest {
  @TempDir static Path work;
  static KubeCluster cluster;
  static Kubectl kubectl;
  static Repository repo;
  static SnapshotRef snapshot;

  private static final String CRD =
      """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: gadgets.verify.roadie.dev}
      spec:
        group: verify.roadie.dev
        scope: Namespaced
        names: {plural: gadgets, singular: gadget, kind: Gadget}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    size: {type: integer%s}
      """;

  @BeforeAll
  static void start() throws Exception {
    cluster = KubeCluster.start();
    kubectl = new Kubectl(cluster.kubeconfig());
    kubectl.apply(CRD.formatted(""));
    kubectl.run(
        "wait", "--for=condition=Established", "crd/gadgets.verify.roadie.dev", "--timeout=60s");
    kubectl.apply(
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: gear}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: gear}
        data: {volume: "11"}
        ---
        apiVersion: verify.roadie.dev/v1
        kind: Gadget
        metadata: {name: big, namespace: gear}
        spec: {size: 50}
        """);
    repo = Repository.init(new LocalBackend(work.resolve("repo")), "k8s".toCharArray(), 1 << 20);
    snapshot =
        Sources.backup(
                BackupRequest.of(
                    repo,
                    KubernetesSource.KIND,
                    KubernetesBackupOptions.of(env(), null, List.of("gear"))))
            .snapshot();
  }

  @AfterAll
  static void stop() throws Exception {
    if (repo != null) repo.close();
    if (cluster != null) cluster.close();
  }

  static KubeEnvironment env() {
    return KubeEnvironment.file(cluster.kubeconfig());
  }

  static ScratchVerifyResult verify(String mappedTo) throws Exception {
    try (Scratch scratch = Scratch.open(work)) {
      return Sources.forKind(KubernetesSource.KIND)
          .verifyInScratch(
              new ScratchVerifyRequest(
                  repo,
                  snapshot,
                  scratch,
                  new KubernetesScratchCluster(env(), null, Map.of("gear", mappedTo)),
                  null));
    }
  }

  static Check check(ScratchVerifyResult r, String name) {
    return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void theClusterTakesEveryObjectAndStoresNoneAndARefusedOneIsNamed() throws Exception {
    ScratchVerifyResult good = verify("gear-check");
    assertTrue(good.passed(), good.checks().toString());
    Check accepted = check(good, "scratch-cluster");
    assertEquals(Check.PASS, accepted.status());
    assertTrue(((Number) accepted.figures().get("objects")).intValue() >= 3, accepted.toString());
    assertEquals(
        "",
        kubectl.run(
            "get",
            "gadgets,configmaps",
            "-n",
            "gear-check",
            "--ignore-not-found",
            "-o",
            "name",
            "--field-selector",
            "metadata.name!=kube-root-ca.crt"),
        "a dry run stores nothing");
    String phase =
        kubectl
            .attempt("get", "namespace", "gear-check", "-o", "jsonpath={.status.phase}")
            .output();
    assertTrue(
        phase.contains("NotFound") || phase.equals("Terminating"),
        "the namespace made for the check is deleted: " + phase);
    assertFalse(
        kubectl
            .run("get", "gadget", "big", "-n", "gear", "-o", "jsonpath={.metadata.managedFields}")
            .contains("roadie-verify"),
        "the original is not touched");

    // The cluster's definition now allows at most 10: the snapshot's gadget of 50 is refused.
    kubectl.apply(CRD.formatted(", maximum: 10"));
    ScratchVerifyResult bad = verify("gear-check2");
    assertFalse(bad.passed());
    Check refused = check(bad, "scratch-cluster");
    assertEquals(Check.FAIL, refused.status());
    assertEquals(1, refused.details().size(), refused.details().toString());
    assertTrue(
        refused.details().get(0).startsWith("gadgets.verify.roadie.dev gear-check2/big: "),
        refused.details().toString());
    assertTrue(refused.details().get(0).contains("10"), refused.details().toString());
    assertEquals(Check.PASS, check(bad, "content").status(), "the files restore as they were");
  }
}
