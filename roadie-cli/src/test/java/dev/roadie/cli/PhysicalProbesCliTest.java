package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Probe queries of physical backups ({@code backup postgres --physical --probe}), against a cluster
 * with wal_level = logical that archives into the repository: the probes are taken at the end of
 * the backup while rows are being inserted, verify recovers the copy to that exact point and
 * compares, then goes on to the newest point; a recorded result that does not match fails verify
 * with the probe named; a server or backup that cannot give an exact point is refused.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PhysicalProbesCliTest {
  static final String PW = "probe-s3cret";
  static PhysicalFixture f;
  static PgServer primary;
  static RoadieProcess roadie;

  @BeforeAll
  static void setUp() throws Exception {
    f = PhysicalFixture.start("probes", PW, o -> o.walLevel = "logical");
    primary = f.primary;
    roadie = f.roadie;
    primary.sql(
        "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g "
            + "FROM generate_series(1, 1000) g; CREATE TABLE ticks (n bigint)");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (f != null) f.close();
  }

  static JsonNode check(JsonNode record, String name) {
    for (JsonNode c : record.get("checks")) if (c.get("name").asText().equals(name)) return c;
    throw new AssertionError("no check " + name + " in " + record);
  }

  /**
   * Rows inserted one transaction at a time all through the backup: a probe taken at any point but
   * the one verify recovers to would count differently.
   */
  @Test
  @Order(1)
  void probesTakenAtTheBackupsEndComeBackEqualAndAChangedRecordFailsNamed() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (Connection c = primary.connect();
                      Statement st = c.createStatement()) {
                    for (long n = 1; !stop.get(); n++)
                      st.execute("INSERT INTO ticks VALUES (" + n + ")");
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    RoadieProcess.Result backup;
    try {
      backup =
          roadie.run(
              "backup",
              "postgres",
              "--physical",
              "--url",
              primary.url(),
              "--probe",
              "ticks=SELECT count(*), sum(n) FROM ticks",
              "--probe",
              "names=SELECT id, name FROM items WHERE id <= 3");
    } finally {
      stop.set(true);
      writer.join();
    }
    backup.assertOk();
    // More rows after the probes: the newest point differs from the probes' point.
    primary.sql("INSERT INTO ticks SELECT g FROM generate_series(1, 100) g");
    primary.archiveCurrentWal();

    JsonNode ok =
        TestData.json(
                roadie
                    .run("verify", "latest", "--scratch-dir", f.scratch.toString(), "--json")
                    .assertOk()
                    .stdout())
            .get(0);
    assertEquals("pass", check(ok, "probes").get("status").asText(), ok.toString());
    assertEquals(2, check(ok, "probes").get("figures").get("probes").asInt());
    assertEquals("pass", check(ok, "recovery").get("status").asText());
    assertEquals("pass", check(ok, "identity").get("status").asText());

    // The record of one probe no longer matches what the backup held.
    try (Repository r = Repository.open(new LocalBackend(f.repo), PW.toCharArray())) {
      SnapshotRef ref = r.snapshots(null).get(0);
      Snapshot s = ref.snapshot();
      Map<String, Object> source = new LinkedHashMap<>(s.source());
      @SuppressWarnings("unchecked")
      Map<String, Object> probes = new LinkedHashMap<>((Map<String, Object>) source.get("probes"));
      @SuppressWarnings("unchecked")
      Map<String, Object> names = new LinkedHashMap<>((Map<String, Object>) probes.get("names"));
      names.put("sha256", "0".repeat(64));
      names.put("text", ((String) names.get("text")).replace("item 2", "item 22"));
      probes.put("names", names);
      source.put("probes", probes);
      try (BackupWriter w = new BackupWriter(r, new Progress())) {
        w.commit(
            new Snapshot(
                s.version(),
                s.time(),
                s.target(),
                s.kind(),
                s.host(),
                s.user(),
                s.tags(),
                s.paths(),
                s.tree(),
                s.parent(),
                s.stats(),
                source,
                s.copy(),
                s.audit()));
      }
      r.forgetSnapshot(ref.id());
    }
    if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", f.repo.toString()));
    RoadieProcess.Result bad =
        roadie
            .run("verify", "latest", "--scratch-dir", f.scratch.toString(), "--json")
            .assertExit(1);
    JsonNode failed = check(TestData.json(bad.stdout()).get(0), "probes");
    assertEquals("fail", failed.get("status").asText(), failed.toString());
    assertEquals(1, failed.get("details").size(), failed.toString());
    String detail = failed.get("details").get(0).asText();
    assertTrue(detail.startsWith("probe names returns 3 rows that differ"), detail);
    assertTrue(detail.contains("item 22") && detail.contains("item 2'"), detail);
  }

  @Test
  @Order(2)
  void probesThatCannotBeTakenAtAnExactPointAreRefused() throws Exception {
    RoadieProcess.Result fetch =
        roadie
            .run(
                "backup",
                "postgres",
                "--physical",
                "--url",
                primary.url(),
                "--wal-method",
                "fetch",
                "--probe",
                "one=SELECT 1")
            .assertExit(2);
    assertTrue(fetch.stderr().contains("--wal-method none"), fetch.describe());

    primary.sql("CREATE ROLE backup LOGIN REPLICATION PASSWORD 'backup-pw'");
    RoadieProcess.Result noSwitch =
        roadie
            .run(
                "backup",
                "postgres",
                "--physical",
                "--url",
                "postgresql://backup:backup-pw@127.0.0.1:" + primary.port + "/postgres",
                "--probe",
                "one=SELECT 1")
            .assertExit(2);
    assertTrue(
        noSwitch.stderr().contains("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO backup"),
        noSwitch.describe());

    primary.sql("ALTER SYSTEM SET wal_level = replica");
    primary.restart();
    RoadieProcess.Result replica =
        roadie
            .run(
                "backup",
                "postgres",
                "--physical",
                "--url",
                primary.url(),
                "--probe",
                "one=SELECT 1")
            .assertExit(2);
    assertTrue(
        replica.stderr().contains("needs wal_level = logical (it is replica)"), replica.describe());
    try (Connection c = primary.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "no slot left behind");
    }
  }
}
