package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.postgres.PgCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roadie backup postgres}, {@code restore --to} and {@code dump} as processes, against a
 * throwaway cluster: exit codes and messages, kill -9 and SIGTERM during a backup, a connection
 * lost mid-restore.
 */
class PostgresCliTest {
  static final String PW = "cli-s3cret";
  @TempDir static Path tmp;
  static Path bin;
  static Path dataDir;
  static int port;
  static RoadieProcess roadie;

  static Path findBin() throws IOException {
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) return null;
    try (Stream<Path> s = Files.list(base)) {
      return s.map(p -> p.resolve("bin"))
          .filter(p -> Files.isExecutable(p.resolve("initdb")))
          .findFirst()
          .orElse(null);
    }
  }

  static List<String> asPostgres(String... cmd) {
    List<String> c = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name")))
      c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    return c;
  }

  static void exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(cmd + ": " + out);
  }

  @BeforeAll
  static void setUp() throws Exception {
    bin = findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    Path dir = Files.createTempDirectory("roadie-pgcli-");
    dataDir = dir.resolve("data");
    Files.writeString(dir.resolve("pw"), PW + "\n");
    if ("root".equals(System.getProperty("user.name")))
      exec(List.of("chown", "-R", "postgres", dir.toString()));
    PgCluster.initdb(bin, dataDir, dir.resolve("pw"));
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    exec(
        asPostgres(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dataDir.toString(),
            "-l",
            dir.resolve("log").toString(),
            "-o",
            "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start"));
    sql("postgres", "CREATE DATABASE shop");
    sql(
        "shop",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer text, note text, at timestamptz);"
            + "INSERT INTO orders SELECT g, 'customer ' || (g % 5000), repeat(md5(g::text), 3), now() - g * interval '1 second' "
            + "FROM generate_series(1, 1000000) g;"
            + "CREATE TABLE small (id int PRIMARY KEY, v text); INSERT INTO small VALUES (1, 'one'), (2, 'two')");
    roadie = RoadieProcess.of(tmp.resolve("repo"), "repo-pw").timeout(Duration.ofMinutes(3));
    roadie.run("init").assertOk();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (dataDir != null) {
      exec(
          asPostgres(
              bin.resolve("pg_ctl").toString(),
              "-D",
              dataDir.toString(),
              "-m",
              "fast",
              "-w",
              "stop"));
      try (Stream<Path> s = Files.walk(dataDir.getParent())) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static Connection jdbc(String db) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", PW);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
  }

  static void sql(String db, String sql) throws Exception {
    try (Connection c = jdbc(db);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static long count(String db, String sql) throws Exception {
    try (Connection c = jdbc(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String url(String db) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + db;
  }

  static int snapshotCount() {
    return roadie.run("snapshots", "--json").assertOk().stdout().split("\"id\"", -1).length - 1;
  }

  @Test
  void backupRestoreAndErrorsThroughTheCli() throws Exception {
    RoadieProcess pg = roadie.copy().env("PGPASSWORD", PW);
    var b = pg.run("backup", "postgres", "--url", url("shop"), "--jobs", "2");
    b.assertOk();
    assertTrue(b.stdout().contains("2 tables"), b.describe());

    var r = pg.run("restore", "latest", "--to", url("shop_copy"));
    r.assertOk();
    assertEquals(1_000_000, count("shop_copy", "SELECT count(*) FROM orders"));
    var again = pg.run("restore", "latest", "--to", url("shop_copy"));
    assertEquals(1, again.exitCode(), again.describe());
    assertTrue(
        again.stderr().contains("already has 2 tables") && again.stderr().contains("--clean"),
        again.describe());

    // Password in the URL: never echoed; wrong password, missing database, unreachable server.
    var bad =
        roadie.run(
            "backup",
            "postgres",
            "--url",
            "postgresql://postgres:not-the-pw@127.0.0.1:" + port + "/shop");
    assertEquals(1, bad.exitCode(), bad.describe());
    assertTrue(bad.stderr().contains("authentication failed for user 'postgres'"), bad.describe());
    assertFalse(bad.stderr().contains("not-the-pw") || bad.stdout().contains("not-the-pw"));
    var missing = pg.run("backup", "postgres", "--url", url("nope"));
    assertTrue(missing.stderr().contains("database 'nope' does not exist"), missing.describe());
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    var down =
        pg.run(
            "backup", "postgres", "--url", "postgresql://postgres@127.0.0.1:" + closed + "/shop");
    assertEquals(75, down.exitCode(), "a refused connection is worth retrying: " + down.describe());
    assertTrue(
        down.stderr().contains("cannot connect to PostgreSQL at 127.0.0.1:" + closed),
        down.describe());

    // dump --sql | psql
    Path script = tmp.resolve("shop.sql");
    var d = pg.copy().stdout(in -> Files.copy(in, script)).run("dump", "latest", "--sql");
    d.assertOk();
    // dump --sql | head: a reader that goes away ends the dump quietly, as SIGPIPE ends cat.
    var head = pg.copy().closeStdoutAfter(100).run("dump", "latest", "--sql").assertExit(141);
    assertEquals("", head.stderr(), head.describe());
    sql("postgres", "CREATE DATABASE shop_sql");
    ProcessBuilder psqlBuilder =
        new ProcessBuilder(
                bin.resolve("psql").toString(),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(port),
                "-U",
                "postgres",
                "-d",
                "shop_sql",
                "-f",
                script.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    psqlBuilder.environment().put("PGPASSWORD", PW);
    Process psql = psqlBuilder.start();
    psql.getOutputStream().close();
    assertEquals(0, psql.waitFor());
    assertEquals(1_000_000, count("shop_sql", "SELECT count(*) FROM orders"));
  }

  @Test
  void missingToolsAndBadConnectionSettingsAreNamedAndLeaveNothingBehind() throws Exception {
    RoadieProcess pg = roadie.copy().env("PGPASSWORD", PW);
    pg.run("backup", "postgres", "--url", url("shop"), "--table", "small", "--target", "tools")
        .assertOk();
    String major = bin.getParent().getFileName().toString();
    var badBin =
        pg.run(
            "restore",
            "latest",
            "--of",
            "tools",
            "--to",
            url("shop_badbin"),
            "--pg-bin",
            "/nonexistent/bin");
    assertEquals(1, badBin.exitCode(), badBin.describe());
    assertTrue(
        badBin.stderr().contains("pg_restore not found in /nonexistent/bin")
            && badBin.stderr().contains("postgresql-client-" + major),
        badBin.describe());
    assertEquals(
        0,
        count("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'shop_badbin'"),
        "no database left behind");

    // A bad ROADIE_PG_BIN is refused as --pg-bin is, not passed over for another pg_dump.
    var badEnv =
        pg.copy()
            .env("ROADIE_PG_BIN", "/nonexistent/bin")
            .run(
                "backup",
                "postgres",
                "--url",
                url("shop"),
                "--table",
                "small",
                "--target",
                "tools");
    assertEquals(1, badEnv.exitCode(), badEnv.describe());
    assertTrue(
        badEnv
            .stderr()
            .contains("pg_dump not found in /nonexistent/bin (ROADIE_PG_BIN=/nonexistent/bin)"),
        badEnv.describe());

    // No password for a server that asks for one: an authentication error, not an unreachable
    // server.
    var noPassword =
        roadie
            .copy()
            .env("PGPASSFILE", tmp.resolve("no-pgpass").toString())
            .run("backup", "postgres", "--url", url("shop"));
    assertEquals(1, noPassword.exitCode(), noPassword.describe());
    assertTrue(
        noPassword.stderr().contains("authentication failed for user 'postgres'"),
        noPassword.describe());
    assertFalse(noPassword.stderr().contains("is the server running"), noPassword.describe());

    // A bad sslmode names the parameter and the values it takes.
    var sslmode = pg.run("backup", "postgres", "--url", url("shop") + "?sslmode=bogus");
    assertEquals(2, sslmode.exitCode(), sslmode.describe());
    assertTrue(
        sslmode.stderr().contains("sslmode 'bogus'")
            && sslmode
                .stderr()
                .contains("disable, allow, prefer, require, " + "verify-ca, verify-full"),
        sslmode.describe());
    assertFalse(sslmode.stderr().contains("is the server running"), sslmode.describe());
  }

  @Test
  void killedBackupLeavesNoSnapshotAndAConsistentRepository() throws Exception {
    RoadieProcess pg = roadie.copy().env("PGPASSWORD", PW);
    for (boolean hard : new boolean[] {true, false}) {
      int before = snapshotCount();
      var run = pg.start("backup", "postgres", "--url", url("shop"), "--jobs", "2");
      // Wait until the COPY is running on the server, then kill.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (count(
              "postgres",
              "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'roadie' "
                  + "AND query LIKE 'COPY%orders%'")
          == 0) {
        assertTrue(
            run.isAlive() && System.nanoTime() < deadline, "the backup never started copying");
        Thread.sleep(20);
      }
      RoadieProcess.Result res;
      if (hard) {
        res = run.kill();
      } else {
        run.process.destroy(); // SIGTERM
        res = run.await(Duration.ofSeconds(60));
      }
      assertTrue(res.exitCode() != 0, res.describe());
      assertEquals(before, snapshotCount(), "no snapshot after " + (hard ? "kill -9" : "SIGTERM"));
      roadie.run("check").assertOk();
    }
  }

  @Test
  void connectionLostMidRestoreSaysWhatIsHalfDone() throws Exception {
    RoadieProcess pg = roadie.copy().env("PGPASSWORD", PW);
    pg.run("backup", "postgres", "--url", url("shop"), "--target", "for-restore").assertOk();
    var run =
        pg.start(
            "restore", "latest", "--of", "for-restore", "--to", url("shop_cut"), "--jobs", "1");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (count(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'shop_cut' AND query LIKE 'COPY%orders%'")
        == 0) {
      assertTrue(
          run.isAlive() && System.nanoTime() < deadline, "the restore never started loading");
      Thread.sleep(10);
    }
    sql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shop_cut'");
    var res = run.await(Duration.ofSeconds(60));
    assertEquals(1, res.exitCode(), res.describe());
    assertTrue(res.stderr().contains("failed while loading table data"), res.describe());
    assertTrue(
        res.stderr().contains("half restored") && res.stderr().contains("--clean"), res.describe());
  }
}
