package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.agent.Agent;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roadie_rpo_seconds} and the status API count archived WAL: a PostgreSQL cluster whose WAL
 * the agent streams into the repository can be recovered up to the newest WAL stored, so once WAL
 * is written and switched after a base backup, the RPO is less than the base backup's age.
 */
@Tag("slow")
class AgentRpoTest {
  @TempDir Path tmp;

  @Test
  void archivedWalAfterTheBaseBackupIsTheNewestRecoverablePoint() throws Exception {
    Assumptions.assumeTrue(PgCluster.findBin() != null, "PostgreSQL is not installed");
    try (PgCluster pg = PgCluster.start()) {
      Path repoDir = tmp.resolve("repo");
      Repository.init(new LocalBackend(repoDir), "pw".toCharArray(), 1 << 20).close();
      Path pw = Files.writeString(tmp.resolve("password"), "pw\n");
      Path dbpw = Files.writeString(tmp.resolve("db-password"), PgCluster.PASSWORD + "\n");
      String url = "postgresql://postgres@127.0.0.1:" + pg.port + "/postgres";
      // The base backup every minute, the WAL streamed all the time (before the first backup, so
      // the archive holds the backup's own WAL).
      AgentConfig config =
          ConfigLoader.load(
              Files.writeString(
                  tmp.resolve("roadie.yaml"),
                  "repository: "
                      + repoDir
                      + "\npasswordFile: "
                      + pw
                      + "\nlisten: 127.0.0.1:0\nretries: {attempts: 1}\ntargets:\n"
                      + "  - {name: db, kind: postgres-physical, url: \""
                      + url
                      + "\", passwordFile: "
                      + dbpw
                      + ", schedule: \"* * * * *\"}\n"
                      + "  - {name: db-wal, kind: postgres-physical, url: \""
                      + url
                      + "\", passwordFile: "
                      + dbpw
                      + ", schedule: continuous}\n"),
              Map.of());
      // Start early in a minute, so that the WAL stream runs before the first scheduled backup.
      while (Instant.now().getEpochSecond() % 60 > 35) Thread.sleep(500);
      List<String> log = new CopyOnWriteArrayList<>();
      Agent agent =
          new Agent(
              config,
              new Agent.Options(
                  "test",
                  false,
                  Duration.ofSeconds(1),
                  Clock.systemUTC(),
                  d -> Thread.sleep(d.toMillis()),
                  log::add));
      agent.start(null);
      Thread schedules =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      agent.runUntilStopped();
                    } catch (InterruptedException e) {
                      // stopped
                    }
                  });
      try {
        WalStreamCliTest.await(
            () -> {
              try (var c = pg.jdbc("postgres");
                  var st = c.createStatement();
                  var rs =
                      st.executeQuery(
                          "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) {
                return rs.next() && rs.getInt(1) == 1;
              }
            },
            "the agent streams WAL");
        Instant base = awaitBaseBackup(agent.port(), log);
        // Transactions a few seconds after the base backup, their WAL switched out and stored.
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), base.plusSeconds(6)).toMillis()));
        pg.sql("postgres", "CREATE TABLE encore AS SELECT g FROM generate_series(1, 1000) g");
        pg.sql("postgres", "SELECT pg_switch_wal()");

        long deadline = System.nanoTime() + Duration.ofSeconds(50).toNanos();
        String seen = "";
        while (System.nanoTime() < deadline) {
          JsonNode db = target(get(agent.port(), "/api/v1/status"), "db");
          String metrics = get(agent.port(), "/metrics");
          Instant newest = Instant.parse(db.get("newestSnapshot").asText());
          double age = Duration.between(newest, Instant.now()).toMillis() / 1000.0;
          Double rpo = db.path("rpoSeconds").isNumber() ? db.get("rpoSeconds").asDouble() : null;
          Double metric = rpo(metrics);
          seen = "status " + db + ", metric " + metric + ", base backup age " + age;
          if (rpo != null && metric != null && rpo < age - 4 && metric < age - 4) {
            Instant point = Instant.parse(db.get("recoverablePoint").asText());
            assertTrue(point.isAfter(newest.plusSeconds(4)), seen);
            return;
          }
          Thread.sleep(500);
        }
        throw new AssertionError("the RPO never dropped below the base backup's age: " + seen);
      } finally {
        agent.requestStop();
        agent.stop(Duration.ofMinutes(1));
        schedules.join(60_000);
      }
    }
  }

  /** Waits for the scheduled base backup; returns its snapshot's time. */
  private static Instant awaitBaseBackup(int port, List<String> log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode db = target(get(port, "/api/v1/status"), "db");
      if (db.path("newestSnapshot").isTextual()) {
        assertTrue("success".equals(db.path("lastResult").asText()), db + "; log: " + log);
        return Instant.parse(db.get("newestSnapshot").asText());
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no base backup; log: " + log);
  }

  private static JsonNode target(String status, String name) {
    for (JsonNode t : TestData.json(status).get("targets")) {
      if (t.get("name").asText().equals(name)) return t;
    }
    throw new AssertionError("no target " + name + " in " + status);
  }

  private static Double rpo(String metrics) {
    Matcher m =
        Pattern.compile(
                "roadie_rpo_seconds\\{kind=\"postgres-physical\",target=\"db\"} ([0-9.eE+-]+)")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : null;
  }

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertNotNull(r.body());
    return r.body();
  }
}
