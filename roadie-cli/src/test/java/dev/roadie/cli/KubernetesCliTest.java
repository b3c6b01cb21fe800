package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.dashboard.DashboardHandler;
import dev.roadie.dashboard.status.StatusReader;
import dev.roadie.testkit.KubeCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roadie backup k8s} and {@code roadie restore --to-cluster} as a user runs them, against a
 * control plane of the test's own: output, JSON, exit codes, the kubeconfig from $KUBECONFIG, and
 * {@code --on-change} ending cleanly on SIGTERM.
 */
@Tag("slow")
class KubernetesCliTest {
  @TempDir static Path work;
  static KubeCluster cluster;
  static RoadieProcess roadie;

  @BeforeAll
  static void start() throws Exception {
    cluster = KubeCluster.start();
    kubectl("create", "namespace", "cli-fest");
    kubectl(
        "-n", "cli-fest", "create", "configmap", "lineup", "--from-literal=headliner=The Roadies");
    kubectl(
        "-n", "cli-fest", "create", "secret", "generic", "db", "--from-literal=password=s3cret");
    kubectl("-n", "cli-fest", "create", "deployment", "web", "--image=nginx:1.27");
    roadie =
        RoadieProcess.of(work.resolve("repo"), "pw")
            .env("KUBECONFIG", cluster.kubeconfig().toString())
            .timeout(Duration.ofMinutes(3));
    roadie.run("init").assertExit(0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static String kubectl(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                KubeCluster.kubectl().toString(), "--kubeconfig", cluster.kubeconfig().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + out);
    return out;
  }

  @Test
  void backupRestoreIntoAMappedNamespaceAndAsFiles() throws Exception {
    RoadieProcess.Result backup =
        roadie.run("backup", "k8s", "--namespace", "cli-fest").assertExit(0);
    assertTrue(
        backup
            .stdout()
            .matches(
                "(?s)snapshot \\w+ of k8s://127\\.0\\.0\\.1:\\d+/cli-fest saved: \\d+ objects of "
                    + "\\d+ kinds in 1 namespace, .*"),
        backup.describe());

    RoadieProcess.Result restore =
        roadie
            .run(
                "restore",
                "latest",
                "--to-cluster",
                "--namespace-mapping",
                "cli-fest:cli-copy",
                "--json")
            .assertExit(0);
    JsonNode report = new ObjectMapper().readTree(restore.stdout());
    assertTrue(report.get("counts").get("created").asInt() >= 4, restore.describe());
    assertEquals(
        "s3cret",
        new String(
            java.util.Base64.getDecoder()
                .decode(
                    kubectl(
                        "-n",
                        "cli-copy",
                        "get",
                        "secret",
                        "db",
                        "-o",
                        "jsonpath={.data.password}")),
            StandardCharsets.UTF_8));

    RoadieProcess.Result dry =
        roadie.run("restore", "latest", "--to-cluster", "--dry-run").assertExit(0);
    assertTrue(dry.stdout().startsWith("dry run: restore of snapshot"), dry.describe());
    assertTrue(
        dry.stdout().contains("unchanged        configmaps cli-fest/lineup"), dry.describe());

    Path dir = work.resolve("files");
    roadie.run("restore", "latest", "--target", dir.toString()).assertExit(0);
    assertTrue(
        Files.readString(dir.resolve("cli-fest/configmaps/lineup.yaml"))
            .contains("headliner: The Roadies"));
    assertTrue(Files.isRegularFile(dir.resolve("_cluster/namespaces/cli-fest.yaml")));

    RoadieProcess.Result mixed =
        roadie
            .run("restore", "latest", "--target", dir.toString(), "--namespace-mapping", "a:b")
            .assertExit(2);
    assertTrue(mixed.stderr().contains("go with --to-cluster"), mixed.describe());
  }

  @Test
  void anObjectTheClusterRefusesMakesTheRestoreExitOne() throws Exception {
    roadie.run("backup", "k8s", "-n", "cli-fest", "--tag", "quota").assertExit(0);
    kubectl("create", "namespace", "cli-quota");
    kubectl("-n", "cli-quota", "create", "quota", "no-more-configmaps", "--hard=configmaps=0");
    RoadieProcess.Result r =
        roadie
            .run(
                "restore",
                "latest",
                "--tag",
                "quota",
                "--to-cluster",
                "--namespace-mapping",
                "cli-fest:cli-quota",
                "--existing",
                "update")
            .assertExit(1);
    assertTrue(r.stdout().contains("failed           configmaps cli-quota/lineup"), r.describe());
    assertTrue(
        r.stdout().contains("created          deployments.apps cli-quota/web"), r.describe());
    assertTrue(r.stderr().contains("could not be restored"), r.describe());
  }

  @Test
  void usageAndUnreachableServerExitCodes() throws Exception {
    RoadieProcess.Result noScope = roadie.run("backup", "k8s").assertExit(2);
    assertTrue(
        noScope.stderr().contains("--namespace") && noScope.stderr().contains("--all-namespaces"),
        noScope.describe());
    String admin = Files.readString(cluster.kubeconfig());
    Path down = work.resolve("down.kubeconfig");
    Files.writeString(down, admin.replaceAll("server: \\S+", "server: https://127.0.0.1:1"));
    RoadieProcess.Result r =
        roadie
            .copy()
            .env("KUBECONFIG", down.toString())
            .run("backup", "k8s", "-n", "cli-fest")
            .assertExit(75);
    assertTrue(r.stderr().contains("cannot be reached"), r.describe());
  }

  @Test
  void onChangeTakesASnapshotWhenChangesSettleAndEndsCleanlyOnSigterm() throws Exception {
    kubectl("create", "namespace", "cli-watch");
    kubectl("-n", "cli-watch", "create", "configmap", "a", "--from-literal=v=1");
    RoadieProcess.Running watch =
        roadie.start("backup", "k8s", "-n", "cli-watch", "--on-change", "--settle", "1s");
    awaitLines(watch, 1);
    // Each snapshot of a running watch already has its audit entry: check finds nothing missing.
    RoadieProcess.Result checked = roadie.run("check");
    assertEquals(0, checked.exitCode(), checked.describe());
    kubectl("-n", "cli-watch", "create", "configmap", "b", "--from-literal=v=2");
    kubectl("-n", "cli-watch", "patch", "configmap", "a", "-p", "{\"data\":{\"v\":\"3\"}}");
    awaitLines(watch, 2);
    // SIGTERM; Process.destroy() would also close the pipes, losing what the process says after it
    watch.process.toHandle().destroy();
    RoadieProcess.Result r = watch.await(Duration.ofSeconds(60));
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("stopped watching"), r.describe());
    String[] lines = r.stdout().strip().split("\n");
    assertTrue(lines.length >= 2, r.describe());
    assertTrue(lines[0].contains("3 objects") && lines[1].contains("4 objects"), r.describe());
  }

  static void awaitLines(RoadieProcess.Running p, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (p.stdoutSoFar().lines().filter(l -> l.startsWith("snapshot ")).count() < n) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("no snapshot line " + n + "; stdout: " + p.stdoutSoFar());
      }
      Thread.sleep(200);
    }
  }

  @Test
  void listFindAndDiffKubernetesSnapshots() throws Exception {
    kubectl("create", "namespace", "cli-browse");
    kubectl("-n", "cli-browse", "create", "configmap", "lineup", "--from-literal=act=1");
    roadie.run("backup", "k8s", "-n", "cli-browse", "--tag", "browse").assertExit(0);
    kubectl("-n", "cli-browse", "patch", "configmap", "lineup", "-p", "{\"data\":{\"act\":\"2\"}}");
    kubectl("-n", "cli-browse", "create", "secret", "generic", "pass", "--from-literal=p=x");
    roadie.run("backup", "k8s", "-n", "cli-browse", "--tag", "browse").assertExit(0);

    String kinds =
        roadie.run("ls", "latest", "cli-browse", "--tag", "browse").assertExit(0).stdout();
    assertTrue(
        kinds.contains("cli-browse/configmaps/\n") && kinds.contains("cli-browse/secrets/\n"),
        kinds);
    JsonNode listing =
        new ObjectMapper()
            .readTree(
                roadie
                    .run("ls", "latest", "cli-browse/configmaps", "--tag", "browse", "--json")
                    .assertExit(0)
                    .stdout());
    JsonNode lineup = null;
    for (JsonNode e : listing.get("entries")) {
      if (e.get("path").asText().equals("cli-browse/configmaps/lineup.yaml")) lineup = e;
    }
    assertEquals("object", lineup.get("type").asText(), listing.toString());
    assertEquals("cli-browse", lineup.get("details").get("namespace").asText());
    assertEquals("configmaps", lineup.get("details").get("kind").asText());
    assertEquals("lineup", lineup.get("details").get("name").asText());

    JsonNode snapshots =
        new ObjectMapper()
            .readTree(roadie.run("snapshots", "--tag", "browse", "--json").assertExit(0).stdout());
    RoadieProcess.Result diff =
        roadie
            .run(
                "diff",
                snapshots.get(0).get("shortId").asText(),
                snapshots.get(1).get("shortId").asText())
            .assertExit(1);
    List<String> lines = List.of(diff.stdout().split("\n"));
    assertTrue(lines.contains("M  cli-browse/configmaps/lineup.yaml  (content)"), diff.describe());
    assertTrue(lines.contains("+  cli-browse/secrets/pass.yaml"), diff.describe());
    JsonNode found =
        new ObjectMapper()
            .readTree(
                roadie
                    .run("find", "lineup.yaml", "--tag", "browse", "--json")
                    .assertExit(0)
                    .stdout());
    assertEquals(2, found.size(), found.toString());
  }

  /**
   * The dashboard's contents pages of a Kubernetes snapshot, every one of them walked from the
   * snapshot page: objects by namespace and kind, a Secret by its name only, never its data.
   */
  @Test
  void dashboardListsKubernetesObjectsAndSecretsByNameOnly() throws Exception {
    String secret = "dashboard-s3cret-value";
    kubectl("create", "namespace", "cli-dash");
    kubectl(
        "-n", "cli-dash", "create", "secret", "generic", "api", "--from-literal=token=" + secret);
    kubectl("-n", "cli-dash", "create", "configmap", "stage", "--from-literal=act=headliner");
    String id =
        new ObjectMapper()
            .readTree(
                roadie.run("backup", "k8s", "-n", "cli-dash", "--json").assertExit(0).stdout())
            .get("id")
            .asText();
    String encoded =
        java.util.Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
    try (Repository repo =
            Repository.open(new LocalBackend(work.resolve("repo")), "pw".toCharArray());
        StatusReader reader = new StatusReader(repo, StatusReader.Options.defaults())) {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", new DashboardHandler(reader));
      server.start();
      try {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        HttpClient http = HttpClient.newHttpClient();
        java.util.regex.Pattern link =
            java.util.regex.Pattern.compile("href=\"(/snapshot/" + id + "/contents[^\"]*)\"");
        java.util.ArrayDeque<String> queue = new java.util.ArrayDeque<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        queue.add("/snapshot/" + id);
        StringBuilder all = new StringBuilder();
        while (!queue.isEmpty()) {
          String path = queue.poll();
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + path)).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode(), path + ": " + r.body());
          all.append(r.body());
          java.util.regex.Matcher m = link.matcher(r.body());
          while (m.find()) {
            String next = m.group(1).replace("&amp;", "&");
            if (seen.add(next)) queue.add(next);
          }
        }
        String pages = all.toString();
        assertTrue(
            pages.contains("data-path=\"cli-dash/secrets/api.yaml\"")
                && pages.contains("namespace cli-dash, kind secrets, name api"),
            pages);
        assertTrue(pages.contains("data-path=\"cli-dash/configmaps/stage.yaml\""), pages);
        assertFalse(pages.contains(secret), "the Secret's value is on a page");
        assertFalse(pages.contains(encoded), "the Secret's base64 value is on a page");
        // Nor the ConfigMap's data: the pages show names, never content.
        assertFalse(pages.contains("headliner"), "an object's content is on a page");
      } finally {
        server.stop(0);
      }
    }
  }

  static final String GADGETS =
      """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: gadgets.cli.roadie.dev}
      spec:
        group: cli.roadie.dev
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

  static void apply(String yaml) throws Exception {
    Path f = work.resolve("apply-" + System.nanoTime() + ".yaml");
    Files.writeString(f, yaml);
    kubectl("apply", "-f", f.toString());
  }

  static JsonNode check(JsonNode checks, String name) {
    for (JsonNode c : checks) if (c.get("name").asText().equals(name)) return c;
    throw new AssertionError("no check " + name + " in " + checks);
  }

  /**
   * verify and drill with --scratch-cluster: every object of the snapshot goes through a
   * server-side dry-run apply there, into the namespace the mapping names; an object the cluster
   * refuses fails verify, named.
   */
  @Test
  void verifyAndDrillAskAScratchClusterWhetherItWouldTakeEveryObject() throws Exception {
    apply(GADGETS.formatted(""));
    kubectl("wait", "--for=condition=Established", "crd/gadgets.cli.roadie.dev", "--timeout=60s");
    kubectl("create", "namespace", "cli-verify");
    kubectl("-n", "cli-verify", "create", "configmap", "lineup", "--from-literal=act=1");
    apply(
        "apiVersion: cli.roadie.dev/v1\nkind: Gadget\nmetadata: {name: big, namespace: cli-verify}\n"
            + "spec: {size: 50}\n");
    roadie.run("backup", "k8s", "-n", "cli-verify", "--tag", "scratch").assertExit(0);
    String kubeconfig = cluster.kubeconfig().toString();

    JsonNode ok =
        TestData.json(
            roadie
                .run(
                    "verify",
                    "latest",
                    "--tag",
                    "scratch",
                    "--scratch-cluster",
                    kubeconfig,
                    "--namespace-mapping",
                    "cli-verify:cli-verify-check",
                    "--json")
                .assertExit(0)
                .stdout());
    assertEquals("pass", check(ok.get(0).get("checks"), "scratch-cluster").get("status").asText());
    String target = ok.get(0).get("target").asText();

    JsonNode drill =
        TestData.json(
            roadie
                .run(
                    "drill",
                    "complete-loss",
                    "--of",
                    target,
                    "--scratch-cluster",
                    kubeconfig,
                    "--namespace-mapping",
                    "cli-verify:cli-verify-drill",
                    "--json")
                .assertExit(0)
                .stdout());
    JsonNode k8s = drill.get("targets").get(0);
    assertEquals(
        "pass", check(k8s.get("checks"), "scratch-cluster").get("status").asText(), k8s.toString());

    apply(GADGETS.formatted(", maximum: 10"));
    RoadieProcess.Result refused =
        roadie
            .run(
                "verify",
                "latest",
                "--tag",
                "scratch",
                "--scratch-cluster",
                kubeconfig,
                "--namespace-mapping",
                "cli-verify:cli-verify-check2")
            .assertExit(1);
    assertTrue(
        refused
            .stdout()
            .contains("gadgets.cli.roadie.dev cli-verify-check2/big: the cluster refuses it"),
        refused.describe());
    String withoutCluster =
        roadie.run("verify", "latest", "--tag", "scratch").assertExit(0).stdout();
    assertTrue(
        !withoutCluster.contains("scratch-cluster"), "without it, the objects are parsed only");
    kubectl("delete", "crd", "gadgets.cli.roadie.dev", "--wait=false");
  }
}
