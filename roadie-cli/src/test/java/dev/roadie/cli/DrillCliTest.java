package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Physical verification and the three drills at small scale, as a user runs them: a cluster this
 * test starts archives its WAL into the repository ({@code roadie wal-push}), with a physical and a
 * logical backup; {@code verify} recovers the physical one in a scratch server; {@code drill
 * database-corruption} recovers to a point in time, {@code region-outage} from a second repository
 * made by {@code copy}, {@code complete-loss} from the location and password alone; and a drill
 * over an archive with a gap reports the data lost, not zero.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillCliTest {
  static final String PW = "drill-s3cret";
  static PhysicalFixture f;
  static PgServer primary;
  static Path repo;
  static Path scratch;
  static RoadieProcess roadie;
  static String pointBetween;

  @BeforeAll
  static void setUp() throws Exception {
    f = PhysicalFixture.start("drill", PW);
    primary = f.primary;
    repo = f.repo;
    scratch = f.scratch;
    roadie = f.roadie;
    primary.sql("CREATE DATABASE app");
    primary.sql("CREATE TABLE events (batch text, at timestamptz DEFAULT now())");
    try (Connection c = primary.connect("app");
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g "
              + "FROM generate_series(1, 1000) g");
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (f != null) f.close();
  }

  static JsonNode target(JsonNode drill, String kind) {
    for (JsonNode t : drill.get("targets")) {
      if (t.get("kind").asText().equals(kind)) return t;
    }
    throw new AssertionError("no " + kind + " target in " + drill);
  }

  static JsonNode check(JsonNode checks, String name) {
    for (JsonNode c : checks) {
      if (c.get("name").asText().equals(name)) return c;
    }
    throw new AssertionError("no check " + name + " in " + checks);
  }

  @Test
  @Order(1)
  void physicalVerifyAndADatabaseCorruptionDrillToAPointInTime() throws Exception {
    roadie
        .run(
            "backup",
            "postgres",
            "--url",
            "postgresql://postgres:" + PgServer.DB_PW + "@127.0.0.1:" + primary.port + "/app")
        .assertOk();
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--read", "local")
        .assertOk();
    primary.sql("INSERT INTO events (batch) VALUES ('before')");
    Thread.sleep(1500);
    pointBetween = Instant.now().toString();
    Thread.sleep(1500);
    primary.sql("INSERT INTO events (batch) VALUES ('after')");
    primary.archiveCurrentWal();

    RoadieProcess.Result v =
        roadie
            .run(
                "verify",
                "--kind",
                "postgres-physical",
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertOk();
    JsonNode verified = TestData.json(v.stdout()).get(0);
    JsonNode recovery = check(verified.get("checks"), "recovery");
    assertEquals("pass", recovery.get("status").asText(), verified.toString());
    assertEquals(
        "pass",
        check(verified.get("checks"), "amcheck").get("status").asText(),
        verified.toString());
    assertTrue(recovery.get("figures").has("lastTransaction"), recovery.toString());
    assertEquals(List.of(), leftovers());

    RoadieProcess.Result r =
        roadie
            .run(
                "drill",
                "database-corruption",
                "--at",
                pointBetween,
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertOk();
    JsonNode drill = TestData.json(r.stdout());
    assertTrue(drill.get("pass").asBoolean(), drill.toString());
    assertEquals(2, drill.get("targets").size(), "the two PostgreSQL targets: " + drill);
    JsonNode physical = target(drill, "postgres-physical");
    assertEquals(Instant.parse(pointBetween), Instant.parse(physical.get("recoveredTo").asText()));
    assertEquals(
        0.0, physical.get("rpoSeconds").asDouble(), "recovered to the requested point itself");
    assertTrue(
        physical.get("rtoSeconds").asDouble() > 0 && physical.get("rtoSeconds").asDouble() < 1800);
    JsonNode logical = target(drill, "postgres");
    assertTrue(
        logical.get("rpoSeconds").asDouble() > 1.5,
        "a logical target loses what followed its snapshot: " + logical);
    assertEquals(3600, logical.get("objective").get("rpoSeconds").asLong());
    assertEquals(1800, logical.get("objective").get("rtoSeconds").asLong());
    assertEquals(List.of(), leftovers());
  }

  @Test
  @Order(2)
  void regionOutageDrillRecoversFromTheSecondRepositoryAlone() throws Exception {
    Path second = f.dir.resolve("second-region");
    roadie.run("init", "--repo", second.toString()).assertOk();
    roadie
        .copy()
        .env("ROADIE_FROM_REPOSITORY", repo.toString())
        .env("ROADIE_FROM_PASSWORD_FILE", f.passwordFile.toString())
        .run("copy", "--repo", second.toString())
        .assertOk();
    RoadieProcess.Result r =
        roadie
            .run(
                "drill",
                "region-outage",
                "--from",
                second.toString(),
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertOk();
    JsonNode drill = TestData.json(r.stdout());
    assertTrue(drill.get("pass").asBoolean(), drill.toString());
    assertEquals(second.toString(), drill.get("repository").asText());
    assertEquals(2, drill.get("targets").size());
    assertTrue(
        drill.get("rpoSeconds").asDouble() >= 0 && drill.get("rtoSeconds").asDouble() > 0,
        drill.toString());
    RoadieProcess.Result none = roadie.run("drill", "region-outage").assertExit(2);
    assertTrue(none.stderr().contains("--from LOCATION"), none.describe());
  }

  @Test
  @Order(3)
  void completeLossDrillFromLocationAndPasswordAlone() throws Exception {
    RoadieProcess.Result r =
        roadie.run("drill", "complete-loss", "--scratch-dir", scratch.toString()).assertOk();
    assertTrue(
        r.stdout().contains("complete-loss drill from " + repo)
            && r.stdout().contains("every target met its " + "objectives"),
        r.describe());
    assertTrue(r.stdout().contains("RPO 1d, RTO 4h"), "the guide's objectives: " + r.stdout());
  }

  /**
   * WAL missing in the middle of the archive: recovery stops there, and the drill says how much is
   * lost.
   */
  @Test
  @Order(4)
  void aGapInTheWalIsReportedAsDataLostNotAsZero() throws Exception {
    primary.sql("INSERT INTO events (batch) VALUES ('last before the gap')");
    primary.archiveCurrentWal();
    Thread.sleep(2500);
    primary.sql("INSERT INTO events (batch) VALUES ('in the lost segment')");
    String lost = primary.archiveCurrentWal();
    primary.sql("INSERT INTO events (batch) VALUES ('after the gap')");
    primary.archiveCurrentWal();
    try (Stream<Path> s = Files.walk(repo.resolve("wal"))) {
      Path segment =
          s.filter(p -> p.getFileName().toString().equals(lost)).findFirst().orElseThrow();
      Files.delete(segment);
    }
    Path config = f.dir.resolve("drill.yaml");
    Files.writeString(
        config,
        "# the drill's part of roadie's config\nobjectives:\n  database-corruption: {rpo: 1s}\n"
            + "targets:\n  - name: postgres://127.0.0.1:"
            + primary.port
            + "\n");
    RoadieProcess.Result r =
        roadie
            .run(
                "drill",
                "database-corruption",
                "--at",
                Instant.now().toString(),
                "--config",
                config.toString(),
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertExit(1);
    JsonNode drill = TestData.json(r.stdout());
    assertEquals(1, drill.get("targets").size(), drill.toString());
    JsonNode physical = target(drill, "postgres-physical");
    assertTrue(physical.get("verified").asBoolean(), "the copy itself is sound: " + physical);
    assertTrue(
        physical.get("rpoSeconds").asDouble() >= 2.5,
        "the transactions after the gap are lost: " + physical);
    assertEquals(1, physical.get("objective").get("rpoSeconds").asLong());
    String notes = physical.get("notes").toString();
    assertTrue(notes.contains("recovery point objective missed"), notes);
    String recovery = check(physical.get("checks"), "recovery").toString();
    assertTrue(recovery.contains("missing") && recovery.contains(lost), recovery);
  }

  /**
   * An index that no longer matches its table, backed up as it is: verify's pg_amcheck finds it in
   * the recovered copy, and the failure names the index. (Last: it leaves the corruption behind.)
   */
  @Test
  @Order(5)
  void aCorruptIndexInThePhysicalBackupFailsVerifyAndIsNamed() throws Exception {
    try (Connection c = primary.connect("app");
        Statement st = c.createStatement()) {
      // An IMMUTABLE function redefined after an index on it was built: the index's entries were
      // computed by the old definition, so the heap's rows have no matching index entries any more
      // (what a changed collation does to a real index).
      st.execute(
          "CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2'");
      st.execute("CREATE INDEX items_twice_idx ON items (twice(id))");
      st.execute(
          "CREATE OR REPLACE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 3'");
    }
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--read", "local")
        .assertOk();
    primary.archiveCurrentWal();

    RoadieProcess.Result v =
        roadie
            .run(
                "verify",
                "--kind",
                "postgres-physical",
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertExit(1);
    JsonNode verified = TestData.json(v.stdout()).get(0);
    assertEquals(
        "pass",
        check(verified.get("checks"), "recovery").get("status").asText(),
        verified.toString());
    JsonNode amcheck = check(verified.get("checks"), "amcheck");
    assertEquals("fail", amcheck.get("status").asText(), amcheck.toString());
    assertTrue(amcheck.toString().contains("items_twice_idx"), amcheck.toString());
    assertEquals(List.of(), leftovers());

    RoadieProcess.Result text =
        roadie
            .run("verify", "--kind", "postgres-physical", "--scratch-dir", scratch.toString())
            .assertExit(1);
    assertTrue(
        text.stdout().contains("items_twice_idx") || text.stderr().contains("items_twice_idx"),
        text.describe());
  }

  static List<Path> leftovers() throws Exception {
    try (Stream<Path> s = Files.list(scratch)) {
      return s.toList();
    }
  }
}
