package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.roadie.testkit.KubeCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roadie diff k8s} against a real control plane: manifests applied with kubectl match (exit
 * 0, server defaults and the objects the server creates included); changes made live, changes to
 * the manifests, extra and deleted objects are reported field by field (exit 1); errors exit 2 or
 * more.
 */
@Tag("slow")
class KubernetesDiffCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static KubeCluster kube;

  @BeforeAll
  static void start() throws IOException {
    kube = KubeCluster.start();
  }

  @AfterAll
  static void stop() {
    if (kube != null) kube.close();
  }

  private static RoadieProcess roadie() {
    return RoadieProcess.bare()
        .env("KUBECONFIG", kube.kubeconfig().toString())
        .env("HOME", tmp.toString());
  }

  private static RoadieProcess.Result diff(String... args) {
    List<String> all = new ArrayList<>(List.of("diff", "k8s"));
    all.addAll(List.of(args));
    all.addAll(List.of("--kubectl", KubeCluster.kubectl().toString()));
    return roadie().run(all.toArray(String[]::new));
  }

  @Test
  void kustomizationWithBaseAndOverlay() throws Exception {
    Path base = write("kust/base/kustomization.yaml", "resources: [web.yaml, settings.yaml]\n");
    write(
        "kust/base/web.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports: [{containerPort: 80}]
                resources: {requests: {cpu: "0.5", memory: 64Mi}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 80}]
        """);
    write(
        "kust/base/settings.yaml",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {LOG_LEVEL: info, FESTIVAL: summer}
        """);
    Path overlay =
        write(
                "kust/overlays/production/kustomization.yaml",
                """
        namespace: kust-prod
        resources: [../../base, namespace.yaml]
        patches:
        - target: {kind: Deployment, name: web}
          patch: |
            - op: replace
              path: /spec/replicas
              value: 3
        """)
            .getParent();
    write(
        "kust/overlays/production/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: kust-prod}\n");
    kubectl("apply", "-k", overlay.toString());

    RoadieProcess.Result r = diff("--live", "--against", overlay.toString()).assertOk();
    assertTrue(r.stdout().contains("no drift: 4 objects match"), r.describe());
    assertTrue(r.stdout().contains("(context "), r.describe());
    assertFalse(base.toString().isEmpty());

    kubectl("-n", "kust-prod", "scale", "deployment/web", "--replicas=5");
    kubectl("-n", "kust-prod", "annotate", "service", "web", "note=set by hand");
    kubectl(
        "-n",
        "kust-prod",
        "patch",
        "configmap",
        "settings",
        "-p",
        "{\"data\":{\"LOG_LEVEL\":\"debug\"}}");
    r = diff("--live", "--against", overlay.toString()).assertExit(1);
    String out = r.stdout();
    assertTrue(out.contains("changed Deployment.apps kust-prod/web"), r.describe());
    assertTrue(out.contains("  /spec/replicas: 5 → 3"), r.describe());
    assertTrue(out.contains("changed ConfigMap kust-prod/settings"), r.describe());
    assertTrue(out.contains("  /data/LOG_LEVEL: \"debug\" → \"info\""), r.describe());
    assertTrue(out.contains("changed Service kust-prod/web"), r.describe());
    assertTrue(
        out.contains("  /metadata/annotations/note: \"set by hand\" → (not in Git)"), r.describe());
    assertTrue(out.contains("drift: 3 changed; 1 object matches"), r.describe());

    Map<String, Object> report =
        json(diff("--live", "--against", overlay.toString(), "--json").assertExit(1));
    assertEquals(true, report.get("drift"));
    assertEquals("live", report.get("mode"));
    List<?> objects = (List<?>) report.get("objects");
    Map<?, ?> web =
        objects.stream()
            .map(o -> (Map<?, ?>) o)
            .filter(o -> o.get("name").equals("web"))
            .findFirst()
            .orElseThrow();
    assertEquals("changed", web.get("state"));
    assertEquals(List.of(Map.of("path", "/spec/replicas", "old", 5, "new", 3)), web.get("fields"));
  }

  @Test
  void plainDirectory() throws Exception {
    Path dir =
        write("plain/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n")
            .getParent();
    Path settings =
        write(
            "plain/app/settings.yml",
            """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: plain}
        data: {LOG_LEVEL: info, FEATURE: "on"}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: lineup, namespace: plain}
        data: {headliner: "the roadies"}
        """);
    Path secret =
        write(
            "plain/app/secret.yaml",
            """
        apiVersion: v1
        kind: Secret
        metadata: {name: db, namespace: plain}
        stringData: {password: hunter2}
        """);
    write(
        "plain/app/account.json",
        """
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "crew", "namespace": "plain"}}
        """);
    kubectl("apply", "-f", dir.resolve("namespace.yaml").toString());
    kubectl("apply", "-R", "-f", dir.toString());
    RoadieProcess.Result r = diff("--live", "--against", dir.toString()).assertOk();
    assertTrue(r.stdout().contains("no drift: 5 objects match"), r.describe());

    // A secret's values differ (stringData as the server stores it: base64 in data), and are never
    // shown.
    Files.writeString(secret, Files.readString(secret).replace("hunter2", "correct-horse"));
    kubectl(
        "-n",
        "plain",
        "patch",
        "secret",
        "db",
        "-p",
        "{\"stringData\":{\"token\":\"s3cr3t-token\"}}");
    r = diff("--live", "--against", dir.toString(), "--json").assertExit(1);
    for (String value : List.of("hunter2", "correct-horse", "s3cr3t-token")) {
      for (String form :
          List.of(
              value,
              java.util.Base64.getEncoder()
                  .encodeToString(value.getBytes(StandardCharsets.UTF_8)))) {
        assertFalse(r.stdout().contains(form), "secret value shown: " + r.describe());
      }
    }
    Map<?, ?> db = (Map<?, ?>) ((List<?>) json(r).get("objects")).getFirst();
    assertEquals("db", db.get("name"), r.describe());
    assertEquals(
        List.of(
            Map.of("path", "/data/password", "old", "<redacted>", "new", "<redacted>"),
            Map.of("path", "/data/token", "old", "<redacted>")),
        db.get("fields"),
        r.describe());
    kubectl("apply", "-R", "-f", dir.toString());
    kubectl(
        "-n",
        "plain",
        "patch",
        "secret",
        "db",
        "--type=json",
        "-p",
        "[{\"op\":\"remove\",\"path\":\"/data/token\"}]");
    diff("--live", "--against", dir.toString()).assertOk();

    // Git changes: a value, and a key removed that the cluster still has.
    Files.writeString(
        settings,
        Files.readString(settings).replace("LOG_LEVEL: info, FEATURE: \"on\"", "LOG_LEVEL: warn"));
    r = diff("--live", "--against", dir.toString()).assertExit(1);
    assertTrue(
        r.stdout().contains("changed ConfigMap plain/settings  (" + settings + ":1)"),
        r.describe());
    assertTrue(r.stdout().contains("  /data/LOG_LEVEL: \"info\" → \"warn\""), r.describe());
    assertTrue(r.stdout().contains("  /data/FEATURE: \"on\" → (not in Git)"), r.describe());
    kubectl("apply", "-R", "-f", dir.toString());
    diff("--live", "--against", dir.toString()).assertOk();

    // An object made by hand in a namespace the manifests name, and one deleted.
    kubectl("-n", "plain", "create", "configmap", "hand-made", "--from-literal=a=1");
    // An object a controller owns is the controller's business, not Git's.
    String uid =
        kubectl("-n", "plain", "get", "serviceaccount", "crew", "-o", "jsonpath={.metadata.uid}");
    Path owned =
        write(
            "owned.json",
            """
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "made-by-a-controller", "namespace": "plain",
         "ownerReferences": [{"apiVersion": "v1", "kind": "ServiceAccount", "name": "crew", "uid": "%s",
           "controller": true}]}}
        """
                .formatted(uid));
    kubectl("create", "-f", owned.toString());
    kubectl("-n", "plain", "delete", "configmap", "lineup");
    r = diff("--live", "--against", dir.toString()).assertExit(1);
    assertTrue(
        r.stdout().contains("missing ConfigMap plain/lineup  (" + settings + ":6)"), r.describe());
    assertTrue(r.stdout().contains("extra   ConfigMap plain/hand-made"), r.describe());
    assertFalse(r.stdout().contains("kube-root-ca.crt"), r.describe());
    assertFalse(r.stdout().contains("made-by-a-controller"), r.describe());
    assertFalse(r.stdout().contains("ServiceAccount plain/default"), r.describe());
    assertTrue(r.stdout().contains("drift: 1 missing, 1 extra; 4 objects match"), r.describe());
  }

  @Test
  void snapshotAgainstGitWithTheClusterAndOffline() throws Exception {
    Path dir =
        write("snap/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: snap}\n")
            .getParent();
    Path settings =
        write(
            "snap/settings.yaml",
            """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: snap}
        data: {LOG_LEVEL: info}
        """);
    write(
        "snap/web.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: snap}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports: [{containerPort: 80}]
                resources: {requests: {cpu: "0.5"}}
        """);
    kubectl("apply", "-f", dir.resolve("namespace.yaml").toString());
    kubectl("apply", "-f", dir.toString());
    kubectl("-n", "snap", "create", "configmap", "hand-made", "--from-literal=a=1");
    Path repo = tmp.resolve("snap-repo");
    RoadieProcess withRepo =
        RoadieProcess.of(repo, "drift test password")
            .env("KUBECONFIG", kube.kubeconfig().toString())
            .env("HOME", tmp.toString());
    withRepo.run("init").assertOk();
    withRepo.run("backup", "k8s", "--namespace", "snap").assertOk();

    // The cluster moves on after the snapshot: that is not the snapshot's drift.
    kubectl(
        "-n",
        "snap",
        "patch",
        "configmap",
        "settings",
        "-p",
        "{\"data\":{\"LOG_LEVEL\":\"debug\"}}");
    kubectl("-n", "snap", "delete", "configmap", "hand-made");
    String kubectlPath = KubeCluster.kubectl().toString();
    RoadieProcess.Result r =
        withRepo
            .run("diff", "k8s", "latest", "--against", dir.toString(), "--kubectl", kubectlPath)
            .assertExit(1);
    assertTrue(r.stdout().startsWith("drift of snapshot "), r.describe());
    assertTrue(r.stdout().contains("extra   ConfigMap snap/hand-made"), r.describe());
    assertTrue(r.stdout().contains("drift: 1 extra; 3 objects match"), r.describe());
    r =
        withRepo
            .run("diff", "k8s", "latest", "--offline", "--against", dir.toString(), "--json")
            .assertExit(1);
    Map<String, Object> report = json(r);
    assertEquals("offline", report.get("mode"));
    assertEquals(
        Map.of("missing", 0, "extra", 1, "changed", 0, "failed", 0, "unchanged", 3),
        report.get("summary"),
        r.describe());

    // Git moves on: a value changed and an object added.
    kubectl("-n", "snap", "create", "configmap", "hand-made", "--from-literal=a=1");
    Files.writeString(
        settings, Files.readString(settings).replace("LOG_LEVEL: info", "LOG_LEVEL: warn"));
    write(
        "snap/new.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added, namespace: snap}\n");
    for (String mode : List.of("--kubectl=" + kubectlPath, "--offline")) {
      r = withRepo.run("diff", "k8s", "latest", mode, "--against", dir.toString()).assertExit(1);
      assertTrue(r.stdout().contains("changed ConfigMap snap/settings"), r.describe());
      assertTrue(r.stdout().contains("  /data/LOG_LEVEL: \"info\" → \"warn\""), r.describe());
      assertTrue(r.stdout().contains("missing ConfigMap snap/added"), r.describe());
      assertTrue(
          r.stdout().contains("drift: 1 missing, 1 extra, 1 changed; 2 objects match"),
          r.describe());
    }

    // The live namespace gone: the server can no longer dry-run those objects, which says nothing
    // of the snapshot; they are compared as written.
    kubectl("delete", "namespace", "snap", "--timeout=120s");
    r =
        withRepo
            .run("diff", "k8s", "latest", "--kubectl=" + kubectlPath, "--against", dir.toString())
            .assertExit(1);
    assertTrue(r.stdout().contains("  /data/LOG_LEVEL: \"info\" → \"warn\""), r.describe());
    assertTrue(
        r.stdout().contains("drift: 1 missing, 1 extra, 1 changed; 2 objects match"), r.describe());

    // What the backup did not take is not missing: its absence from the snapshot proves nothing.
    Path elsewhere =
        write(
                "snap-scope/objects.yaml",
                """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: x, namespace: elsewhere}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: festival-reader}
        rules: []
        """)
            .getParent();
    r =
        withRepo
            .run("diff", "k8s", "latest", "--offline", "--against", elsewhere.toString())
            .assertExit(4);
    assertTrue(r.stdout().contains("failed  ConfigMap elsewhere/x"), r.describe());
    assertTrue(
        r.stdout().contains("not compared: the snapshot holds namespace snap, not elsewhere"),
        r.describe());
    assertTrue(
        r.stdout().contains("failed  ClusterRole.rbac.authorization.k8s.io festival-reader"),
        r.describe());
    assertTrue(r.stdout().contains("--cluster-resources"), r.describe());
    assertFalse(r.stdout().contains("missing"), r.describe());

    RoadieProcess.Result unknown =
        withRepo.run("diff", "k8s", "nosuchsnapshot", "--against", dir.toString());
    assertTrue(unknown.exitCode() >= 2, unknown.describe());

    // A damaged repository exits 3: every pack altered, so the snapshot's objects fail
    // authentication.
    try (var packs = Files.walk(repo.resolve("data"))) {
      for (Path pack : packs.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(pack);
        bytes[bytes.length / 2] ^= 1;
        Files.write(pack, bytes);
      }
    }
    r =
        withRepo
            .run("diff", "k8s", "latest", "--offline", "--against", dir.toString())
            .assertExit(3);
    assertFalse(r.stderr().contains("Exception"), r.describe());
  }

  @Test
  void errorsExitTwoOrMore() throws Exception {
    Path dir =
        write(
                "errors/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n")
            .getParent();

    RoadieProcess.Result r =
        diff("--live", "--against", tmp.resolve("no-such-dir").toString()).assertExit(2);
    assertTrue(r.stderr().contains("no such directory"), r.describe());

    Path bad =
        write(
            "bad/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [a\n  namespace: default\n");
    r = diff("--live", "--against", bad.getParent().toString()).assertExit(2);
    assertTrue(r.stderr().contains(bad + ":5: not valid YAML"), r.describe());

    r = diff("--against", dir.toString()).assertExit(2);
    assertTrue(r.stderr().contains("a SNAPSHOT of the repository or --live"), r.describe());

    r = roadie().run("diff").assertExit(2);
    assertTrue(
        r.stderr().contains("roadie diff k8s (SNAPSHOT | --live) --against DIR"), r.describe());

    // A manifest the server refuses to apply (an immutable config map changed): the object is
    // reported with the server's reason and its differences as written, and the answer is a
    // failure.
    Path frozen =
        write(
            "frozen/cm.yaml",
            """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: frozen, namespace: default}
        immutable: true
        data: {a: "1"}
        """);
    kubectl("apply", "-f", frozen.toString());
    diff("--live", "--against", frozen.toString()).assertOk();
    Files.writeString(frozen, Files.readString(frozen).replace("a: \"1\"", "a: \"2\""));
    r = diff("--live", "--against", frozen.toString()).assertExit(4);
    assertTrue(r.stdout().contains("failed  ConfigMap default/frozen"), r.describe());
    assertTrue(r.stdout().contains("  /data/a: \"1\" → \"2\""), r.describe());
    assertTrue(
        r.stdout().contains("the server refuses the manifest") && r.stdout().contains("immutable"),
        r.describe());

    // Not a repository: a failure like any other for this command (4), never 1, which means drift.
    Files.createDirectories(tmp.resolve("not-a-repo"));
    r =
        RoadieProcess.of(tmp.resolve("not-a-repo"), "x")
            .run("diff", "k8s", "latest", "--offline", "--against", dir.toString())
            .assertExit(4);
    assertTrue(r.stderr().contains("not-a-repo"), r.describe());

    // A cluster that does not answer: a port nothing listens on.
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path kubeconfig = tmp.resolve("unreachable.kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: gone, cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}}]
        users: [{name: someone, user: {token: not-a-real-token}}]
        contexts: [{name: gone, context: {cluster: gone, user: someone}}]
        current-context: gone
        """
            .formatted(port));
    r =
        RoadieProcess.bare()
            .env("KUBECONFIG", kubeconfig.toString())
            .run("diff", "k8s", "--live", "--against", dir.toString())
            .assertExit(4);
    assertTrue(
        r.stderr().contains("127.0.0.1:" + port) && r.stderr().contains("cannot be reached"),
        r.describe());
    assertFalse(r.stderr().contains("not-a-real-token"), r.describe());
  }

  private static Map<String, Object> json(RoadieProcess.Result r) throws IOException {
    return JSON.readValue(r.stdout(), new TypeReference<>() {});
  }

  private static Path write(String relative, String text) throws IOException {
    Path p = tmp.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  private static String kubectl(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                KubeCluster.kubectl().toString(), "--kubeconfig", kube.kubeconfig().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "kubectl " + String.join(" ", args) + " said: " + out);
    return out;
  }
}
