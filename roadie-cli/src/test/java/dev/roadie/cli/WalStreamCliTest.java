package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The streaming receiver as a user runs it, with no archive_command at all: {@code roadie
 * wal-stream} beside the server, a physical base backup whose WAL it receives, a commit it
 * confirms, then the server crashes ({@code -m immediate}); a point-in-time restore to the latest
 * point, started on a free port, has that commit.
 */
@Tag("slow")
class WalStreamCliTest {
  static final String PW = "stream-s3cret";
  static final String DB_PW = "db-pw";

  @Test
  void aConfirmedCommitSurvivesACrashAndRestores() throws Exception {
    Path bin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    Path dir = Files.createTempDirectory("roadie-stream-");
    List<Path> running = new ArrayList<>();
    RoadieProcess.Running stream = null;
    try {
      Path repo = dir.resolve("repo");
      Path passwordFile = dir.resolve("password");
      Files.writeString(passwordFile, PW + "\n");
      Files.writeString(dir.resolve("dbpw"), DB_PW + "\n");
      Path launcher =
          PostgresPhysicalCliTest.writeLauncher(Files.createDirectories(dir.resolve("launcher")));
      if (PostgresPhysicalCliTest.root())
        PostgresPhysicalCliTest.exec(List.of("chown", "-R", "postgres", dir.toString()));
      PostgresPhysicalCliTest.exec(List.of("chmod", "600", passwordFile.toString()));
      Path data = dir.resolve("primary");
      pg(
          bin,
          "initdb",
          "-D",
          data.toString(),
          "-U",
          "postgres",
          "--pwfile=" + dir.resolve("dbpw"),
          "--auth-host=scram-sha-256",
          "--auth-local=trust",
          "-E",
          "UTF8",
          "--locale=C.UTF-8",
          "--no-sync");
      int port = PostgresPhysicalCliTest.freePort();
      Files.writeString(
          data.resolve("postgresql.conf"),
          "\nlisten_addresses = '127.0.0.1'\nfsync = off\n",
          java.nio.file.StandardOpenOption.APPEND);
      pg(
          bin,
          "pg_ctl",
          "-D",
          data.toString(),
          "-l",
          dir.resolve("primary.log").toString(),
          "-o",
          "-p " + port + " -k " + dir,
          "-w",
          "start");
      running.add(data);
      String url = "postgresql://postgres:" + DB_PW + "@127.0.0.1:" + port + "/postgres";

      RoadieProcess roadie =
          RoadieProcess.bare()
              .env("ROADIE_REPOSITORY", repo.toString())
              .env("ROADIE_PASSWORD_FILE", passwordFile.toString())
              .env("ROADIE_LAUNCHER", launcher.toString())
              .timeout(Duration.ofMinutes(4));
      roadie.run("init").assertOk();
      if (PostgresPhysicalCliTest.root())
        PostgresPhysicalCliTest.exec(List.of("chown", "-R", "postgres", repo.toString()));

      stream =
          roadie.start(
              "wal-stream", "--url", url, "--slot", "roadie_cli", "--flush-interval", "200ms");
      await(
          () ->
              query(port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                  .equals("1"),
          "wal-stream connects");
      sql(port, "CREATE TABLE t (batch text, n int)");
      RoadieProcess.Result backup =
          roadie.run("backup", "postgres", "--physical", "--url", url).assertOk();
      assertTrue(backup.stdout().contains("physical"), backup.describe());

      sql(port, "INSERT INTO t SELECT 'A', g FROM generate_series(1, 1000) g");
      String lsn = query(port, "SELECT pg_current_wal_flush_lsn()");
      await(
          () ->
              query(port, "SELECT flush_lsn >= '" + lsn + "' FROM pg_stat_replication").equals("t"),
          "wal-stream confirms " + lsn);
      pg(bin, "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop"); // the crash
      running.remove(data);
      stream.process.destroy(); // SIGTERM: stores what it holds and exits
      assertTrue(
          stream.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS),
          "wal-stream stops on SIGTERM");
      assertEquals(0, stream.process.exitValue(), "a clean stop on SIGTERM exits 0");

      Path restored = dir.resolve("restored");
      RoadieProcess.Result r =
          roadie
              .run(
                  "restore",
                  "latest",
                  "--kind",
                  "postgres-physical",
                  "--pgdata",
                  restored.toString(),
                  "--archive-mode",
                  "off")
              .assertOk();
      if (PostgresPhysicalCliTest.root())
        PostgresPhysicalCliTest.exec(List.of("chown", "-R", "postgres", restored.toString()));
      int port2 = PostgresPhysicalCliTest.freePort();
      pg(
          bin,
          "pg_ctl",
          "-D",
          restored.toString(),
          "-l",
          dir.resolve("restored.log").toString(),
          "-o",
          "-p " + port2 + " -k " + dir,
          "-w",
          "-t",
          "120",
          "start");
      running.add(restored);
      await(() -> query(port2, "SELECT pg_is_in_recovery()").equals("f"), "recovery ends");
      assertEquals(
          "A=1000",
          query(port2, "SELECT batch || '=' || count(*) FROM t GROUP BY batch"),
          r.stdout());
    } finally {
      if (stream != null) stream.process.destroyForcibly();
      for (Path d : running) {
        try {
          pg(bin, "pg_ctl", "-D", d.toString(), "-m", "immediate", "-w", "stop");
        } catch (Exception ignored) {
          // already stopped
        }
      }
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static void pg(Path bin, String program, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bin.resolve(program).toString()));
    cmd.addAll(List.of(args));
    List<String> full = new ArrayList<>();
    if (PostgresPhysicalCliTest.root()) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(cmd);
    PostgresPhysicalCliTest.exec(full);
  }

  static Connection connect(int port) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", DB_PW);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
  }

  static String query(int port, String sql) throws Exception {
    try (Connection c = connect(port);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  static void sql(int port, String sql) throws Exception {
    try (Connection c = connect(port);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) return;
      } catch (Exception e) {
        last = e;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "timed out: " + what + (last != null ? " (" + last.getMessage() + ")" : ""));
  }
}
