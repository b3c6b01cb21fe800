package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
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

  @Test
  void aConfirmedCommitSurvivesACrashAndRestores() throws Exception {
    RoadieProcess.Running stream = null;
    try (PhysicalFixture f = PhysicalFixture.start("stream", PW, o -> o.walPush = null)) {
      PgServer primary = f.primary;
      RoadieProcess roadie = f.roadie;
      stream =
          roadie.start(
              "wal-stream",
              "--url",
              primary.url(),
              "--slot",
              "roadie_cli",
              "--flush-interval",
              "200ms");
      await(
          () ->
              primary
                  .query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                  .equals("1"),
          "wal-stream connects");
      primary.sql("CREATE TABLE t (batch text, n int)");
      RoadieProcess.Result backup =
          roadie.run("backup", "postgres", "--physical", "--url", primary.url()).assertOk();
      assertTrue(backup.stdout().contains("physical"), backup.describe());

      primary.sql("INSERT INTO t SELECT 'A', g FROM generate_series(1, 1000) g");
      String lsn = primary.query("SELECT pg_current_wal_flush_lsn()");
      await(
          () ->
              primary
                  .query("SELECT flush_lsn >= '" + lsn + "' FROM pg_stat_replication")
                  .equals("t"),
          "wal-stream confirms " + lsn);
      primary.crash();
      stream.process.destroy(); // SIGTERM: stores what it holds and exits
      assertTrue(
          stream.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS),
          "wal-stream stops on SIGTERM");
      assertEquals(0, stream.process.exitValue(), "a clean stop on SIGTERM exits 0");

      PhysicalFixture.Restored r =
          f.restoreAndStart(
              roadie,
              "restored",
              Map.of(),
              "latest",
              "--kind",
              "postgres-physical",
              "--archive-mode",
              "off");
      assertEquals(
          "A=1000",
          r.server().query("SELECT batch || '=' || count(*) FROM t GROUP BY batch"),
          r.restore().stdout());
    } finally {
      if (stream != null) stream.process.destroyForcibly();
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
