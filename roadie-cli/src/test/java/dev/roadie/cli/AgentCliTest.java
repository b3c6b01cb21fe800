package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roadie config check}, {@code roadie run} and {@code roadie agent} as a user runs them. */
class AgentCliTest {
  @TempDir Path tmp;

  private Path repo() {
    Path repo = tmp.resolve("repo");
    RoadieProcess.of(repo, "pw").run("init").assertOk();
    return repo;
  }

  private Path config(Path repo, String targets) throws Exception {
    Path pw = Files.writeString(tmp.resolve("password"), "pw\n");
    return Files.writeString(
        tmp.resolve("roadie.yaml"),
        "repository: "
            + repo
            + "\npasswordFile: "
            + pw
            + "\nlisten: 127.0.0.1:0\nretries: {attempts: 1}\ntargets:\n"
            + targets);
  }

  /**
   * The guide's whole plan, as docs/agent.md shows it, is a valid config (every kind builds its
   * options).
   */
  @Test
  void theDocsExampleIsAValidConfig() throws Exception {
    String doc =
        Files.readString(
            Path.of(System.getProperty("user.dir")).getParent().resolve("docs/agent.md"));
    Matcher m =
        Pattern.compile(
                "<!-- agent-example:begin -->\\s*```yaml\\n(.*?)```\\s*<!-- agent-example:end -->",
                Pattern.DOTALL)
            .matcher(doc);
    assertTrue(m.find(), "docs/agent.md has the example between its markers");
    // Only the secret files move into this test's directory; each exists, as config check requires.
    Path etc = Files.createDirectories(tmp.resolve("etc/roadie"));
    String yaml = m.group(1).replace("/etc/roadie/", etc + "/");
    Matcher files = Pattern.compile(Pattern.quote(etc.toString()) + "/[a-z-]+").matcher(yaml);
    while (files.find()) {
      Path f = Path.of(files.group());
      Files.writeString(
          f,
          f.getFileName().toString().endsWith("-url")
              ? "https://hooks.example/T0/B0/x\n"
              : "secret\n");
    }
    Path file = Files.writeString(tmp.resolve("roadie.yaml"), yaml);
    RoadieProcess.Result r =
        RoadieProcess.bare().run("config", "check", file.toString()).assertExit(0);
    assertTrue(r.stdout().contains("is valid: 6 targets"), r.describe());
    assertTrue(
        r.stdout()
            .contains("orders-db (postgres): 0 * * * * (Europe/Berlin), expected every 1:00:00"),
        r.describe());
    assertTrue(r.stdout().contains("cluster-config (k8s): on-change"), r.describe());
    // Then one inline secret makes it invalid, with the line and key.
    Files.writeString(
        file,
        yaml.replace("    passwordFile: " + etc + "/redis-password", "    password: hunter2"));
    RoadieProcess.Result bad =
        RoadieProcess.bare().run("config", "check", file.toString()).assertExit(2);
    assertTrue(
        bad.stderr()
            .contains(
                "target 'sessions', key 'password': a secret is never written into the config"),
        bad.describe());
    assertTrue(!bad.stderr().contains("hunter2"), bad.describe());
  }

  /**
   * The docs example as CronJobs: one per cron target, Forbid, its zone, its secrets mounted where
   * the config says.
   */
  @Test
  void renderCronJobsGivesOneCronJobPerScheduledTarget() throws Exception {
    Path file = docsExample();
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .run("config", "render-cronjobs", file.toString(), "--image", "roadie:0.1.0")
            .assertExit(0);
    com.fasterxml.jackson.databind.ObjectMapper yaml =
        new com.fasterxml.jackson.databind.ObjectMapper(
            new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
    java.util.List<com.fasterxml.jackson.databind.JsonNode> jobs = new java.util.ArrayList<>();
    try (var docs =
        yaml.readValues(
            yaml.getFactory().createParser(r.stdout()),
            com.fasterxml.jackson.databind.JsonNode.class)) {
      while (docs.hasNext()) {
        var d = docs.next();
        if (d != null && !d.isMissingNode() && d.has("kind")) jobs.add(d);
      }
    }
    assertEquals(
        java.util.List.of(
            "roadie-orders-db", "roadie-orders-cluster", "roadie-sessions", "roadie-uploads"),
        jobs.stream().map(j -> j.at("/metadata/name").asText()).toList(),
        r.stdout());
    var db = jobs.get(0);
    assertEquals("0 * * * *", db.at("/spec/schedule").asText());
    assertEquals("Europe/Berlin", db.at("/spec/timeZone").asText());
    assertEquals("Forbid", db.at("/spec/concurrencyPolicy").asText());
    assertEquals(3600, db.at("/spec/jobTemplate/spec/activeDeadlineSeconds").asInt());
    var container = db.at("/spec/jobTemplate/spec/template/spec/containers/0");
    assertEquals(
        "[\"run\",\"orders-db\",\"--config\",\"/etc/roadie/roadie.yaml\"]",
        container.get("args").toString());
    assertTrue(
        container.get("volumeMounts").toString().contains("\"subPath\":\"pg-password\""),
        container.toString());
    assertTrue(
        r.stdout().contains("target 'orders-wal' (continuous) is not a cron job"), r.stdout());
    assertTrue(
        r.stdout().contains("kubectl create secret generic roadie-secrets --from-file="),
        r.stdout());
  }

  /** The docs example with its files moved into this test's directory (each written). */
  private Path docsExample() throws Exception {
    String doc =
        Files.readString(
            Path.of(System.getProperty("user.dir")).getParent().resolve("docs/agent.md"));
    Matcher m =
        Pattern.compile(
                "<!-- agent-example:begin -->\\s*```yaml\\n(.*?)```\\s*<!-- agent-example:end -->",
                Pattern.DOTALL)
            .matcher(doc);
    assertTrue(m.find(), "docs/agent.md has the example between its markers");
    Path etc = Files.createDirectories(tmp.resolve("etc/roadie"));
    String yaml = m.group(1).replace("/etc/roadie/", etc + "/");
    Matcher files = Pattern.compile(Pattern.quote(etc.toString()) + "/[a-z-]+").matcher(yaml);
    while (files.find()) {
      Path f = Path.of(files.group());
      Files.writeString(
          f,
          f.getFileName().toString().endsWith("-url")
              ? "https://hooks.example/T0/B0/x\n"
              : "secret\n");
    }
    return Files.writeString(tmp.resolve("roadie.yaml"), yaml);
  }

  /**
   * Each kind's own options are checked by its source, and a bad one is named with its line and
   * key.
   */
  @Test
  void eachKindNamesItsBadOption() throws Exception {
    Path repo = repo();
    Path file =
        config(
            repo,
            """
          - name: db
            kind: postgres
            url: postgresql://app:hunter2@db:5432/shop
          - name: cluster
            kind: postgres-physical
            url: postgresql://replicator@db:5432/postgres
            checkpoint: slow
          - name: uploads
            kind: bucket
            location: s3://uploads
            accessKeyIdEnv: KEY_ID
          - name: k8s
            kind: k8s
            selector: app=web
          - name: files
            kind: file
            path: /srv
        """);
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .env("KEY_ID", "AKIA")
            .run("config", "check", file.toString())
            .assertExit(2);
    String e = r.stderr();
    assertTrue(e.contains("5 problems"), r.describe());
    assertTrue(
        e.contains("line 8, target 'db', key 'url': a password is never written into the config"),
        e);
    assertTrue(
        e.contains(
            "line 12, target 'cluster', key 'checkpoint': 'slow' is not one of fast, spread"),
        e);
    assertTrue(
        e.contains(
            "target 'uploads', key 'secretAccessKeyFile': give both the access key id and the secret"),
        e);
    assertTrue(
        e.contains(
            "target 'k8s', key 'namespaces': say which namespaces to back up: namespaces: [NS, ...] or "
                + "allNamespaces: true"),
        e);
    assertTrue(
        e.contains(
            "line 22, target 'files', key 'path': a file target has no option 'path'; its options are "
                + "force, paths"),
        e);
    assertTrue(!e.contains("hunter2"), e);
  }

  @Test
  void configCheckRefusesAMissingRepositoryWithTheInitCommand() throws Exception {
    Path file = config(tmp.resolve("nothing-here"), "  - {name: a, kind: file, paths: [/tmp]}\n");
    RoadieProcess.Result r =
        RoadieProcess.bare().run("config", "check", file.toString()).assertExit(2);
    assertTrue(
        r.stderr()
            .contains(
                "no repository at "
                    + tmp.resolve("nothing-here")
                    + "; create it with: roadie init "
                    + "--repo "
                    + tmp.resolve("nothing-here")
                    + " --password-file "
                    + tmp.resolve("password")),
        r.describe());
    assertTrue(Files.notExists(tmp.resolve("nothing-here")));
  }

  /** roadie run: one job, its run record in the repository, the result in the exit status. */
  @Test
  void runBacksUpOneTargetAndItsExitStatusTellsTheResult() throws Exception {
    Path repo = repo();
    Path app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("a.txt"), "hello");
    Path file =
        config(
            repo,
            "  - {name: app, kind: file, paths: ["
                + app
                + "], retention: {keepLast: 1}}\n"
                + "  - {name: gone, kind: file, paths: ["
                + tmp.resolve("missing")
                + "]}\n");
    RoadieProcess.bare().run("run", "app", "--config", file.toString()).assertExit(0);
    RoadieProcess.Result second =
        RoadieProcess.bare().run("run", "app", "--config", file.toString(), "--json").assertExit(0);
    assertTrue(second.stdout().contains("\"result\" : \"success\""), second.describe());
    assertTrue(second.stdout().contains("kept 1 snapshot, removed 1\""), second.describe());
    RoadieProcess.Result failed =
        RoadieProcess.bare().run("run", "gone", "--config", file.toString());
    assertTrue(failed.exitCode() != 0, failed.describe());
    assertTrue(failed.stderr().contains(tmp.resolve("missing").toString()), failed.describe());
    RoadieProcess.bare().run("run", "nope", "--config", file.toString()).assertExit(2);
    // The static report reads the repository and the targets from the same config.
    Path html = tmp.resolve("report.html");
    RoadieProcess.bare()
        .run("report", "--html", html.toString(), "--config", file.toString())
        .assertExit(0);
    String page = Files.readString(html);
    assertTrue(
        page.contains(">app<") && page.contains(">gone<"),
        "both configured targets are in the report");
    // Restarted metrics: the agent serving them from the repository sees the failure.
    RoadieProcess.Running agent =
        RoadieProcess.bare().start("agent", "--config", file.toString(), "--metrics-only");
    try {
      int port = awaitPort(agent);
      String metrics = get(port, "/metrics");
      assertTrue(
          metrics.contains("roadie_backup_last_status{kind=\"file\",target=\"gone\"} 0.0"),
          metrics);
      assertTrue(
          metrics.contains("roadie_backup_last_status{kind=\"file\",target=\"app\"} 1.0"), metrics);
      assertTrue(
          metrics.contains(
              "roadie_backups_total{kind=\"file\",result=\"success\",target=\"app\"} 2.0"),
          metrics);
    } finally {
      agent.process.toHandle().destroy(); // SIGTERM (Process.destroy would also close the pipes)
      RoadieProcess.Result r = agent.await(Duration.ofSeconds(60));
      assertEquals(0, r.exitCode(), r.describe());
      assertTrue(r.stderr().contains("stopped"), r.describe());
    }
  }

  /** A WAL archiver's queue (spool) without the data directory it archives is refused. */
  @Test
  void aSpoolWithoutArchiveFromIsRefused() throws Exception {
    String target =
        "  - {name: wal, kind: postgres-physical, url: \"postgresql://postgres@127.0.0.1:5432/postgres\","
            + " schedule: continuous, %s}\n";
    Path repo = repo();
    Path ok = config(repo, target.formatted("archiveFrom: " + tmp + ", spool: " + tmp));
    RoadieProcess.bare().run("config", "check", ok.toString()).assertExit(0);
    Path bad = config(repo, target.formatted("spool: " + tmp));
    RoadieProcess.Result r = RoadieProcess.bare().run("config", "check", bad.toString());
    r.assertExit(2);
    assertTrue(
        r.stderr().contains("'spool'") && r.stderr().contains("give archiveFrom too"),
        r.describe());
  }

  /** roadie agent runs the schedules; SIGTERM ends it with status 0. */
  @Test
  void theAgentServesHealthAndStopsOnSigterm() throws Exception {
    Path repo = repo();
    Path file =
        config(
            repo, "  - {name: app, kind: file, paths: [" + tmp + "], schedule: \"0 3 * * *\"}\n");
    RoadieProcess.Running agent = RoadieProcess.bare().start("agent", "--config", file.toString());
    int port = awaitPort(agent);
    assertEquals("ok\n", get(port, "/healthz"));
    assertEquals("ready\n", get(port, "/readyz"));
    String status = get(port, "/api/v1/status");
    assertTrue(
        status.contains("\"name\" : \"app\"") && status.contains("\"nextRun\" : \""), status);
    String overview = get(port, "/");
    assertTrue(
        overview.contains("<html") && overview.contains(">app<"),
        "the dashboard's overview lists the target: " + overview);
    agent.process.toHandle().destroy(); // SIGTERM
    RoadieProcess.Result r = agent.await(Duration.ofSeconds(60));
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("roadie agent: stopped"), r.describe());
  }

  static int awaitPort(RoadieProcess.Running agent) throws Exception {
    Pattern p = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      Matcher m = p.matcher(agent.stderrNow());
      if (m.find()) return Integer.parseInt(m.group(1));
      if (!agent.process.isAlive()) throw new AssertionError("agent ended: " + agent.stderrNow());
      Thread.sleep(50);
    }
    throw new AssertionError("agent did not start: " + agent.stderrNow());
  }

  private static String get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
