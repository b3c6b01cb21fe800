package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Physical backups, WAL archiving and point-in-time recovery end to end, as a user runs them: a
 * cluster this test starts archives with {@code archive_command = '... roadie wal-push %p'} (a
 * launcher the postgres user can run, with the real launchers' fast paths: {@link
 * PhysicalFixture#fastPathLauncher}), {@code backup postgres --physical}, {@code restore --pgdata}
 * into new data directories, each started on a free port and queried.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresPhysicalCliTest {
  static final String PW = "phys-s3cret";
  static final String DB_PW = PgServer.DB_PW;
  static PhysicalFixture f;
  static PgServer primary;
  static RoadieProcess roadie;

  /**
   * Set by the PITR test for the timeline test: the cluster restored to the restore point,
   * promoted.
   */
  static PgServer promoted;

  static String firstSnapshot;

  @BeforeAll
  static void setUp() throws Exception {
    f = PhysicalFixture.start("phys", PW, o -> o.launcher = PhysicalFixture::fastPathLauncher);
    primary = f.primary;
    roadie = f.roadie;
    primary.sql("CREATE TABLE pitr (batch text, n int)");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (f != null) f.close();
  }

  static final String ROWS =
      "SELECT batch || '=' || count(*) FROM pitr GROUP BY batch ORDER BY batch";

  /**
   * Restores into DIR/name, starts the copy, waits for the end of recovery and runs {@code query}.
   * Copies do not archive (--archive-mode off), except the one named by-name, which the timeline
   * test promotes and continues on timeline 2.
   */
  static String restoreAndStart(String name, String query, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    if (!name.equals("by-name")) all.addAll(List.of("--archive-mode", "off"));
    PhysicalFixture.Restored r =
        f.restoreAndStart(roadie, name, Map.of(), all.toArray(String[]::new));
    String rows = r.server().query(query);
    if (name.equals("by-name")) {
      promoted = r.server();
    } else {
      r.server().stop();
    }
    return rows + "\n" + r.restore().stdout();
  }

  static String restoredRows(String name, String... args) throws Exception {
    return restoreAndStart(name, ROWS, args).lines().findFirst().orElseThrow();
  }

  @Test
  @Order(1)
  void pointInTimeRecoveryByTimeLsnXidAndName() throws Exception {
    RoadieProcess.Result backup =
        roadie
            .run("backup", "postgres", "--physical", "--url", primary.url(), "--read", "local")
            .assertOk();
    assertTrue(backup.stdout().contains("physical"), backup.describe());
    firstSnapshot = backup.stdout().split(" ")[1];
    assertEquals("local", field("postgres://127.0.0.1:" + primary.port, "method"));

    Map<String, String> targets = new TreeMap<>();
    try (Connection c = primary.connect();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      String xid;
      try (ResultSet rs = st.executeQuery("SELECT txid_current()")) {
        rs.next();
        xid = rs.getString(1);
      }
      st.execute("INSERT INTO pitr SELECT 'A', g FROM generate_series(1, 1000) g");
      c.commit();
      c.setAutoCommit(true);
      targets.put("xid", xid);
      Thread.sleep(1100);
      try (ResultSet rs =
          st.executeQuery(
              "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                  + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), pg_current_wal_insert_lsn()")) {
        rs.next();
        targets.put("time", rs.getString(1));
        targets.put("lsn", rs.getString(2));
      }
      st.execute("SELECT pg_create_restore_point('before_b')");
      Thread.sleep(1100);
      st.execute("INSERT INTO pitr SELECT 'B', g FROM generate_series(1, 1000) g");
    }
    primary.archiveCurrentWal();
    // A second base backup, taken after the target time: 'latest' with that time picks the first
    // one.
    String second =
        roadie
            .run("backup", "postgres", "--physical", "--url", primary.url())
            .assertOk()
            .stdout()
            .split(" ")[1];

    String byTime =
        restoreAndStart(
            "by-time",
            ROWS,
            "latest",
            "--kind",
            "postgres-physical",
            "--target-time",
            targets.get("time"));
    assertEquals("A=1000", byTime.lines().findFirst().orElseThrow(), byTime);
    assertTrue(
        byTime.contains("restoring snapshot " + firstSnapshot)
            && byTime.contains("passed over: snapshot " + second),
        byTime);
    assertEquals(
        "A=1000", restoredRows("by-lsn", firstSnapshot, "--target-lsn", targets.get("lsn")));
    assertEquals(
        "A=1000", restoredRows("by-xid", firstSnapshot, "--target-xid", targets.get("xid")));
    String byName = restoreAndStart("by-name", ROWS, firstSnapshot, "--target-name", "before_b");
    assertEquals("A=1000", byName.lines().findFirst().orElseThrow());
    assertTrue(byName.contains("recovery_target_name = 'before_b'"), byName);
    // Without a target: everything archived.
    assertEquals(
        "A=1000;B=1000", restoredRows("latest", firstSnapshot, "--target-timeline", "current"));
  }

  @Test
  @Order(2)
  void restoreToLatestAcrossATimelineSwitch() throws Exception {
    Assumptions.assumeTrue(promoted != null, "needs the cluster promoted by the PITR test");
    // The promoted copy is on timeline 2 and archives into the same repository (its postgresql.conf
    // came along).
    assertEquals("2", promoted.query("SELECT timeline_id FROM pg_control_checkpoint()"));
    promoted.sql("INSERT INTO pitr SELECT 'C', g FROM generate_series(1, 500) g");
    RoadieProcess.Result backup =
        roadie
            .run(
                "backup", "postgres", "--physical", "--url", promoted.url(), "--target", "promoted")
            .assertOk();
    assertTrue(backup.stdout().contains("timeline 2"), backup.describe());
    promoted.sql("INSERT INTO pitr SELECT 'D', g FROM generate_series(1, 500) g");
    promoted.archiveCurrentWal();
    promoted.stop();

    RoadieProcess.Result list = roadie.run("snapshots", "--json").assertOk();
    assertTrue(list.stdout().contains("\"timelines\" : [ 1, 2 ]"), list.stdout());
    // The first backup (timeline 1) to the latest point: along timeline 1 to the switch, then
    // timeline 2.
    String rows = restoreAndStart("across", ROWS, firstSnapshot);
    assertEquals("A=1000;C=500;D=500", rows.lines().findFirst().orElseThrow(), rows);
    assertTrue(rows.contains("on timeline 2"), rows);
    assertEquals("A=1000;C=500;D=500", restoredRows("second", "latest", "--of", "promoted"));
  }

  @Test
  @Order(3)
  void archiveUnderLoadHasNoGapAndReplaysToTheEnd() throws Exception {
    PgServer.exec(
        List.of(
            f.bin.resolve("pgbench").toString(),
            "-i",
            "-s",
            "3",
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(primary.port),
            "-U",
            "postgres",
            "postgres"),
        Map.of("PGPASSWORD", DB_PW));
    // Through pg_basebackup: the stream read mode stays covered.
    RoadieProcess.Result backup =
        roadie
            .run(
                "backup",
                "postgres",
                "--physical",
                "--url",
                primary.url(),
                "--target",
                "load",
                "--read",
                "stream")
            .assertOk();
    assertEquals("pg_basebackup", field("load", "method"));
    String startSegment =
        roadie
            .run("snapshots", "--json", "--target", "load")
            .assertOk()
            .stdout()
            .replaceAll("(?s).*\"startSegment\" : \"([0-9A-F]{24})\".*", "$1");
    long first = Long.parseLong(startSegment.substring(16), 16);
    // pgbench in rounds of 5 s until it has written more than three segments past the backup's
    // start (how many a round writes depends on the machine's load; short rounds stop soon after).
    for (int round = 0; round < 24; round++) {
      PgServer.exec(
          List.of(
              f.bin.resolve("pgbench").toString(),
              "-c",
              "4",
              "-j",
              "2",
              "-T",
              "5",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(primary.port),
              "-U",
              "postgres",
              "postgres"),
          Map.of("PGPASSWORD", DB_PW));
      String current = primary.query("SELECT pg_walfile_name(pg_current_wal_lsn())");
      if (Long.parseLong(current.strip().substring(16), 16) - first > 3) break;
    }
    String history = primary.query("SELECT count(*) || '/' || sum(delta) FROM pgbench_history");
    primary.archiveCurrentWal();
    String lastSegment = primary.query("SELECT last_archived_wal FROM pg_stat_archiver");
    // No gap: every segment from the backup's start to the last archived one is in the repository.
    String sysid = primary.query("SELECT system_identifier FROM pg_control_system()");
    Path walDir =
        f.repo.resolve("wal").resolve(String.format("%016x", Long.parseUnsignedLong(sysid)));
    long last = Long.parseLong(lastSegment.substring(16), 16);
    assertTrue(last - first > 3, "pgbench wrote only " + (last - first) + " segments");
    for (long s = first; s <= last; s++) {
      String name = String.format("%s%08X", lastSegment.substring(0, 16), s);
      assertTrue(
          Files.exists(walDir.resolve(name)), "segment " + name + " is missing from the archive");
    }
    System.out.println(
        "archive under pgbench load: "
            + (last - first + 1)
            + " segments; "
            + history
            + " history rows/sum");
    String rows =
        restoreAndStart(
            "load",
            "SELECT count(*) || '/' || sum(delta) FROM pgbench_history",
            "latest",
            "--of",
            "load",
            "--target-timeline",
            "current");
    assertEquals(history, rows.lines().findFirst().orElseThrow(), rows);
    assertTrue(backup.stdout().contains("in the archive"), backup.describe());
  }

  @Test
  @Order(4)
  void errors() throws Exception {
    String sysid = primary.query("SELECT system_identifier FROM pg_control_system()");
    Path out = f.dir.resolve("fetched");
    // A segment that is not archived: exit 1, nothing on stderr.
    RoadieProcess.Result missing =
        roadie
            .run(
                "wal-fetch",
                "--system-id",
                sysid,
                "--pgdata",
                primary.data.toString(),
                "0000000100000000000000FE",
                out.toString())
            .assertExit(1);
    assertEquals("", missing.stderr().strip());
    assertFalse(Files.exists(out));
    // Not readable (wrong password): fatal for PostgreSQL.
    RoadieProcess.Result wrong =
        roadie
            .copy()
            .env("ROADIE_PASSWORD_FILE", f.dir.resolve("dbpw").toString())
            .run(
                "wal-fetch",
                "--system-id",
                sysid,
                "--pgdata",
                primary.data.toString(),
                "00000001000000000000000F",
                out.toString())
            .assertExit(126);
    assertTrue(wrong.stderr().contains("wrong password"), wrong.describe());

    // A different segment under an archived name is refused, and the archived one kept.
    String archived = primary.query("SELECT last_archived_wal FROM pg_stat_archiver");
    Path fake = Files.createDirectories(f.dir.resolve("fake/pg_wal")).resolve(archived);
    byte[] real =
        Files.readAllBytes(
            f.repo
                .resolve("wal")
                .resolve(String.format("%016x", Long.parseUnsignedLong(sysid)))
                .resolve(archived));
    Files.write(fake, new byte[16 << 20]);
    RoadieProcess.Result refused =
        roadie.run("wal-push", "--system-id", sysid, "--batch", "0", fake.toString()).assertExit(1);
    assertTrue(
        refused.stderr().contains("already archived with different content"), refused.describe());
    assertTrue(
        java.util.Arrays.equals(
            real,
            Files.readAllBytes(
                f.repo
                    .resolve("wal")
                    .resolve(String.format("%016x", Long.parseUnsignedLong(sysid)))
                    .resolve(archived))));
    // The same content again is fine.
    roadie
        .run(
            "wal-fetch",
            "--system-id",
            sysid,
            "--prefetch",
            "0",
            "--pgdata",
            primary.data.toString(),
            archived,
            fake.toString())
        .assertOk();
    roadie.run("wal-push", "--system-id", sysid, "--batch", "0", fake.toString()).assertOk();
    // A spool that cannot be written costs only the prefetching: the file is still delivered.
    Path unspooled = f.dir.resolve("unspooled");
    RoadieProcess.Result noSpool =
        roadie
            .run(
                "wal-fetch",
                "--system-id",
                sysid,
                "--spool",
                "/proc/roadie-no-spool",
                "--pgdata",
                primary.data.toString(),
                archived,
                unspooled.toString())
            .assertOk();
    assertTrue(noSpool.stderr().contains("no prefetching"), noSpool.describe());
    assertEquals(16 << 20, Files.size(unspooled));

    // Restore into a non-empty directory.
    Path busy = Files.createDirectories(f.dir.resolve("busy"));
    Files.writeString(busy.resolve("precious"), "x");
    RoadieProcess.Result nonEmpty =
        roadie.run("restore", firstSnapshot, "--pgdata", busy.toString()).assertExit(2);
    assertTrue(nonEmpty.stderr().contains("is not empty"), nonEmpty.describe());
    assertTrue(Files.exists(busy.resolve("precious")));

    // Targets outside the recoverable window name it.
    RoadieProcess.Result early =
        roadie
            .run(
                "restore",
                firstSnapshot,
                "--pgdata",
                f.dir.resolve("early").toString(),
                "--target-time",
                "2001-01-01T00:00:00Z")
            .assertExit(2);
    assertTrue(
        early.stderr().contains("before the end of the backup")
            && early.stderr().contains("recoverable from"),
        early.describe());
    RoadieProcess.Result none =
        roadie
            .run(
                "restore",
                "latest",
                "--kind",
                "postgres-physical",
                "--pgdata",
                f.dir.resolve("early").toString(),
                "--target-time",
                "2001-01-01T00:00:00Z")
            .assertExit(2);
    assertTrue(
        none.stderr()
                .contains("no base backup can be recovered to --target-time 2001-01-01T00:00:00Z")
            && none.stderr().contains("snapshot " + firstSnapshot)
            && none.stderr().contains("recoverable from"),
        none.describe());
    assertFalse(Files.exists(f.dir.resolve("early")), "nothing restored");
    RoadieProcess.Result late =
        roadie
            .run(
                "restore",
                firstSnapshot,
                "--pgdata",
                f.dir.resolve("late").toString(),
                "--target-lsn",
                "FF/0")
            .assertExit(2);
    assertTrue(late.stderr().contains("after the newest archived WAL"), late.describe());
    assertFalse(Files.exists(f.dir.resolve("late").resolve("global")), "nothing restored");

    // Delta: a restored directory with one changed file and one extra file comes back exactly.
    Path delta = f.dir.resolve("latest");
    Path some = delta.resolve("PG_VERSION");
    Files.writeString(some, "99\n");
    Files.writeString(delta.resolve("stray"), "x");
    Files.deleteIfExists(delta.resolve("postmaster.pid"));
    RoadieProcess.Result d =
        roadie.run("restore", firstSnapshot, "--pgdata", delta.toString(), "--delta").assertOk();
    assertTrue(d.stdout().contains("unchanged"), d.describe());
    assertEquals(
        primary.query("SHOW server_version_num").substring(0, 2) + "\n", Files.readString(some));
    assertFalse(Files.exists(delta.resolve("stray")));

    // A damaged data pack fails the restore (exit 3, naming the blob), and what was written by then
    // is a directory PostgreSQL refuses to start: no pg_control, no recovery.signal.
    Path damaged = f.dir.resolve("damaged-repo");
    try (Stream<Path> s = Files.walk(f.repo)) {
      for (Path p : s.toList()) {
        Path to = damaged.resolve(f.repo.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(to);
        else Files.copy(p, to);
      }
    }
    try (Stream<Path> s = Files.walk(damaged.resolve("data"))) {
      for (Path pack : s.filter(Files::isRegularFile).toList()) {
        // Data packs only: trees and chunk lists go to small metadata packs, which stay intact.
        if (Files.size(pack) < (256 << 10)) continue;
        try (java.nio.channels.FileChannel ch =
            java.nio.channels.FileChannel.open(
                pack,
                java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
          ch.read(b, ch.size() / 2);
          b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
          ch.write(b, ch.size() / 2);
        }
      }
    }
    Path broken = f.dir.resolve("broken");
    RoadieProcess.Result fails =
        roadie
            .copy()
            .env("ROADIE_REPOSITORY", damaged.toString())
            .run("restore", firstSnapshot, "--pgdata", broken.toString())
            .assertExit(3);
    assertTrue(
        fails.stderr().contains("failed authentication")
            || fails.stderr().contains("does not hash"),
        fails.describe());
    assertFalse(Files.exists(broken.resolve("global/pg_control")), "pg_control is written last");
    assertFalse(Files.exists(broken.resolve("recovery.signal")));
  }

  /** A field of the newest snapshot of a target, from {@code snapshots --json}. */
  static String field(String target, String name) throws Exception {
    return fieldOf(snapshotsOf(target), name);
  }

  /** What {@code snapshots --json --target TARGET} prints. */
  static String snapshotsOf(String target) throws Exception {
    return roadie.run("snapshots", "--json", "--target", target).assertOk().stdout();
  }

  /** A field of the newest snapshot in {@code json}, the output of {@link #snapshotsOf}. */
  static String fieldOf(String json, String name) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"" + name + "\" : \"?([^\",\n]*)").matcher(json);
    String last = null;
    while (m.find()) last = m.group(1);
    return last;
  }

  static final String ACCOUNTS =
      "SELECT count(*) || '/' || sum(abalance) || '/' || sum(hashtext(aid || ':' || abalance)) "
          + "FROM pgbench_accounts";

  @Test
  @Order(5)
  void secondBackupReusesUnchangedPagesAndRestoresExactly() throws Exception {
    Assumptions.assumeTrue(
        !primary.query("SELECT to_regclass('pgbench_accounts')").equals("null"),
        "needs pgbench's tables from the archive test");
    // auto skips only when hint bits are WAL-logged, so reused chunks are byte-exact; this cluster
    // has
    // neither data checksums nor wal_log_hints yet.
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "skip")
        .assertOk();
    String pageSkipOff = field("skip", "pageSkipOff");
    assertTrue(pageSkipOff.contains("hint bits"), pageSkipOff);
    primary.sql("ALTER SYSTEM SET wal_log_hints = on");
    primary.stop();
    primary.start();
    // No background changes between the two backups: autovacuum off, and the vacuum it would do
    // (after the archive test's pgbench load) and every hint bit done now, before the parent.
    for (String t :
        List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history")) {
      primary.sql("ALTER TABLE " + t + " SET (autovacuum_enabled = off)");
      primary.sql("VACUUM (FREEZE) " + t);
    }
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "skip")
        .assertOk();
    String afterParent = snapshotsOf("skip");
    assertEquals(
        null,
        fieldOf(afterParent, "chunksReused"),
        "the parent was taken without logged hint bits");
    String parent = afterParent.replaceAll("(?s).*\"id\" : \"([0-9a-f]{64})\".*", "$1");
    primary.sql(
        "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid IN (1, 150000, 299999)");
    String atSecond = primary.query(ACCOUNTS);
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "skip")
        .assertOk();
    String afterSecond = snapshotsOf("skip");
    assertEquals(
        parent, fieldOf(afterSecond, "parent"), "the second backup names the first as its parent");
    assertEquals(
        "local",
        fieldOf(afterSecond, "method"),
        "auto reads locally where the data directory is readable");
    long reused = Long.parseLong(fieldOf(afterSecond, "chunksReused"));
    long scanned = Long.parseLong(fieldOf(afterSecond, "pagesScanned"));
    long changed = Long.parseLong(fieldOf(afterSecond, "pagesChanged"));
    // pgbench_accounts at scale 3 is ~4,900 pages (~300 chunks of 16 pages); three updated rows
    // change a few pages.
    assertTrue(reused > 250, "chunks reused: " + reused);
    assertTrue(changed > 0 && changed < scanned / 4, changed + " of " + scanned + " pages changed");
    // After the second backup: more changes, a point to recover to, and more changes after it.
    primary.sql("UPDATE pgbench_accounts SET abalance = abalance - 3 WHERE aid % 1000 = 0");
    String atTarget = primary.query(ACCOUNTS);
    String lsn = primary.query("SELECT pg_current_wal_insert_lsn()");
    primary.sql("UPDATE pgbench_accounts SET abalance = 0 WHERE aid < 100");
    primary.archiveCurrentWal();
    String second = afterSecond.replaceAll("(?s).*\"id\" : \"([0-9a-f]{64})\".*", "$1");
    assertEquals(
        atSecond,
        restoreAndStart(
                "skip-end",
                ACCOUNTS,
                second,
                "--target",
                "immediate",
                "--target-timeline",
                "current")
            .lines()
            .findFirst()
            .orElseThrow());
    assertEquals(
        atTarget,
        restoreAndStart(
                "skip-pitr", ACCOUNTS, second, "--target-lsn", lsn, "--target-timeline", "current")
            .lines()
            .findFirst()
            .orElseThrow());
    // Without the skip every page is hashed: no counts, same data.
    roadie
        .run(
            "backup",
            "postgres",
            "--physical",
            "--url",
            primary.url(),
            "--target",
            "noskip",
            "--page-skip",
            "off")
        .assertOk();
    assertFalse(
        roadie
            .run("snapshots", "--json", "--target", "noskip")
            .assertOk()
            .stdout()
            .contains("pageSkip"));
  }

  @Test
  @Order(6)
  void backupStoresItsOwnWalAndRestoresBeforeArchiveCommandRuns() throws Exception {
    primary.sql("ALTER SYSTEM SET archive_command = 'exit 1'");
    primary.sql("SELECT pg_reload_conf()");
    try {
      primary.sql("INSERT INTO pitr SELECT 'E', g FROM generate_series(1, 300) g");
      RoadieProcess.Result backup =
          roadie
              .run(
                  "backup", "postgres", "--physical", "--url", primary.url(), "--target", "own-wal")
              .assertOk();
      assertTrue(backup.stderr().contains("does not call 'roadie wal-push'"), backup.describe());
      String stopSegment = field("own-wal", "stopSegment");
      String sysid = primary.query("SELECT system_identifier FROM pg_control_system()");
      Path walDir =
          f.repo.resolve("wal").resolve(String.format("%016x", Long.parseUnsignedLong(sysid)));
      assertFalse(
          Files.exists(walDir.resolve(stopSegment)),
          "archive_command must not have archived " + stopSegment);
      try (Stream<Path> l = Files.list(walDir)) {
        assertTrue(
            l.anyMatch(p -> p.getFileName().toString().startsWith(stopSegment + ".00000000-")),
            "the backup stored " + stopSegment + " as a fragment");
      }
      String rows =
          restoreAndStart(
              "own-wal",
              ROWS,
              "latest",
              "--of",
              "own-wal",
              "--target",
              "immediate",
              "--target-timeline",
              "current");
      assertTrue(rows.lines().findFirst().orElseThrow().contains("E=300"), rows);
    } finally {
      primary.sql("ALTER SYSTEM RESET archive_command");
      primary.sql("SELECT pg_reload_conf()");
    }
  }

  /**
   * A relation file not written since well before the parent started is taken whole from the parent
   * (not read); one whose mtime is close to the parent's start is read again, even when its size
   * and mtime (here to the nanosecond: set back after a write, as writes within one clock tick
   * around the parent's read would leave it) are what the parent recorded.
   */
  @Test
  @Order(8)
  void unchangedFilesAreTakenFromTheParentAndAFileWrittenSinceIsRead() throws Exception {
    Assumptions.assumeTrue(
        primary.query("SHOW wal_log_hints").equals("on"),
        "needs the page-skip test's wal_log_hints");
    primary.sql(
        "CREATE TABLE cold AS SELECT g, md5(g::text) AS m FROM generate_series(1, 20000) g");
    primary.sql("CREATE TABLE hot (k int, v text)");
    primary.sql("INSERT INTO hot VALUES (1, 'before')");
    for (String t : List.of("cold", "hot")) {
      primary.sql("ALTER TABLE " + t + " SET (autovacuum_enabled = off)");
      primary.sql("VACUUM (FREEZE) " + t);
    }
    primary.sql("CHECKPOINT");
    Path hot = primary.data.resolve(primary.query("SELECT pg_relation_filepath('hot')"));
    long hotSize = Files.size(hot);
    Thread.sleep(
        2500); // cold's files are now older than the parent's start by more than the margin (2 s)
    // hot as if written in the same clock tick as the parent's start: its mtime is not older than
    // that
    // start by the margin however long roadie takes to get there (a minute ahead of now).
    FileTime hotMtime = FileTime.from(Instant.now().plusSeconds(60));
    Files.setLastModifiedTime(hot, hotMtime);
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "files")
        .assertOk();

    primary.sql("UPDATE hot SET v = 'after' WHERE k = 1");
    String cold = "SELECT count(*) || ':' || sum(hashtext(m)) FROM cold";
    String check = "(" + cold + ") || ' ' || (SELECT v FROM hot WHERE k = 1)";
    // Read before the checkpoint: the hint bits this sets are written by it, not by the next
    // backup's start.
    String expected = primary.query("SELECT " + check);
    assertTrue(expected.endsWith(" after"), expected);
    primary.sql("CHECKPOINT");
    assertEquals(hotSize, Files.size(hot), "the update stays in hot's one page");
    // The write after the parent read hot left the mtime the parent recorded (same tick): hot is
    // read again.
    Files.setLastModifiedTime(hot, hotMtime);
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "files")
        .assertOk();
    String filesJson = snapshotsOf("files");
    long files = Long.parseLong(fieldOf(filesJson, "filesReused"));
    long fileBytes = Long.parseLong(fieldOf(filesJson, "fileBytesReused"));
    assertTrue(
        files > 10 && fileBytes > 1 << 20,
        files + " files, " + fileBytes + " bytes taken from the parent");
    // diff names the one relation file written since, by content (same size and mtime); the files
    // taken from the parent are the same content.
    JsonNode both = new com.fasterxml.jackson.databind.ObjectMapper().readTree(filesJson);
    RoadieProcess.Result diff =
        roadie
            .run("diff", both.get(0).get("shortId").asText(), both.get(1).get("shortId").asText())
            .assertExit(1);
    String hotPath = primary.query("SELECT pg_relation_filepath('hot')");
    String coldPath = primary.query("SELECT pg_relation_filepath('cold')");
    assertTrue(
        List.of(diff.stdout().split("\n")).contains("M  " + hotPath + "  (content)"),
        diff.describe());
    assertFalse(diff.stdout().contains("  " + coldPath + "  "), diff.describe());
    assertTrue(
        roadie
            .run("ls", "latest", "--of", "files", "global", "--long")
            .assertOk()
            .stdout()
            .contains("  global/pg_control\n"),
        "ls lists the data directory");
    assertEquals(
        expected,
        restoreAndStart(
                "files-end",
                "SELECT " + check,
                "latest",
                "--of",
                "files",
                "--target",
                "immediate",
                "--target-timeline",
                "current",
                "--tablespace-map",
                f.dir.resolve("tablespace-outside") + "=" + f.dir.resolve("tablespace-files-end"))
            .lines()
            .findFirst()
            .orElseThrow());

    // --page-skip off reads every file.
    roadie
        .run(
            "backup",
            "postgres",
            "--physical",
            "--url",
            primary.url(),
            "--target",
            "files-all",
            "--page-skip",
            "off")
        .assertOk();
    assertEquals(null, field("files-all", "filesReused"));
  }

  /**
   * pgbench's transactions add the same delta to accounts, tellers, branches and history: these
   * differences stay.
   */
  static final String PGBENCH_BALANCE =
      "SELECT ((SELECT sum(abalance) FROM pgbench_accounts) - h) || '/' "
          + "|| ((SELECT sum(tbalance) FROM pgbench_tellers) - h) || '/' || ((SELECT sum(bbalance) FROM pgbench_branches) - h) "
          + "FROM (SELECT coalesce(sum(delta), 0) AS h FROM pgbench_history) x";

  /**
   * The rows of every remaining doomed_* table, each read in full, and how many such tables there
   * are.
   */
  static final String DOOMED =
      "SELECT coalesce(sum((xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ' "
          + "|| relname, false, true, '')))[1]::text::int), 0) || '/' || count(*) FROM pg_class WHERE relname LIKE 'doomed%' "
          + "AND relkind = 'r'";

  @Test
  @Order(7)
  void localReadWithATablespaceAnUnloggedTableConcurrentWritesAndDrops() throws Exception {
    Assumptions.assumeTrue(
        !primary.query("SELECT to_regclass('pgbench_accounts')").equals("null"),
        "needs pgbench's tables from the archive test");
    Path outside = Files.createDirectories(f.dir.resolve("tablespace-outside"));
    if (PgServer.root()) PgServer.exec(List.of("chown", "postgres", outside.toString()));
    primary.sql("CREATE TABLESPACE outside LOCATION '" + outside + "'");
    primary.sql(
        "CREATE TABLE spaced TABLESPACE outside AS SELECT g, md5(g::text) AS m FROM generate_series(1, 20000) g");
    primary.sql("CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 5000) g");
    for (int i = 0; i < 200; i++)
      primary.sql("CREATE TABLE doomed_" + i + " AS SELECT g FROM generate_series(1, 500) g");
    String balance = primary.query(PGBENCH_BALANCE);
    String spaced = "SELECT count(*) || ':' || sum(g) || ':' || sum(hashtext(m)) FROM spaced";
    String spacedRows = primary.query(spaced);

    // While the backup reads the files, pgbench writes and the doomed tables are dropped one by
    // one.
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    // -n: no vacuum, and above all no truncation of pgbench_history, whose sum the balance check
    // needs.
    ProcessBuilder pgbench =
        new ProcessBuilder(
                f.bin.resolve("pgbench").toString(),
                "-n",
                "-c",
                "2",
                "-j",
                "2",
                "-T",
                "600",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(primary.port),
                "-U",
                "postgres",
                "postgres")
            .redirectErrorStream(true)
            .redirectOutput(f.dir.resolve("pgbench-during-backup.log").toFile());
    pgbench.environment().put("PGPASSWORD", DB_PW);
    Process load = pgbench.start();
    int[] dropped = {0};
    Thread dropper =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    while (!done.get() && dropped[0] < 200) {
                      primary.sql("DROP TABLE doomed_" + dropped[0]++);
                      Thread.sleep(40);
                    }
                  } catch (Exception e) {
                    throw new RuntimeException(e);
                  }
                });
    RoadieProcess.Result backup;
    try {
      Thread.sleep(1000);
      backup =
          roadie
              .run(
                  "backup",
                  "postgres",
                  "--physical",
                  "--url",
                  primary.url(),
                  "--target",
                  "local",
                  "--read",
                  "local")
              .assertOk();
    } finally {
      done.set(true);
      dropper.join();
      load.destroy();
      load.waitFor();
    }
    assertTrue(
        dropped[0] > 0 && dropped[0] < 200, "tables dropped while the backup ran: " + dropped[0]);
    assertEquals("local", field("local", "method"));
    String json = roadie.run("snapshots", "--json", "--target", "local").assertOk().stdout();
    String oid = primary.query("SELECT oid FROM pg_tablespace WHERE spcname = 'outside'");
    assertTrue(json.contains("\"" + oid + "\" : \"" + outside + "\""), json);
    assertFalse(json.contains("manifestChecksum"), "a local read writes no backup_manifest");

    // At the backup's end: consistent (pgbench's balance), the tablespace's rows, the unlogged
    // table empty.
    String check =
        "SELECT ("
            + PGBENCH_BALANCE
            + ") || ' ' || ("
            + spaced
            + ") || ' ' || (SELECT count(*) FROM scratch) "
            + "|| ' ' || ("
            + DOOMED
            + ")";
    // The tablespace's original location is the running primary's: a restore must not write there.
    RoadieProcess.Result refused =
        roadie
            .run(
                "restore",
                "latest",
                "--of",
                "local",
                "--pgdata",
                f.dir.resolve("refused").toString())
            .assertExit(2);
    assertTrue(
        refused.stderr().contains("--tablespace-map " + outside + "=NEW_DIR"), refused.describe());
    Path mapped = f.dir.resolve("tablespace-local-end");
    String atEnd =
        restoreAndStart(
                "local-end",
                check,
                "latest",
                "--of",
                "local",
                "--target",
                "immediate",
                "--target-timeline",
                "current",
                "--tablespace-map",
                outside + "=" + mapped)
            .lines()
            .findFirst()
            .orElseThrow();
    String[] parts = atEnd.split(" ");
    assertEquals(balance, parts[0], atEnd);
    assertEquals(spacedRows, parts[1], atEnd);
    assertEquals("0", parts[2], "an unlogged table comes back empty: " + atEnd);
    String[] doomed = parts[3].split("/");
    assertEquals(
        Integer.parseInt(doomed[1]) * 500,
        Integer.parseInt(doomed[0]),
        "every remaining table reads: " + atEnd);
    Path restoredSpace = f.dir.resolve("local-end").resolve("pg_tblspc").resolve(oid);
    assertEquals(
        mapped,
        Files.readSymbolicLink(restoredSpace),
        "pg_tblspc/OID links to the mapped location");

    // Replayed to the end of the archive: exactly the primary's data.
    primary.sql("UPDATE spaced SET m = 'changed' WHERE g % 7 = 0");
    String[] now = primary.query(check).split(" ");
    now[2] = "0"; // the unlogged table's rows are not in the WAL: it comes back empty
    String latest = String.join(" ", now);
    primary.archiveCurrentWal();
    assertEquals(
        latest,
        restoreAndStart(
                "local-latest",
                check,
                "latest",
                "--of",
                "local",
                "--target-timeline",
                "current",
                "--tablespace-map",
                oid + "=" + f.dir.resolve("tablespace-local-latest"))
            .lines()
            .findFirst()
            .orElseThrow());
  }

  /**
   * A physical snapshot copied into a second repository restores from that repository alone (the
   * first one moved away) to a point after the backup, so the copy carried the archived WAL; a
   * later copy brings the WAL archived since. check on the copy reports a deleted segment. Needs
   * only the primary of {@link #setUp}: it can run alone.
   */
  @Test
  @Order(9)
  void copiedPhysicalSnapshotRestoresFromTheSecondRepositoryAlone() throws Exception {
    primary.sql("CREATE TABLE dr_copy (batch text, n int)");
    primary.sql("INSERT INTO dr_copy SELECT 'before', g FROM generate_series(1, 100) g");
    roadie
        .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "dr-copy")
        .assertOk();
    primary.sql("INSERT INTO dr_copy SELECT 'A', g FROM generate_series(1, 200) g");
    String lsn = primary.query("SELECT pg_current_wal_insert_lsn()");
    primary.sql("INSERT INTO dr_copy SELECT 'B', g FROM generate_series(1, 300) g");
    primary.archiveCurrentWal();

    Path drRepo = f.dir.resolve("dr-repo");
    Path drPassword = f.dir.resolve("dr-password");
    Files.writeString(drPassword, "dr-s3cret\n");
    if (PgServer.root()) PgServer.exec(List.of("chown", "postgres", drPassword.toString()));
    PgServer.exec(List.of("chmod", "600", drPassword.toString()));
    RoadieProcess dr =
        roadie
            .copy()
            .env("ROADIE_REPOSITORY", drRepo.toString())
            .env("ROADIE_PASSWORD_FILE", drPassword.toString())
            .env("ROADIE_FROM_PASSWORD_FILE", f.passwordFile.toString());
    dr.run("init").assertOk();
    RoadieProcess.Result copy =
        dr.run("copy", "--from", f.repo.toString(), "--target", "dr-copy").assertOk();
    String id =
        TestData.json(dr.run("snapshots", "--json").assertOk().stdout()).get(0).get("id").asText();

    String rows = "SELECT batch || '=' || count(*) FROM dr_copy GROUP BY batch ORDER BY batch";
    Path moved = f.dir.resolve("repo-moved-away");
    Files.move(f.repo, moved);
    try {
      assertEquals(
          "A=200;before=100", restoreFromCopy(dr, "dr-pitr", rows, id, "--target-lsn", lsn));
    } finally {
      Files.move(moved, f.repo);
    }
    assertTrue(copy.stdout().contains("archived files copied"), copy.describe());
    assertTrue(dr.run("check", "--read-data").assertOk().stdout().contains("no errors"));

    // Later WAL reaches the copy with the next copy, which copies no snapshot again.
    primary.sql("INSERT INTO dr_copy SELECT 'C', g FROM generate_series(1, 400) g");
    primary.archiveCurrentWal();
    JsonNode again =
        TestData.json(
            dr.run("copy", "--from", f.repo.toString(), "--target", "dr-copy", "--json")
                .assertOk()
                .stdout());
    assertEquals(0, again.get("copied").size(), again.toString());
    assertTrue(again.get("sideObjects").get(0).get("objects").asInt() >= 1, again.toString());
    assertEquals(
        "A=200;B=300;C=400;before=100",
        restoreFromCopy(dr, "dr-latest", rows, id, "--target-timeline", "current"));

    // A segment the backup's recovery passes through, deleted from the copy: check names it.
    String sysid = primary.query("SELECT system_identifier FROM pg_control_system()");
    String stopSegment = field("dr-copy", "stopSegment");
    String lost =
        String.format(
            "%s%08X",
            stopSegment.substring(0, 16), Long.parseLong(stopSegment.substring(16), 16) + 1);
    Files.delete(
        drRepo
            .resolve("wal")
            .resolve(String.format("%016x", Long.parseUnsignedLong(sysid)))
            .resolve(lost));
    RoadieProcess.Result check = dr.run("check", "--read-data").assertExit(3);
    assertTrue(
        check.stdout().contains("snapshot " + id.substring(0, 8)) && check.stdout().contains(lost),
        check.describe());
  }

  /**
   * Point-in-time recovery from a copy on S3: a physical snapshot and its WAL copied into a
   * repository on an S3 server (s3proxy), the local repository moved away, then recovery to an LSN
   * between two batches, the restore_command's wal-fetch reading the S3 copy (its endpoint in the
   * location, its credentials in the recovering server's environment, as an operator gives them).
   */
  @Test
  @Order(10)
  void copiedPhysicalSnapshotOnS3RecoversToAPointInTime() throws Exception {
    try (dev.roadie.s3.S3ProxyServer s3 = dev.roadie.s3.S3ProxyServer.start()) {
      primary.sql("CREATE TABLE dr_s3 (batch text, n int)");
      primary.sql("INSERT INTO dr_s3 SELECT 'before', g FROM generate_series(1, 100) g");
      roadie
          .run("backup", "postgres", "--physical", "--url", primary.url(), "--target", "dr-s3")
          .assertOk();
      primary.sql("INSERT INTO dr_s3 SELECT 'A', g FROM generate_series(1, 200) g");
      String lsn = primary.query("SELECT pg_current_wal_insert_lsn()");
      primary.sql("INSERT INTO dr_s3 SELECT 'B', g FROM generate_series(1, 300) g");
      primary.archiveCurrentWal();

      Path drPassword = f.dir.resolve("dr-s3-password");
      Files.writeString(drPassword, "dr-s3-s3cret\n");
      if (PgServer.root()) PgServer.exec(List.of("chown", "postgres", drPassword.toString()));
      PgServer.exec(List.of("chmod", "600", drPassword.toString()));
      Map<String, String> credentials = new TreeMap<>();
      for (String[] e : s3.env()) {
        if (!e[0].equals("AWS_ENDPOINT_URL"))
          credentials.put(e[0], e[1]); // the endpoint is the location's
      }
      String drRepo = "s3:" + s3.endpoint() + "/pitr-dr/copy";
      RoadieProcess dr =
          roadie
              .copy()
              .env("ROADIE_REPOSITORY", drRepo)
              .env("ROADIE_PASSWORD_FILE", drPassword.toString())
              .env("ROADIE_FROM_PASSWORD_FILE", f.passwordFile.toString())
              .unsetEnv("AWS_PROFILE")
              .unsetEnv("AWS_ENDPOINT_URL")
              .unsetEnv("AWS_ENDPOINT_URL_S3");
      credentials.forEach(dr::env);
      dr.run("init").assertOk();
      RoadieProcess.Result copy =
          dr.run("copy", "--from", f.repo.toString(), "--target", "dr-s3").assertOk();
      assertTrue(copy.stdout().contains("archived files copied"), copy.describe());
      String id =
          TestData.json(dr.run("snapshots", "--json").assertOk().stdout())
              .get(0)
              .get("id")
              .asText();

      String rows = "SELECT batch || '=' || count(*) FROM dr_s3 GROUP BY batch ORDER BY batch";
      Path moved = f.dir.resolve("repo-moved-away");
      Files.move(f.repo, moved);
      try {
        assertEquals(
            "A=200;before=100",
            restoreFromCopy(dr, credentials, "dr-s3-pitr", rows, id, "--target-lsn", lsn));
      } finally {
        Files.move(moved, f.repo);
      }
      assertTrue(dr.run("check", "--read-data").assertOk().stdout().contains("no errors"));
    }
  }

  /**
   * Restores {@code snapshot} from the repository {@code r} names into DIR/name (the primary's
   * tablespaces, if an earlier test made one, to DIR/name-OID), starts it and runs {@code query}.
   */
  static String restoreFromCopy(
      RoadieProcess r, String name, String query, String snapshot, String... args)
      throws Exception {
    return restoreFromCopy(r, Map.of(), name, query, snapshot, args);
  }

  /**
   * {@link #restoreFromCopy}, the copy's server started with {@code env} (for its restore_command).
   */
  static String restoreFromCopy(
      RoadieProcess r,
      Map<String, String> env,
      String name,
      String query,
      String snapshot,
      String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(snapshot, "--archive-mode", "off"));
    cmd.addAll(List.of(args));
    String oids =
        primary.query(
            "SELECT string_agg(oid::text, ' ') FROM pg_tablespace WHERE spcname NOT LIKE 'pg\\_%'");
    for (String oid : oids == null || oids.equals("null") ? new String[0] : oids.split(" ")) {
      cmd.addAll(List.of("--tablespace-map", oid + "=" + f.dir.resolve(name + "-" + oid)));
    }
    try (PgServer c = f.restoreAndStart(r, name, env, cmd.toArray(String[]::new)).server()) {
      String rows = c.query(query);
      c.stop();
      return rows;
    }
  }
}
