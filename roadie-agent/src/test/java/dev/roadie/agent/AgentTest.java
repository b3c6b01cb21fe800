package dev.roadie.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.job.TargetJob;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.testkit.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentTest {
  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> log = new CopyOnWriteArrayList<>();

  private Agent agent(AgentConfig config, MutableClock clock, boolean metricsOnly) {
    return new Agent(
        config,
        new Agent.Options("9.9.9", metricsOnly, Duration.ofMinutes(1), clock, d -> {}, log::add));
  }

  private HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double metric(String text, String name, String labels) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + labels) + " (\\S+)$").matcher(text);
    if (!m.find()) throw new AssertionError(name + labels + " not in:\n" + text);
    return Double.parseDouble(m.group(1));
  }

  private String config(Fixture f, String targets) {
    return "repository: "
        + f.repo
        + "\npasswordFile: "
        + f.passwordFile
        + "\nlisten: 127.0.0.1:0\n"
        + "retries: {attempts: 1}\ntargets:\n"
        + targets;
  }

  /**
   * A restarted agent reports the truth: its metrics come from the repository's snapshots and run
   * records, so a failure that happened before the restart still shows as a failure.
   */
  @Test
  void metricsAreRebuiltFromTheRepositoryAfterARestart() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 4);
    TestRedis redis = TestRedis.start(tmp.resolve("redis"));
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                config(
                    f,
                    "  - {name: app, kind: file, paths: ["
                        + app
                        + "], schedule: \"0 * * * *\"}\n  - {name: cache, kind: redis, url: \"redis://127.0.0.1:"
                        + redis.port
                        + "\", schedule: \"*/15 * * * *\"}\n")),
            Map.of());
    TargetJob job = new TargetJob(config, log::add);
    assertTrue(job.run(config.target("app"), "manual").succeeded());
    assertTrue(job.run(config.target("cache"), "manual").succeeded());
    redis.stop(); // the cache's server goes away: its next backup fails
    RunRecord failed = job.run(config.target("cache"), "manual");
    assertFalse(failed.succeeded());

    MutableClock clock = new MutableClock(Instant.now());
    try (Agent a = agent(config, clock, true)) {
      a.start(null);
      String text = get(a.port(), "/metrics", null).body();
      assertEquals(1, metric(text, "roadie_backup_last_status", "{kind=\"file\",target=\"app\"}"));
      assertEquals(
          0, metric(text, "roadie_backup_last_status", "{kind=\"redis\",target=\"cache\"}"));
      assertEquals(
          1,
          metric(
              text,
              "roadie_backups_total",
              "{kind=\"redis\",result=\"failure\",target=\"cache\"}"));
      assertEquals(
          1,
          metric(
              text,
              "roadie_backups_total",
              "{kind=\"redis\",result=\"success\",target=\"cache\"}"));
      assertEquals(
          900,
          metric(
              text,
              "roadie_backup_expected_interval_seconds",
              "{kind=\"redis\",target=\"cache\"}"));
      assertEquals(
          3600,
          metric(
              text, "roadie_backup_expected_interval_seconds", "{kind=\"file\",target=\"app\"}"));
      assertEquals(
          2,
          metric(
              text, "roadie_backup_duration_seconds_count", "{kind=\"redis\",target=\"cache\"}"));
      assertEquals(1, metric(text, "roadie_build_info", "{version=\"9.9.9\"}"));
      assertTrue(metric(text, "roadie_repository_stored_bytes", "") > 0);
      double success =
          metric(
              text,
              "roadie_backup_last_success_timestamp_seconds",
              "{kind=\"file\",target=\"app\"}");
      assertTrue(Math.abs(success - Instant.now().getEpochSecond()) < 120, text);
      assertTrue(metric(text, "roadie_backup_read_bytes", "{kind=\"file\",target=\"app\"}") > 0);
      clock.advance(Duration.ofHours(2));
      double rpo =
          metric(
              get(a.port(), "/metrics", null).body(),
              "roadie_rpo_seconds",
              "{kind=\"file\",target=\"app\"}");
      assertTrue(rpo >= 7200 && rpo < 7200 + 120, "rpo " + rpo);
      String status = get(a.port(), "/api/v1/status", null).body();
      assertTrue(status.contains("\"lastResult\" : \"failure\""), status);
      assertTrue(status.contains(failed.error().substring(0, 20)), status);
      assertEquals(200, get(a.port(), "/readyz", null).statusCode());
      assertEquals(200, get(a.port(), "/healthz", null).statusCode());
    }
  }

  /**
   * A run that comes due while the target's previous job is still going is skipped and counted
   * (Forbid).
   */
  @Test
  void schedulesRunOnTheClockAndForbidOverlaps() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 2);
    // A file target every minute; its clock is this test's, so "a minute" passes at once.
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                config(
                    f,
                    "  - {name: app, kind: file, paths: ["
                        + app
                        + "], schedule: \"* * * * *\", retention: {keepLast: 2}}\n")),
            Map.of());
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:30Z"));
    try (Agent a = agent(config, clock, false)) {
      a.start(null);
      assertEquals(0, a.tick(), "nothing is due before 10:01");
      for (int minute = 1; minute <= 3; minute++) {
        clock.set(Instant.parse("2026-03-01T10:00:00Z").plus(Duration.ofMinutes(minute)));
        assertEquals(1, a.tick());
        // The job is in flight: a second tick in the same minute starts nothing.
        assertEquals(0, a.tick());
        awaitRuns(f, minute);
      }
      String text = get(a.port(), "/metrics", null).body();
      assertEquals(
          3,
          metric(
              text, "roadie_backups_total", "{kind=\"file\",result=\"success\",target=\"app\"}"));
      String status = get(a.port(), "/api/v1/status", null).body();
      assertTrue(status.contains("\"nextRun\" : \"2026-03-01T10:04:00Z\""), status);
    }
    try (Repository r = f.open()) {
      assertEquals(2, r.snapshots(null).size(), "keepLast 2");
    }
  }

  private static void awaitRuns(Fixture f, int n) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Repository r = f.open()) {
        if (Records.runs(r, new ArrayList<>()).size() >= n) return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + n + " run records");
  }

  /** After downtime, a missed run is made up once at start (missedRuns: once), or not (skip). */
  @Test
  void aRunMissedWhileDownRunsOnceAtStart() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 2);
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                config(
                    f,
                    "  - {name: app, kind: file, paths: ["
                        + app
                        + "], schedule: \"0 * * * *\"}\n")),
            Map.of());
    assertTrue(new TargetJob(config, log::add).run(config.target("app"), "manual").succeeded());
    MutableClock clock = new MutableClock(Instant.now().plus(Duration.ofHours(3)));
    AgentConfig skip =
        ConfigLoader.load(
            f.config(
                "missedRuns: skip\n"
                    + config(
                        f,
                        "  - {name: app, kind: file, "
                            + "paths: ["
                            + app
                            + "], schedule: \"0 * * * *\"}\n")),
            Map.of());
    try (Agent a = agent(skip, clock, false)) {
      a.start(null);
    }
    try (Repository r = f.open()) {
      assertEquals(1, Records.runs(r, new ArrayList<>()).size(), "skip: nothing made up");
    }
    try (Agent a = agent(config, clock, false)) {
      a.start(null);
      awaitRuns(f, 2);
    }
    try (Repository r = f.open()) {
      List<Records.Stored<RunRecord>> runs = Records.runs(r, new ArrayList<>());
      assertEquals(2, runs.size(), "once: one run made up, not one per missed hour");
      assertEquals("missed", runs.get(1).record().trigger());
    }
  }

  /** On a non-loopback address the API needs the bearer token; health and metrics do not. */
  @Test
  void onAPublicAddressTheApiNeedsTheToken() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path token = Files.writeString(tmp.resolve("token"), "s3cret-token\n");
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                "repository: "
                    + f.repo
                    + "\npasswordFile: "
                    + f.passwordFile
                    + "\nlisten: 0.0.0.0:0\ntokenFile: "
                    + token
                    + "\ntargets:\n  - {name: a, kind: file, paths: [/tmp]}\n"),
            Map.of());
    try (Agent a = agent(config, new MutableClock(Instant.now()), true)) {
      a.start(
          exchange -> {
            byte[] b = "dashboard".getBytes();
            exchange.sendResponseHeaders(200, b.length);
            exchange.getResponseBody().write(b);
          });
      assertEquals(401, get(a.port(), "/api/v1/status", null).statusCode());
      assertEquals(401, get(a.port(), "/api/v1/status", "wrong").statusCode());
      assertEquals(401, get(a.port(), "/", null).statusCode());
      assertEquals(200, get(a.port(), "/api/v1/status", "s3cret-token").statusCode());
      assertEquals("dashboard", get(a.port(), "/", "s3cret-token").body());
      assertEquals(200, get(a.port(), "/healthz", null).statusCode());
      assertEquals(200, get(a.port(), "/readyz", null).statusCode());
      assertEquals(200, get(a.port(), "/metrics", null).statusCode());
    }
  }

  /**
   * Webhooks: one message when a target starts failing, none while it keeps failing, one when it
   * recovers; a receiver that fails is tried again.
   */
  @Test
  void notificationsAreSentOncePerChangeOfState() throws Exception {
    Fixture f = new Fixture(tmp).init();
    try (WebhookReceiver slack = new WebhookReceiver(1);
        WebhookReceiver json = new WebhookReceiver(0)) {
      Path slackUrl = Files.writeString(tmp.resolve("slack-url"), slack.url() + "\n");
      Path jsonUrl = Files.writeString(tmp.resolve("json-url"), json.url());
      TestRedis redis = TestRedis.start(tmp.resolve("redis"));
      int port = redis.port;
      redis.stop();
      String yaml =
          config(
                  f,
                  "  - {name: cache, kind: redis, url: \"redis://127.0.0.1:"
                      + port
                      + "\", schedule: \"* * * * *\"}\n")
              + "notifications:\n  - webhook: {urlFile: "
              + slackUrl
              + ", format: slack}\n  - webhook: {urlFile: "
              + jsonUrl
              + ", format: json, on: [failure]}\n";
      AgentConfig config = ConfigLoader.load(f.config(yaml), Map.of());
      dev.roadie.agent.notify.Notifier n =
          new dev.roadie.agent.notify.Notifier(
              config.notifications(), log::add, 3, Duration.ofMillis(10));
      TargetJob job = new TargetJob(config, log::add);
      n.run(job.run(config.target("cache"), "schedule"));
      n.run(job.run(config.target("cache"), "schedule"));
      try (TestRedis back = TestRedis.startOn(tmp.resolve("redis2"), port)) {
        n.run(job.run(config.target("cache"), "schedule"));
      }
      n.close();
      slack.await(2);
      json.await(1);
      assertEquals(2, slack.bodies.size(), slack.bodies.toString());
      assertTrue(
          slack.bodies.get(0).startsWith("{\"text\":\"roadie: cache (redis): backup failed: "),
          slack.bodies.get(0));
      assertTrue(slack.bodies.get(1).contains("backups work again"), slack.bodies.get(1));
      assertEquals(3, slack.requests.get(), "the first delivery failed and was tried again");
      assertEquals(1, json.bodies.size(), "json: failures only");
      assertTrue(
          json.bodies
              .get(0)
              .contains("\"event\":\"failure\",\"target\":\"cache\",\"kind\":\"redis\""),
          json.bodies.get(0));
    }
  }

  /**
   * Drill results: a target whose drills of a scenario start failing is reported once, and again
   * when they pass; what earlier drills found (their records) sends nothing.
   */
  @Test
  void drillResultsAreSentOncePerChangeOfState() throws Exception {
    try (WebhookReceiver slack = new WebhookReceiver(0);
        WebhookReceiver failures = new WebhookReceiver(0)) {
      dev.roadie.agent.notify.Notifier n =
          new dev.roadie.agent.notify.Notifier(
              List.of(
                  new dev.roadie.agent.config.WebhookConfig(
                      URI.create(slack.url()), "slack", java.util.Set.of("drill")),
                  new dev.roadie.agent.config.WebhookConfig(
                      URI.create(failures.url()), "json", java.util.Set.of("failure"))),
              log::add,
              3,
              Duration.ofMillis(10));
      n.knownDrill(drill("region-outage", true));
      n.drill(drill("region-outage", true));
      n.drill(drill("region-outage", false));
      n.drill(drill("region-outage", false));
      n.drill(drill("complete-loss", false));
      n.drill(drill("region-outage", true));
      n.close();
      slack.await(3);
      assertEquals(3, slack.bodies.size(), slack.bodies.toString());
      // Each message is posted on its own thread: they may arrive in any order.
      assertTrue(
          slack.bodies.contains(
              "{\"text\":\"roadie: app (file): region-outage drill FAILED: RTO 2m5s (objective 3m),"
                  + " RPO 30s (objective 1h); restore: pack 1234abcd is missing\"}"),
          slack.bodies.toString());
      assertTrue(
          slack.bodies.stream().anyMatch(b -> b.contains("app (file): complete-loss drill FAILED")),
          slack.bodies.toString());
      assertTrue(
          slack.bodies.stream()
              .anyMatch(b -> b.contains("app (file): region-outage drill passed again: RTO 2m5s")),
          slack.bodies.toString());
      assertEquals(0, failures.requests.get(), "a webhook for failures only hears of no drill");
    }
  }

  private static dev.roadie.core.verify.DrillRecord drill(String scenario, boolean pass) {
    List<dev.roadie.core.source.Check> checks =
        pass
            ? List.of()
            : List.of(
                new dev.roadie.core.source.Check(
                    "restore", "damaged", "pack 1234abcd is missing", Map.of(), List.of()));
    return new dev.roadie.core.verify.DrillRecord(
        1,
        scenario,
        "/srv/roadie",
        "h",
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:05:00Z",
        "2026-03-01T10:00:00Z",
        List.of(
            new dev.roadie.core.verify.DrillRecord.Target(
                "app",
                "file",
                "ab".repeat(32),
                "2026-03-01T09:59:30Z",
                pass ? "2026-03-01T09:59:30Z" : null,
                125.0,
                30.0,
                new dev.roadie.core.verify.DrillRecord.Objective(3600, 180),
                pass,
                pass,
                checks,
                List.of())),
        125.0,
        30.0,
        pass);
  }

  /**
   * Verification after the backup, and drill records, reach the metrics (rebuilt at start, too).
   */
  @Test
  void verificationsAndDrillsReachTheMetrics() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 3);
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                config(
                    f,
                    "  - {name: app, kind: file, paths: ["
                        + app
                        + "], verify: {afterBackup: true}}\n")),
            Map.of());
    RunRecord r = new TargetJob(config, log::add).run(config.target("app"), "manual");
    assertTrue(r.succeeded(), r.error());
    assertEquals("verify", r.steps().get(0).name());
    assertEquals(RunRecord.SUCCESS, r.steps().get(0).result(), r.steps().toString());
    try (Repository repo = f.open()) {
      Records.write(
          repo,
          new dev.roadie.core.verify.DrillRecord(
              1,
              "database-corruption",
              f.repo.toString(),
              "h",
              "2026-03-01T10:00:00Z",
              "2026-03-01T10:05:00Z",
              null,
              List.of(
                  new dev.roadie.core.verify.DrillRecord.Target(
                      "app",
                      "file",
                      r.snapshot(),
                      r.snapshotTime(),
                      r.snapshotTime(),
                      42.5,
                      7.0,
                      new dev.roadie.core.verify.DrillRecord.Objective(3600, 1800),
                      true,
                      true,
                      List.of(),
                      List.of())),
              42.5,
              7.0,
              true));
    }
    try (Agent a = agent(config, new MutableClock(Instant.now()), true)) {
      a.start(null);
      String text = get(a.port(), "/metrics", null).body();
      assertEquals(1, metric(text, "roadie_verify_last_status", "{kind=\"file\",target=\"app\"}"));
      assertTrue(
          metric(
                  text,
                  "roadie_verify_last_success_timestamp_seconds",
                  "{kind=\"file\",target=\"app\"}")
              > Instant.now().getEpochSecond() - 300);
      assertEquals(
          42.5, metric(text, "roadie_drill_rto_seconds", "{kind=\"file\",target=\"app\"}"));
      assertEquals(7.0, metric(text, "roadie_drill_rpo_seconds", "{kind=\"file\",target=\"app\"}"));
    }
  }

  /** Stopping waits for the job in flight: its snapshot and run record are complete, never half. */
  @Test
  void stoppingWaitsForTheRunningJob() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 2);
    // Enough data that the backup is still running when the stop comes.
    try (var out = Files.newOutputStream(app.resolve("big.bin"))) {
      java.util.Random random = new java.util.Random(1);
      byte[] block = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        random.nextBytes(block);
        out.write(block);
      }
    }
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                config(
                    f,
                    "  - {name: app, kind: file, paths: ["
                        + app
                        + "], schedule: \"* * * * *\"}\n")),
            Map.of());
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:30Z"));
    Agent a = agent(config, clock, false);
    a.start(null);
    clock.set(Instant.parse("2026-03-01T10:01:00Z"));
    assertEquals(1, a.tick());
    // The backup is in flight once its writer holds a lease in the repository.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!(Files.isDirectory(f.repo.resolve("leases"))
        && Files.list(f.repo.resolve("leases")).findAny().isPresent())) {
      if (System.nanoTime() > deadline) throw new AssertionError("the backup did not start");
      Thread.sleep(5);
    }
    a.requestStop();
    assertTrue(a.stop(Duration.ofMinutes(2)), "the job ended within the grace");
    try (Repository r = f.open()) {
      assertEquals(1, r.snapshots(null).size());
      List<Records.Stored<RunRecord>> runs = Records.runs(r, new ArrayList<>());
      assertEquals(1, runs.size());
      assertTrue(runs.get(0).record().succeeded());
      assertEquals(r.snapshots(null).get(0).id().hex(), runs.get(0).record().snapshot());
    }
  }
}
