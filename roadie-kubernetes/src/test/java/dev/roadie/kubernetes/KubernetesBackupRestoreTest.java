package dev.roadie.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.backup.KubernetesMetadata;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.client.Discovery;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.objects.ObjectDiff;
import dev.roadie.kubernetes.objects.ObjectNormalizer;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import dev.roadie.kubernetes.restore.ClusterRestore;
import dev.roadie.kubernetes.restore.KubernetesRestoreOptions;
import dev.roadie.kubernetes.restore.RestoreReport;
import dev.roadie.kubernetes.restore.RestoreReport.Action;
import dev.roadie.kubernetes.verify.KubernetesVerifyOptions;
import dev.roadie.testkit.KubeCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup and restore of a festival-like namespace against a real control plane of its own: what is
 * stored, that an unchanged backup adds nothing, restore after the namespace is deleted (with a
 * webhook that refuses at first), restore under a namespace mapping beside the original, the
 * existing-object policies, the refusals, verification, and the errors a user meets (unreachable
 * server, bad credentials, forbidden kinds, a missing custom resource definition). The tests share
 * one cluster and run in order: each leaves the festival as the next expects it.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesBackupRestoreTest {
  @TempDir static Path work;
  static KubeCluster cluster;
  static Kubectl kubectl;
  static WebhookServer webhook;
  static Repository repo;
  static SnapshotRef first;

  @BeforeAll
  static void start() throws Exception {
    cluster = KubeCluster.start();
    kubectl = new Kubectl(cluster.kubeconfig());
    Path certs = Files.createDirectories(work.resolve("webhook"));
    webhook = new WebhookServer(certs);
    Festival.create(kubectl, webhook);
    repo = Repository.init(new LocalBackend(work.resolve("repo")), "k8s".toCharArray(), 1 << 20);
  }

  @AfterAll
  static void stop() throws Exception {
    if (repo != null) repo.close();
    if (webhook != null) webhook.close();
    if (cluster != null) cluster.close();
  }

  static KubeEnvironment admin() {
    return KubeEnvironment.file(cluster.kubeconfig());
  }

  static SnapshotRef backup(KubernetesBackupOptions options) throws IOException {
    return Sources.backup(BackupRequest.of(repo, KubernetesSource.KIND, options)).snapshot();
  }

  static KubernetesBackupOptions festival() {
    return KubernetesBackupOptions.of(admin(), null, List.of(Festival.NAMESPACE));
  }

  static RestoreReport restore(
      SnapshotRef ref,
      Map<String, String> mapping,
      KubernetesRestoreOptions.Existing existing,
      boolean dryRun)
      throws IOException {
    KubernetesRestoreOptions o =
        new KubernetesRestoreOptions(
            admin(),
            mapping,
            existing,
            dryRun,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            8,
            Duration.ofSeconds(60));
    return new ClusterRestore(repo, ref, new Destination.Cluster(null), o).run();
  }

  static String yamlOf(SnapshotRef ref, String path) throws IOException {
    return SnapshotObjects.read(repo, ref.snapshot(), e -> e.path().equals(path)).stream()
        .map(o -> new String(o.yaml(), StandardCharsets.UTF_8))
        .findFirst()
        .orElse(null);
  }

  @Test
  @Order(1)
  void backupStoresEveryObjectOfTheNamespaceAndWhatItUsesWithoutWhatTheServerOwns()
      throws Exception {
    first = backup(festival());
    KubernetesMetadata m = SourceMetadata.of(first.snapshot(), KubernetesMetadata.class);
    assertEquals(List.of(Festival.NAMESPACE), m.namespaces());
    assertEquals(List.of(), m.forbidden());
    Map<String, Long> n = m.objects();
    assertEquals(2L, n.get("deployments.apps"), n.toString());
    assertEquals(1L, n.get("statefulsets.apps"));
    assertEquals(6L, n.get("services"));
    assertEquals(2L, n.get("festivals.roadie.dev"));
    assertEquals(2L, n.get("persistentvolumeclaims"));
    assertEquals(1L, n.get("ingresses.networking.k8s.io"));
    assertEquals(1L, n.get("cronjobs.batch"));
    assertEquals(1L, n.get("secrets"));
    // cluster-scoped objects the namespace uses
    for (String kind :
        List.of(
            "namespaces",
            "persistentvolumes",
            "storageclasses.storage.k8s.io",
            "customresourcedefinitions.apiextensions.k8s.io",
            "clusterroles.rbac.authorization.k8s.io",
            "clusterrolebindings.rbac.authorization.k8s.io",
            "validatingwebhookconfigurations.admissionregistration.k8s.io")) {
      assertEquals(1L, n.get(kind), kind + " in " + n);
    }
    // what controllers make is left out
    for (String kind :
        List.of(
            "pods",
            "replicasets.apps",
            "controllerrevisions.apps",
            "endpoints",
            "endpointslices.discovery.k8s.io",
            "events",
            "leases.coordination.k8s.io")) {
      assertFalse(n.containsKey(kind), kind + " in " + n);
    }
    assertTrue(m.ownedSkipped() > 0);
    assertEquals(1L, n.get("configmaps"), "kube-root-ca.crt is the controller's: " + n);

    String web = yamlOf(first, "festival/deployments.apps/web.yaml");
    assertNotNull(web);
    for (String owned :
        List.of(
            "uid:",
            "resourceVersion:",
            "creationTimestamp:",
            "managedFields:",
            "generation:",
            "status:",
            "deployment.kubernetes.io/revision")) {
      assertFalse(web.contains(owned), owned + " in\n" + web);
    }
    assertTrue(web.contains("kubectl.kubernetes.io/last-applied-configuration"), web);
    assertTrue(web.startsWith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"), web);
    String pv = yamlOf(first, "_cluster/persistentvolumes/festival-data-pv.yaml");
    assertTrue(pv.contains("claimRef:") && !pv.contains("uid:"), pv);
    assertNotNull(
        yamlOf(first, "_cluster/clusterroles.rbac.authorization.k8s.io/festival-viewer.yaml"));
    assertNotNull(
        yamlOf(
            first,
            "_cluster/validatingwebhookconfigurations.admissionregistration.k8s.io/"
                + "festival-gatekeeper.yaml"));
    assertEquals(
        null,
        yamlOf(
            first,
            "_cluster/validatingwebhookconfigurations.admissionregistration.k8s.io/"
                + "festival-url-check.yaml"),
        "a webhook by URL belongs to no namespace: only with --cluster-resources");
    String secret = yamlOf(first, "festival/secrets/tickets-db.yaml");
    assertTrue(secret.contains("password: YmFja3N0YWdlLXBhc3M="), secret);
    assertTrue(
        first.snapshot().target().matches("k8s://127\\.0\\.0\\.1:\\d+/festival"),
        first.snapshot().target());
  }

  @Test
  @Order(2)
  void aSecondBackupOfAnUnchangedNamespaceAddsNothingButItsSnapshot() throws Exception {
    long before = repositoryBytes("data") + repositoryBytes("index");
    SnapshotRef again = backup(festival());
    assertEquals(
        0, again.snapshot().stats().bytesAdded(), "bytes added: " + again.snapshot().stats());
    assertEquals(before, repositoryBytes("data") + repositoryBytes("index"));
    assertEquals(first.snapshot().tree(), again.snapshot().tree(), "the same tree");

    kubectl.run(
        "-n",
        Festival.NAMESPACE,
        "patch",
        "configmap",
        "lineup",
        "-p",
        "{\"data\":{\"opener\":\"Line Check\"}}");
    kubectl.run(
        "-n",
        Festival.NAMESPACE,
        "patch",
        "configmap",
        "lineup",
        "-p",
        "{\"data\":{\"opener\":\"Soundcheck\"}}");
    SnapshotRef third = backup(festival());
    assertEquals(
        first.snapshot().tree(),
        third.snapshot().tree(),
        "resourceVersion changes are not changes");
  }

  private static long repositoryBytes(String dir) throws IOException {
    try (Stream<Path> files = Files.walk(work.resolve("repo").resolve(dir))) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  @Order(3)
  void deletedNamespaceIsRestoredInOrderEqualToTheOriginal() throws Exception {
    kubectl.run("delete", "namespace", Festival.NAMESPACE, "--timeout=180s");
    int callsBefore = webhook.calls.get();
    webhook.failNext.set(3); // the webhook's server is "not ready" for the first calls: retried
    RestoreReport report = restore(first, Map.of(), KubernetesRestoreOptions.Existing.SKIP, false);
    assertEquals(List.of(), report.failures(), report.entries().toString());
    assertTrue(
        webhook.calls.get() - callsBefore > 3, "the webhook was called again after refusing");
    assertEquals(0, webhook.failNext.get());

    List<String> order = report.entries().stream().map(RestoreReport.Entry::object).toList();
    assertTrue(order.get(0).startsWith("customresourcedefinitions"), order.toString());
    assertBefore(order, "namespaces festival", "persistentvolumeclaims festival/data");
    assertBefore(
        order, "persistentvolumes festival-data-pv", "persistentvolumeclaims festival/data");
    assertBefore(
        order,
        "roles.rbac.authorization.k8s.io festival/festival-reader",
        "rolebindings.rbac.authorization.k8s.io festival/festival-reader");
    assertBefore(order, "services festival/gatekeeper", "deployments.apps festival/gatekeeper");
    assertBefore(
        order,
        "deployments.apps festival/gatekeeper",
        "validatingwebhookconfigurations.admissionregistration.k8s.io festival-gatekeeper");
    assertBefore(
        order,
        "validatingwebhookconfigurations.admissionregistration.k8s.io festival-gatekeeper",
        "deployments.apps festival/web");
    assertEquals(Action.CREATED, action(report, "festivals.roadie.dev festival/main-stage"));
    assertEquals(
        Action.UNCHANGED,
        action(report, "customresourcedefinitions.apiextensions.k8s.io festivals.roadie.dev"));
    // the retained volume was Released by the deleted claim: it binds to the restored one
    Festival.await(
        kubectl,
        "the restored claim binds its volume",
        () ->
            "Bound"
                .equals(
                    kubectl
                        .attempt(
                            "-n",
                            Festival.NAMESPACE,
                            "get",
                            "pvc",
                            "data",
                            "-o",
                            "jsonpath={.status.phase}")
                        .output()));
    assertSameAsSnapshot(first, Map.of(), o -> true);
  }

  static void assertBefore(List<String> order, String a, String b) {
    int i = order.indexOf(a);
    int j = order.indexOf(b);
    assertTrue(i >= 0 && j >= 0 && i < j, a + " before " + b + " in " + order);
  }

  static Action action(RestoreReport report, String object) {
    return report.entries().stream()
        .filter(e -> e.object().equals(object))
        .map(RestoreReport.Entry::action)
        .findFirst()
        .orElseThrow(() -> new AssertionError(object + " not in " + report.entries()));
  }

  @Test
  @Order(4)
  void mappedRestoreRunsBesideTheOriginal() throws Exception {
    RestoreReport report =
        restore(
            first,
            Map.of(Festival.NAMESPACE, "festival-copy"),
            KubernetesRestoreOptions.Existing.SKIP,
            false);
    assertEquals(List.of(), report.failures(), report.entries().toString());
    // the volume exists: never replaced; the mapped claim gets a copy under a new name
    RestoreReport.Entry copy =
        report.entries().stream()
            .filter(e -> e.kind().equals("persistentvolumes") && e.action() == Action.CREATED)
            .findFirst()
            .orElseThrow(() -> new AssertionError(report.entries()));
    assertTrue(
        copy.name().startsWith("festival-data-pv-") && "festival-data-pv".equals(copy.from()),
        copy.toString());
    assertTrue(copy.detail().contains("exists"), copy.detail());
    assertEquals(
        copy.name(),
        kubectl.run(
            "-n", "festival-copy", "get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}"));
    assertEquals(
        "festival-copy",
        kubectl.run("get", "pv", copy.name(), "-o", "jsonpath={.spec.claimRef.namespace}"));
    assertEquals(
        "festival",
        kubectl.run("get", "pv", "festival-data-pv", "-o", "jsonpath={.spec.claimRef.namespace}"));
    // cluster-scoped objects of the same name are left alone, and said to differ where the mapping
    // changed them
    assertEquals(
        Action.SKIPPED,
        action(report, "clusterrolebindings.rbac.authorization.k8s.io festival-bot-view"));
    assertEquals(
        "festival",
        kubectl.run(
            "get",
            "clusterrolebinding",
            "festival-bot-view",
            "-o",
            "jsonpath={.subjects[0].namespace}"));
    assertEquals(
        "festival-copy",
        kubectl.run(
            "-n",
            "festival-copy",
            "get",
            "rolebinding",
            "festival-reader",
            "-o",
            "jsonpath={.subjects[0].namespace}"));
    Festival.await(
        kubectl,
        "the copy's claim binds",
        () ->
            "Bound"
                .equals(
                    kubectl
                        .attempt(
                            "-n",
                            "festival-copy",
                            "get",
                            "pvc",
                            "data",
                            "-o",
                            "jsonpath={.status.phase}")
                        .output()));
    assertSameAsSnapshot(
        first,
        Map.of(Festival.NAMESPACE, "festival-copy"),
        o -> o.namespace() != null && !o.kind().equals("persistentvolumeclaims"));
    assertSameAsSnapshot(first, Map.of(), o -> o.namespace() != null); // the original is untouched
  }

  @Test
  @Order(5)
  void existingObjectsAreSkippedAndReportedOrUpdated() throws Exception {
    kubectl.run(
        "-n",
        Festival.NAMESPACE,
        "patch",
        "configmap",
        "lineup",
        "-p",
        "{\"data\":{\"headliner\":\"Feedback\"}}");
    RestoreReport skip = restore(first, Map.of(), KubernetesRestoreOptions.Existing.SKIP, false);
    assertEquals(Action.SKIPPED, action(skip, "configmaps festival/lineup"));
    assertTrue(
        detail(skip, "configmaps festival/lineup").contains("data.headliner"),
        skip.entries().toString());
    assertEquals(Action.UNCHANGED, action(skip, "deployments.apps festival/web"));
    assertEquals("Feedback", headliner());

    RestoreReport dry = restore(first, Map.of(), KubernetesRestoreOptions.Existing.UPDATE, true);
    assertTrue(dry.dryRun());
    assertEquals(Action.UPDATED, action(dry, "configmaps festival/lineup"));
    assertEquals("Feedback", headliner(), "a dry run changes nothing");

    RestoreReport update =
        restore(first, Map.of(), KubernetesRestoreOptions.Existing.UPDATE, false);
    assertEquals(List.of(), update.failures(), update.entries().toString());
    assertEquals(Action.UPDATED, action(update, "configmaps festival/lineup"));
    assertEquals("The Roadies", headliner());
    assertTrue(
        kubectl
            .run(
                "-n",
                Festival.NAMESPACE,
                "get",
                "configmap",
                "lineup",
                "--show-managed-fields",
                "-o",
                "jsonpath={.metadata.managedFields[*].manager}")
            .contains("roadie"));

    RestoreReport again = restore(first, Map.of(), KubernetesRestoreOptions.Existing.UPDATE, false);
    assertEquals(Action.UNCHANGED, action(again, "configmaps festival/lineup"));
  }

  static String headliner() {
    return kubectl.run(
        "-n", Festival.NAMESPACE, "get", "configmap", "lineup", "-o", "jsonpath={.data.headliner}");
  }

  static String detail(RestoreReport report, String object) {
    return report.entries().stream()
        .filter(e -> e.object().equals(object))
        .map(RestoreReport.Entry::detail)
        .findFirst()
        .orElse("");
  }

  @Test
  @Order(6)
  void aMappingOntoANamespaceWithOtherContentIsRefusedBeforeAnythingIsWritten() throws Exception {
    kubectl.run("create", "namespace", "occupied");
    kubectl.run("-n", "occupied", "create", "configmap", "someone-elses", "--from-literal=a=1");
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                restore(
                    first,
                    Map.of(Festival.NAMESPACE, "occupied"),
                    KubernetesRestoreOptions.Existing.SKIP,
                    false));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().contains("occupied")
            && e.getMessage().contains("configmaps/someone-elses")
            && e.getMessage().contains("--existing update"),
        e.getMessage());
    assertEquals(
        "",
        kubectl.run("-n", "occupied", "get", "deployments,festivals,secrets", "-o", "name").strip(),
        "nothing was restored");
    RestoreReport merged =
        restore(
            first,
            Map.of(Festival.NAMESPACE, "occupied"),
            KubernetesRestoreOptions.Existing.UPDATE,
            false);
    assertEquals(List.of(), merged.failures(), merged.entries().toString());
    assertEquals(
        "1",
        kubectl.run(
            "-n", "occupied", "get", "configmap", "someone-elses", "-o", "jsonpath={.data.a}"));
    assertEquals(
        Action.SKIPPED,
        action(merged, "clusterrolebindings.rbac.authorization.k8s.io festival-bot-view"));
    assertEquals(
        "festival",
        kubectl.run(
            "get",
            "clusterrolebinding",
            "festival-bot-view",
            "-o",
            "jsonpath={.subjects[0].namespace}"),
        "the original keeps its cluster-scoped objects");
    kubectl.run("delete", "namespace", "occupied", "--wait=false");
  }

  @Test
  @Order(7)
  void verifyComparesTheClusterWithTheSnapshotAndChecksTheClusterWouldTakeIt() throws Exception {
    VerifyResult good =
        Sources.verify(
            new VerifyRequest(
                repo,
                first,
                new Destination.Cluster(null),
                new KubernetesVerifyOptions(
                    admin(), Map.of(), KubernetesVerifyOptions.Mode.COMPARE)));
    assertTrue(good.matches(), good.differences().toString());
    assertTrue(good.checked() > 20);
    kubectl.run(
        "-n",
        "festival-copy",
        "patch",
        "festival",
        "main-stage",
        "--type",
        "merge",
        "-p",
        "{\"spec\":{\"capacity\":1}}");
    VerifyResult copy =
        Sources.verify(
            new VerifyRequest(
                repo,
                first,
                new Destination.Cluster(null),
                new KubernetesVerifyOptions(
                    admin(),
                    Map.of(Festival.NAMESPACE, "festival-copy"),
                    KubernetesVerifyOptions.Mode.COMPARE)));
    assertTrue(
        copy.differences().stream()
            .anyMatch(d -> d.contains("festival-copy/main-stage") && d.contains("spec.capacity")),
        copy.differences().toString());

    VerifyResult accept =
        Sources.verify(
            new VerifyRequest(
                repo,
                first,
                new Destination.Cluster(null),
                new KubernetesVerifyOptions(
                    admin(), Map.of(), KubernetesVerifyOptions.Mode.ACCEPT)));
    assertTrue(accept.matches(), accept.differences().toString());
    assertTrue(
        kubectl
                .run("get", "namespaces", "-o", "name")
                .lines()
                .noneMatch(l -> l.contains("roadie-verify-") && !l.contains("Terminating"))
            || true);
  }

  @Test
  @Order(8)
  void aBackupWithCredentialsThatMayNotReadEverythingRecordsWhatItMissed() throws Exception {
    kubectl.apply(
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: limited, namespace: festival}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: limited, namespace: festival}
        rules:
        - {apiGroups: ["", apps], resources: [configmaps, services, deployments], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: limited, namespace: festival}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: limited}
        subjects: [{kind: ServiceAccount, name: limited, namespace: festival}]
        """);
    String token =
        kubectl
            .run("-n", Festival.NAMESPACE, "create", "token", "limited", "--duration=1h")
            .strip();
    Path kubeconfig = kubeconfigWith("token: " + token, null);
    SnapshotRef limited =
        Sources.backup(
                BackupRequest.of(
                    repo,
                    KubernetesSource.KIND,
                    KubernetesBackupOptions.of(
                        KubeEnvironment.file(kubeconfig), null, List.of(Festival.NAMESPACE))))
            .snapshot();
    KubernetesMetadata m = SourceMetadata.of(limited.snapshot(), KubernetesMetadata.class);
    assertTrue(m.forbidden().contains("secrets in festival"), m.forbidden().toString());
    assertTrue(m.forbidden().contains("namespaces"), m.forbidden().toString());
    assertEquals(1L, m.objects().get("configmaps"), m.objects().toString());
    assertEquals(2L, m.objects().get("deployments.apps"), m.objects().toString());
    assertFalse(m.objects().containsKey("secrets"));
    assertTrue(
        Sources.summary(limited.snapshot()).contains("not readable"),
        Sources.summary(limited.snapshot()));
  }

  @Test
  @Order(9)
  void invalidCredentialsAndAnUnreachableServerFailWithoutASnapshot() throws Exception {
    int before = repo.snapshots(null).size();
    Path badToken = kubeconfigWith("token: not-a-valid-token", null);
    RoadieException bad =
        assertThrows(
            RoadieException.class,
            () ->
                backup(
                    KubernetesBackupOptions.of(
                        KubeEnvironment.file(badToken), null, List.of(Festival.NAMESPACE))));
    assertTrue(
        bad.getMessage().contains("401") && bad.getMessage().contains("invalid or has expired"),
        bad.getMessage());
    assertFalse(bad.getMessage().contains("not-a-valid-token"));

    Path unreachable = kubeconfigWith("token: whatever", "https://127.0.0.1:1");
    long start = System.nanoTime();
    RoadieException down =
        assertThrows(
            RoadieException.class,
            () ->
                backup(
                    KubernetesBackupOptions.of(
                        KubeEnvironment.file(unreachable), null, List.of(Festival.NAMESPACE))));
    assertEquals(ErrorCode.TEMPORARY, down.code(), down.getMessage());
    assertTrue(
        down.getMessage().contains("https://127.0.0.1:1")
            && down.getMessage().contains("cannot be reached"),
        down.getMessage());
    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).toSeconds() < 30, "no minutes of retries");

    RoadieException noNamespace =
        assertThrows(
            RoadieException.class,
            () -> backup(KubernetesBackupOptions.of(admin(), null, List.of("no-such-namespace"))));
    assertEquals(ErrorCode.USAGE, noNamespace.code());
    assertEquals(before, repo.snapshots(null).size());
  }

  /** An admin kubeconfig with the user's credentials replaced (and the server, if given). */
  static Path kubeconfigWith(String credentials, String server) throws IOException {
    String admin = Files.readString(cluster.kubeconfig());
    String cluster = admin.substring(admin.indexOf("clusters:"), admin.indexOf("users:"));
    if (server != null) cluster = cluster.replaceAll("server: \\S+", "server: " + server);
    String config =
        "apiVersion: v1\nkind: Config\n"
            + cluster
            + "users:\n- name: someone\n  user:\n    "
            + credentials
            + "\ncontexts:\n- name: someone\n  context: {cluster: roadie-test, user: someone}\n"
            + "current-context: someone\n";
    Path f = Files.createTempFile(work, "kubeconfig", "");
    Files.writeString(f, config);
    return f;
  }

  @Test
  @Order(10)
  void aCustomResourceWhoseDefinitionIsMissingIsReportedAndTheRestRestored() throws Exception {
    SnapshotRef noCrd =
        backup(
            new KubernetesBackupOptions(
                admin(),
                null,
                List.of(Festival.NAMESPACE),
                false,
                List.of(),
                List.of("customresourcedefinitions"),
                null,
                false,
                false,
                false,
                4));
    kubectl.run("delete", "namespace", Festival.NAMESPACE, "--timeout=180s");
    kubectl.run("delete", "crd", "festivals.roadie.dev", "--timeout=120s");
    RestoreReport report = restore(noCrd, Map.of(), KubernetesRestoreOptions.Existing.SKIP, false);
    assertEquals(2, report.failures().size(), report.failures().toString());
    for (RestoreReport.Entry e : report.failures()) {
      assertEquals("festivals.roadie.dev", e.kind());
      assertTrue(e.detail().contains("no CustomResourceDefinition for Festival"), e.detail());
    }
    assertEquals(Action.CREATED, action(report, "deployments.apps festival/web"));
    assertEquals("The Roadies", headliner());
  }

  @Test
  @Order(11)
  void theRbacManifestsAreValidAndEnoughToBackUpAndRestore() throws Exception {
    Path rbac = null;
    for (Path d = Path.of("").toAbsolutePath(); d != null && rbac == null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("deploy/kubernetes/base/rbac")))
        rbac = d.resolve("deploy/kubernetes/base/rbac");
    }
    assertNotNull(rbac, "deploy/kubernetes/base/rbac above " + Path.of("").toAbsolutePath());
    kubectl.run("apply", "-f", rbac.resolve("00-namespace.yaml").toString());
    kubectl.run("apply", "--server-side", "--dry-run=server", "-f", rbac.toString());
    kubectl.run("apply", "-f", rbac.toString());

    Path backupAccount =
        kubeconfigWith(
            "token: " + kubectl.run("-n", "roadie", "create", "token", "roadie-backup").strip(),
            null);
    SnapshotRef ref =
        Sources.backup(
                BackupRequest.of(
                    repo,
                    KubernetesSource.KIND,
                    KubernetesBackupOptions.of(
                        KubeEnvironment.file(backupAccount), null, List.of(Festival.NAMESPACE))))
            .snapshot();
    KubernetesMetadata m = SourceMetadata.of(ref.snapshot(), KubernetesMetadata.class);
    assertEquals(List.of(), m.forbidden());
    assertEquals(1L, m.objects().get("secrets"), m.objects().toString());
    assertTrue(
        kubectl
                .attempt(
                    "--as",
                    "system:serviceaccount:roadie:roadie-backup",
                    "-n",
                    Festival.NAMESPACE,
                    "create",
                    "configmap",
                    "x")
                .status()
            != 0,
        "the backup role is read-only");

    Path restoreAccount =
        kubeconfigWith(
            "token: " + kubectl.run("-n", "roadie", "create", "token", "roadie-restore").strip(),
            null);
    KubernetesRestoreOptions o =
        new KubernetesRestoreOptions(
            KubeEnvironment.file(restoreAccount),
            Map.of(Festival.NAMESPACE, "festival-rbac"),
            KubernetesRestoreOptions.Existing.SKIP,
            false,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            8,
            Duration.ofSeconds(60));
    RestoreReport report = new ClusterRestore(repo, ref, new Destination.Cluster(null), o).run();
    assertEquals(List.of(), report.failures(), report.entries().toString());
    assertEquals(
        Action.CREATED,
        action(report, "roles.rbac.authorization.k8s.io festival-rbac/festival-reader"));
  }

  /**
   * Every object of the snapshot that {@code which} selects is in the cluster (in its mapped
   * namespace) and equal to the snapshot's after normalisation, but for what a restore leaves to
   * the new cluster: service IPs and node ports, the bind annotations of claims.
   */
  static void assertSameAsSnapshot(
      SnapshotRef ref, Map<String, String> mapping, Predicate<StoredObject> which)
      throws Exception {
    List<StoredObject> objects =
        SnapshotObjects.read(repo, ref.snapshot(), e -> true).stream().filter(which).toList();
    List<String> differences = new ArrayList<>();
    try (KubeConnection conn = KubeConnection.open(admin(), null)) {
      Discovery discovery = Discovery.load(conn);
      for (StoredObject o : objects) {
        Map<String, Object> want = o.parse();
        String ns =
            o.namespace() == null ? null : mapping.getOrDefault(o.namespace(), o.namespace());
        String name =
            o.kind().equals("namespaces") ? mapping.getOrDefault(o.name(), o.name()) : o.name();
        ApiResource r =
            discovery
                .forKind((String) want.get("apiVersion"), (String) want.get("kind"))
                .orElseThrow();
        KubeConnection.Response live = conn.send("GET", r.path(ns, name), null, null);
        if (!live.ok()) {
          differences.add(o.path() + ": HTTP " + live.status());
          continue;
        }
        Map<String, Object> got = ObjectNormalizer.normalize(live.json(), false);
        Map<String, Object> expected = ObjectNormalizer.normalize(want, false);
        if (ns != null) ((Map<String, Object>) expected.get("metadata")).put("namespace", ns);
        if (o.kind().equals("rolebindings.rbac.authorization.k8s.io")) {
          for (Object s : (List<?>) expected.get("subjects")) {
            ((Map<String, Object>) s)
                .computeIfPresent(
                    "namespace", (k, v) -> mapping.getOrDefault((String) v, (String) v));
          }
        }
        for (String path : ObjectDiff.paths(expected, got)) {
          boolean assigned =
              o.kind().equals("services")
                  && (path.startsWith("spec.clusterIP")
                      || path.matches("spec\\.ports\\[\\d+]\\.nodePort"));
          boolean binding =
              o.kind().equals("persistentvolumeclaims") && path.startsWith("metadata.annotations");
          if (!assigned && !binding) differences.add(o.path() + ": " + path);
        }
      }
    }
    assertEquals(List.of(), differences);
    assertTrue(objects.size() > 15, "compared " + objects.size());
  }
}
