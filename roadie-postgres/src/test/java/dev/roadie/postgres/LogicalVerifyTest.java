package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.Sources;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scratch verification of logical snapshots: each check passes on a good backup and fails on
 * the damage it exists for (a foreign key violated by rows loaded under NOT VALID, a table that
 * lost rows, a probe whose result changed, a pack missing from the repository), and the scratch
 * server and its directory are gone afterwards.
 */
class LogicalVerifyTest {
  static PgCluster pg;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    // The scratch servers run as the postgres user when the tests run as root: it must reach the
    // scratch dirs.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    pg = PgCluster.start();
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql(
        "shop",
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);"
            + "CREATE TABLE orders (id bigint PRIMARY KEY, customer int REFERENCES customers, total numeric CHECK (total >= 0),"
            + " at timestamptz DEFAULT '2026-01-01 12:00:00+00');"
            + "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;"
            + "INSERT INTO orders SELECT g, 1 + g % 500, g * 1.5 FROM generate_series(1, 20000) g;"
            + "CREATE INDEX orders_customer ON orders (customer)");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (pg != null) pg.close();
  }

  static Repository newRepo(String name) throws Exception {
    return Repository.init(new LocalBackend(tmp.resolve(name)), "pw".toCharArray(), 1 << 20);
  }

  static SnapshotRef backup(Repository repo, String db, List<Probes.Probe> probes)
      throws Exception {
    Id id =
        new PostgresBackup(repo, new Progress())
            .run(
                new PostgresBackup.Options(
                    pg.conn(db),
                    null,
                    2,
                    List.of(),
                    List.of(),
                    false,
                    false,
                    "native",
                    null,
                    List.of(),
                    null,
                    probes));
    return repo.readSnapshot(id);
  }

  static final List<Probes.Probe> PROBES =
      List.of(
          new Probes.Probe("revenue", "SELECT sum(total), count(*) FROM orders"),
          new Probes.Probe("customers", "SELECT name FROM customers WHERE id <= 3"));

  static Check check(ScratchVerifyResult r, String name) {
    return r.checks().stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + r.checks()));
  }

  static List<Path> leftovers(Path base) throws Exception {
    if (!Files.exists(base)) return List.of();
    try (Stream<Path> s = Files.list(base)) {
      return s.toList();
    }
  }

  @Test
  void goodBackupPassesEveryCheckInAThrowawayClusterThatIsGoneAfterwards() throws Exception {
    try (Repository repo = newRepo("good")) {
      SnapshotRef ref = backup(repo, "shop", PROBES);
      Map<String, Object> recorded = ref.snapshot().source();
      assertTrue(
          recorded.get("probes") instanceof Map<?, ?> p && p.size() == 2,
          "probes stored: " + recorded);
      Path base = tmp.resolve("scratch-good");
      ScratchVerifyResult r;
      int port;
      try (Scratch scratch = Scratch.open(base)) {
        r = Sources.verifyInScratch(new ScratchVerifyRequest(repo, ref, scratch, null, null));
        port = Integer.parseInt(r.restoredTo().replaceAll(".*:", ""));
        assertTrue(open(port), "the scratch server answers while the scratch is open");
      }
      assertTrue(r.passed(), "every check passes: " + r.checks());
      assertEquals(
          List.of("restore", "row-counts", "probes", "constraints", "amcheck"),
          r.checks().stream().map(Check::name).toList());
      assertEquals(20500L, ((Number) check(r, "row-counts").figures().get("rows")).longValue());
      assertEquals(1, ((Number) check(r, "constraints").figures().get("foreignKeys")).intValue());
      assertEquals(
          1, ((Number) check(r, "constraints").figures().get("checkConstraints")).intValue());
      assertEquals(
          Check.PASS,
          check(r, "amcheck").status(),
          "pg_amcheck is installed here: " + check(r, "amcheck"));
      assertEquals(ref.snapshot().source().get("snapshotTime"), r.recoveredTo());
      assertFalse(open(port), "the scratch server is stopped");
      assertEquals(List.of(), leftovers(base), "the scratch directory is removed");
    }
  }

  /**
   * A foreign key added NOT VALID over rows that violate it: the backup carries both, the restore
   * complains of neither.
   */
  @Test
  void foreignKeyViolatedByRowsLoadedUnderNotValidFails() throws Exception {
    pg.sql("postgres", "CREATE DATABASE legacy");
    pg.sql(
        "legacy",
        "CREATE TABLE festivals (id int PRIMARY KEY); INSERT INTO festivals VALUES (1), (2);"
            + "CREATE TABLE tickets (id int PRIMARY KEY, festival int, price int);"
            + "INSERT INTO tickets VALUES (1, 1, 10), (2, 2, 20), (3, 7, 30), (4, 9, -5), (5, NULL, 1);"
            + "ALTER TABLE tickets ADD CONSTRAINT tickets_festival_fkey FOREIGN KEY (festival) REFERENCES festivals NOT VALID;"
            + "ALTER TABLE tickets ADD CONSTRAINT tickets_price_check CHECK (price >= 0) NOT VALID");
    try (Repository repo = newRepo("legacy")) {
      SnapshotRef ref = backup(repo, "legacy", List.of());
      ScratchVerifyResult r;
      try (Scratch scratch = Scratch.open(tmp.resolve("scratch-legacy"))) {
        r = Sources.verifyInScratch(new ScratchVerifyRequest(repo, ref, scratch, null, null));
      }
      assertEquals(
          Check.PASS, check(r, "restore").status(), "the restore itself succeeds: " + r.checks());
      assertEquals(Check.PASS, check(r, "row-counts").status());
      Check c = check(r, "constraints");
      assertEquals(Check.FAIL, c.status(), c.toString());
      assertEquals(3L, ((Number) c.figures().get("violatingRows")).longValue(), c.toString());
      assertTrue(
          c.details().stream()
              .anyMatch(d -> d.contains("tickets_festival_fkey") && d.contains("2 rows")),
          c.details().toString());
      assertTrue(
          c.details().stream()
              .anyMatch(d -> d.contains("tickets_price_check") && d.contains("1 row ")),
          c.details().toString());
      assertFalse(r.passed());
    }
  }

  /**
   * Damage done to the copy after the restore (rows gone, a probe's data changed) is found by
   * reading the copy.
   */
  @Test
  void rowCountAndProbeFailWhenTheCopyDiffersFromTheBackup() throws Exception {
    try (Repository repo = newRepo("tamper");
        Scratch scratch = Scratch.open(tmp.resolve("scratch-tamper"))) {
      SnapshotRef ref = backup(repo, "shop", PROBES);
      LogicalVerify v = new LogicalVerify(repo, new Progress());
      LogicalVerify.Options o = new LogicalVerify.Options(null, null, 2);
      LogicalVerify.Copy copy = v.prepare(ref, scratch, o);
      assertEquals(Check.PASS, v.restore(ref, copy, o).status());
      try (Connection c = copy.conn().connect();
          Statement st = c.createStatement()) {
        st.execute("DELETE FROM orders WHERE id > 19990");
      }
      List<Check> checks = v.check(ref, copy, o);
      Check counts =
          checks.stream().filter(x -> x.name().equals("row-counts")).findFirst().orElseThrow();
      assertEquals(Check.FAIL, counts.status());
      assertEquals(
          List.of("public.orders: 19990 rows in the copy, the snapshot has 20000"),
          counts.details());
      Check probes =
          checks.stream().filter(x -> x.name().equals("probes")).findFirst().orElseThrow();
      assertEquals(Check.FAIL, probes.status(), probes.toString());
      assertTrue(
          probes
              .details()
              .get(0)
              .startsWith("probe revenue: 1 row in the copy, 1 at backup time; the results differ"),
          probes.details().toString());
      assertEquals(
          1, probes.details().size(), "the customers probe still matches: " + probes.details());
    }
  }

  @Test
  void missingPackFailsTheRestoreAsDamage() throws Exception {
    try (Repository repo = newRepo("damaged")) {
      SnapshotRef ref = backup(repo, "shop", List.of());
      List<ObjectInfo> packs = repo.backend().list(ObjectKind.PACK);
      for (ObjectInfo p : packs) repo.backend().delete(p.name());
      try (Repository reopened =
              Repository.open(new LocalBackend(tmp.resolve("damaged")), "pw".toCharArray());
          Scratch scratch = Scratch.open(tmp.resolve("scratch-damaged"))) {
        ScratchVerifyResult r =
            Sources.verifyInScratch(new ScratchVerifyRequest(reopened, ref, scratch, null, null));
        assertEquals(1, r.checks().size(), r.checks().toString());
        assertEquals(Check.DAMAGED, r.checks().get(0).status(), r.checks().toString());
        assertTrue(
            r.checks().get(0).summary().startsWith("the restore failed: "), r.checks().toString());
        assertEquals(null, r.recoveredTo());
      }
      assertEquals(List.of(), leftovers(tmp.resolve("scratch-damaged")));
    }
  }

  @Test
  void scratchServerGetsAScratchDatabaseThatIsDroppedAndNeverTheSnapshotsOwn() throws Exception {
    try (Repository repo = newRepo("server")) {
      SnapshotRef ref = backup(repo, "shop", PROBES);
      String url =
          "postgresql://postgres:" + PgCluster.PASSWORD + "@127.0.0.1:" + pg.port + "/postgres";
      ScratchVerifyResult r;
      try (Scratch scratch = Scratch.open(tmp.resolve("scratch-server"))) {
        r =
            Sources.verifyInScratch(
                new ScratchVerifyRequest(
                    repo, ref, scratch, new PostgresSource.VerifyOptions(url, null, 2), null));
        assertEquals(
            1, databases("roadie_verify_%"), "the scratch database exists during the verification");
      }
      assertTrue(r.passed(), r.checks().toString());
      assertTrue(r.restoredTo().startsWith("scratch database roadie_verify_"), r.restoredTo());
      assertEquals(0, databases("roadie_verify_%"), "the scratch database is dropped");

      String own =
          "postgresql://postgres:" + PgCluster.PASSWORD + "@127.0.0.1:" + pg.port + "/shop";
      try (Scratch scratch = Scratch.open(tmp.resolve("scratch-own"))) {
        RoadieException e =
            assertThrows(
                RoadieException.class,
                () ->
                    Sources.verifyInScratch(
                        new ScratchVerifyRequest(
                            repo,
                            ref,
                            scratch,
                            new PostgresSource.VerifyOptions(own, null, 2),
                            null)));
        assertTrue(e.getMessage().contains("is the database snapshot"), e.getMessage());
        assertFalse(e.getMessage().contains(PgCluster.PASSWORD));
      }
      try (Connection c = pg.jdbc("shop");
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
        rs.next();
        assertEquals(20000, rs.getLong(1), "the snapshot's own database is untouched");
      }
    }
  }

  static int databases(String like) throws Exception {
    try (Connection c = pg.jdbc("postgres");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM pg_database WHERE datname LIKE '" + like + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static boolean open(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
