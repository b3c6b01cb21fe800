package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.roadie.redis.RedisServer;
import dev.roadie.redis.RespConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's prometheus package, which scripts/test installs) scrapes a real
 * {@code roadie agent} and evaluates deploy/prometheus/roadie-rules.yaml: when a target's
 * redis-server is stopped, the agent's next run of it fails and BackupJobFailed fires for that
 * target, and for no other.
 */
@Tag("slow")
class AgentPrometheusTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;
  private final List<Process> servers = new ArrayList<>();
  private final List<RedisServer> redisServers = new ArrayList<>();
  private RoadieProcess.Running agent;

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.process.toHandle().destroy(); // SIGTERM
      agent.await(Duration.ofSeconds(60));
    }
    for (Process p : servers) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
    for (RedisServer r : redisServers) r.close();
  }

  @Test
  void backupJobFailedFiresWhenATargetsServerStops() throws Exception {
    RedisServer cacheServer = startRedis("cache");
    int cache = cacheServer.port;
    int sessions = startRedis("sessions").port;
    Path repo = tmp.resolve("repo");
    RoadieProcess.of(repo, "pw").run("init").assertOk();
    Path password = Files.writeString(tmp.resolve("password"), "pw\n");
    // Every minute, the scheduler's finest grain; one try, so the failure is recorded at once.
    Path config =
        Files.writeString(
            tmp.resolve("roadie.yaml"),
            "repository: "
                + repo
                + "\npasswordFile: "
                + password
                + "\nlisten: 127.0.0.1:0\nretries: {attempts: 1}\ntargets:\n"
                + "  - {name: cache, kind: redis, url: \"redis://127.0.0.1:"
                + cache
                + "\", schedule: \"* * * * *\"}\n"
                + "  - {name: sessions, kind: redis, url: \"redis://127.0.0.1:"
                + sessions
                + "\", schedule: \"* * * * *\"}\n");
    // Both targets worked: each has a snapshot, taken (as its --time says) a minute ago, while
    // the agent was down. The agent catches up at start on the run each missed since (missedRuns:
    // once), so the test waits for no minute to come round; the scheduled run is the same job.
    // A minute ago is before the start of this minute, when both were last due.
    String aMinuteAgo =
        OffsetDateTime.now(ZoneOffset.UTC)
            .minusSeconds(61)
            .truncatedTo(ChronoUnit.SECONDS)
            .toString();
    List<RoadieProcess.Running> backups = new ArrayList<>();
    for (String target : List.of("cache", "sessions")) {
      int port = target.equals("cache") ? cache : sessions;
      backups.add(
          RoadieProcess.of(repo, "pw")
              .start(
                  "backup",
                  "redis",
                  "--url",
                  "redis://127.0.0.1:" + port,
                  "--target",
                  target,
                  "--time",
                  aMinuteAgo));
    }
    for (RoadieProcess.Running b : backups) b.await(Duration.ofSeconds(60)).assertOk();
    cacheServer.close();
    assertThrows(RuntimeException.class, cacheServer::connect, "redis-server of cache stopped");

    agent = RoadieProcess.bare().start("agent", "--config", config.toString());
    int agentPort = AgentCliTest.awaitPort(agent);
    int prometheus = startPrometheus(agentPort);

    // The missed runs start with the agent; bounded by a margin for the run, a scrape and an
    // evaluation (or, should a minute come round meanwhile, the scheduled run).
    Instant deadline = Instant.now().plusSeconds(30);
    JsonNode firing = null;
    while (firing == null) {
      for (JsonNode a : get(prometheus, "/api/v1/alerts").at("/data/alerts")) {
        if (a.at("/labels/alertname").asText().equals("BackupJobFailed")
            && a.get("state").asText().equals("firing")) {
          firing = a;
        }
      }
      if (firing != null) break;
      assertTrue(agent.isAlive(), "the agent ended: " + agent.stderrNow());
      assertTrue(
          Instant.now().isBefore(deadline),
          "BackupJobFailed did not fire by "
              + deadline
              + "; alerts: "
              + get(prometheus, "/api/v1/alerts")
              + "\nroadie_backup_last_status: "
              + get(prometheus, "/api/v1/query?query=roadie_backup_last_status")
              + "\nagent: "
              + agent.stderrNow());
      Thread.sleep(500);
    }
    assertEquals("cache", firing.at("/labels/target").asText(), firing.toString());
    assertEquals("redis", firing.at("/labels/kind").asText(), firing.toString());
    assertEquals("critical", firing.at("/labels/severity").asText(), firing.toString());
    assertEquals(
        "docs/runbooks/alert-backup-job-failed.md",
        firing.at("/annotations/runbook_url").asText(),
        firing.toString());
    // The target whose server runs: once Prometheus has seen its run under the agent succeed, its
    // status is 1 and BackupJobFailed fires for it not.
    String sessionsOk =
        "/api/v1/query?query="
            + URLEncoder.encode(
                "roadie_backups_total{target=\"sessions\",result=\"success\"} > 0",
                StandardCharsets.UTF_8);
    while (get(prometheus, sessionsOk).at("/data/result").isEmpty()) {
      assertTrue(
          Instant.now().isBefore(deadline),
          "the run of sessions did not succeed: " + agent.stderrNow());
      Thread.sleep(500);
    }
    Thread.sleep(2000); // an evaluation of the rules after that scrape
    JsonNode status =
        get(
            prometheus,
            "/api/v1/query?query="
                + URLEncoder.encode(
                    "roadie_backup_last_status{target=\"sessions\"}", StandardCharsets.UTF_8));
    assertEquals("1", status.at("/data/result/0/value/1").asText(), status.toString());
    for (JsonNode a : get(prometheus, "/api/v1/alerts").at("/data/alerts")) {
      if (a.at("/labels/alertname").asText().equals("BackupJobFailed")) {
        assertEquals("cache", a.at("/labels/target").asText(), "only cache failed: " + a);
      }
    }
  }

  /**
   * Prometheus scraping the agent and evaluating the shipped rules every second. The rules'
   * expressions are the shipped ones unchanged; their {@code for:} (minutes, to ride out a blip) is
   * set to 0s in the test's copy so the alert fires at the first evaluation that sees the failure.
   */
  private int startPrometheus(int agentPort) throws Exception {
    String shipped = Files.readString(PrometheusRulesTest.RULES);
    String rules = shipped.replaceAll("(?m)^(\\s+)for: \\S+$", "$1for: 0s");
    assertTrue(
        rules.contains("expr: roadie_backup_last_status == 0\n        for: 0s"),
        "BackupJobFailed's expression is the shipped one:\n" + rules);
    Path rulesFile = Files.writeString(tmp.resolve("rules.yaml"), rules);
    Path config =
        Files.writeString(
            tmp.resolve("prometheus.yml"),
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                + "rule_files: ["
                + rulesFile
                + "]\n"
                + "scrape_configs:\n"
                + "  - job_name: roadie\n"
                + "    static_configs: [{targets: [\"127.0.0.1:"
                + agentPort
                + "\"]}]\n");
    int port = freePort();
    Path dir = Files.createDirectories(tmp.resolve("prometheus"));
    assertTrue(
        Files.isExecutable(Path.of("/usr/bin/prometheus")),
        "prometheus is missing: install Debian's prometheus package (scripts/test does): "
            + "apt-get install -y prometheus");
    Process p =
        new ProcessBuilder(
                "/usr/bin/prometheus",
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log").toFile())
            .start();
    servers.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return port;
      } catch (java.io.IOException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "prometheus did not start: " + Files.readString(dir.resolve("log")));
      }
      Thread.sleep(100);
    }
  }

  /** A redis-server holding one key (named as the server), stopped with the test. */
  private RedisServer startRedis(String name) throws Exception {
    RedisServer r = RedisServer.start(tmp.resolve(name));
    redisServers.add(r);
    try (RespConnection c = r.connect()) {
      c.call("SET", name, "value of " + name);
    }
    return r;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static JsonNode get(int port, String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return JSON.readTree(r.body());
  }
}
