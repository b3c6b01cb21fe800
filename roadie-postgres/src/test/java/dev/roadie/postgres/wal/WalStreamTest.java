package dev.roadie.postgres.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streaming receiver against a real cluster: it archives every segment without a gap across its
 * own restarts (the slot keeps the WAL meanwhile), and a commit it has confirmed is in the
 * repository even when the server is killed right after.
 */
class WalStreamTest {
  static final long SEG = 16L << 20;
  @TempDir Path tmp;

  @Test
  void streamsWithoutGapsAcrossRestartsAndKeepsConfirmedCommitsWhenTheServerDies()
      throws Exception {
    try (PgCluster pg = PgCluster.start();
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      List<String> log = Collections.synchronizedList(new ArrayList<>());
      pg.sql("postgres", "CREATE TABLE t (id int primary key, note text)");

      // 1. Stream while WAL is written across two segment switches.
      Running a = startOn(pg.port, repo, log);
      long lsn1 = writeAndSwitch(pg, 1, 2);
      awaitDurable(a.stream, lsn1);
      a.stop();

      // 2. WAL written while nothing streams is picked up on restart: the slot kept it.
      long lsn2 = writeAndSwitch(pg, 1000, 2);
      Running b = startOn(pg.port, repo, log);
      awaitDurable(b.stream, lsn2);

      // 3. A commit, confirmed durable, then the server dies at once.
      long commit;
      try (Connection c = pg.jdbc("postgres");
          Statement st = c.createStatement()) {
        st.execute("INSERT INTO t VALUES (424242, 'the last commit')");
        try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_flush_lsn()")) {
          rs.next();
          commit = WalNames.parseLsn(rs.getString(1));
        }
      }
      long t0 = System.nanoTime();
      awaitDurable(b.stream, commit);
      long confirmMillis = (System.nanoTime() - t0) / 1_000_000;
      pg.stopImmediately();
      Thread.sleep(
          2500); // the receiver keeps trying to reconnect to the dead server; it must not give up
      b.stop();

      WalArchive archive = new WalArchive(repo, systemId(pg));
      Path pgWal = pg.dir.resolve("data/pg_wal");
      // Every segment from the first streamed to the one holding the commit: whole, or (the last)
      // assembled from fragments; byte-identical to the server's files as far as the commit.
      List<String> names =
          archive.list().stream()
              .map(WalArchive.Entry::name)
              .filter(WalNames::isSegment)
              .sorted()
              .toList();
      assertTrue(names.size() >= 4, "segments archived: " + names + "\n" + log);
      long first = WalNames.segmentNumber(names.get(0), SEG);
      long last = commit / SEG;
      for (long n = first; n <= last; n++) {
        String seg = WalNames.segmentName(1, n, SEG);
        WalArchive.Fetched f = archive.fetch(seg);
        assertNotNull(f, "segment " + seg + " missing from the archive: a gap\n" + log);
        Path onDisk = pgWal.resolve(seg);
        if (!Files.exists(onDisk)) continue; // recycled by the server: nothing to compare with
        byte[] disk = Files.readAllBytes(onDisk);
        int upTo = n < last ? (int) SEG : (int) (commit - n * SEG);
        assertArrayEquals(
            Arrays.copyOf(disk, upTo),
            Arrays.copyOf(f.bytes(), upTo),
            seg + " differs from the server's");
        if (n < last) assertTrue(f.complete(), seg + " should be archived whole");
      }
      System.out.println(
          "wal-stream: commit durable in the repository "
              + confirmMillis
              + " ms after it returned");
    }
  }

  /**
   * Streaming from a standby that is then promoted: the receiver completes timeline 1 up to the
   * switch point, archives 00000002.history, and follows timeline 2.
   */
  /**
   * A standby the receiver streams from is promoted. Live: the receiver rides through the
   * promotion. Stopped: it was down while the primary wrote more WAL and the standby was promoted,
   * so on restart it first completes timeline 1 from where the archive ends to the switch point
   * (START_REPLICATION ... TIMELINE 1), then follows timeline 2.
   */
  @ParameterizedTest(name = "receiver running through the promotion: {0}")
  @ValueSource(booleans = {true, false})
  void followsATimelineSwitch(boolean live) throws Exception {
    try (PgCluster pg = PgCluster.start();
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      pg.sql("postgres", "CREATE TABLE t (id int primary key, note text)");
      Path sdir = pg.dir.resolve("standby");
      int sport = PgCluster.freePort();
      asPostgres(
          pg.bin.resolve("pg_basebackup").toString(),
          "-h",
          pg.dir.toString(),
          "-p",
          Integer.toString(pg.port),
          "-U",
          "postgres",
          "-D",
          sdir.toString(),
          "-R",
          "-X",
          "stream",
          "--checkpoint=fast");
      asPostgres(
          pg.bin.resolve("pg_ctl").toString(),
          "-D",
          sdir.toString(),
          "-l",
          pg.dir.resolve("standby.log").toString(),
          "-o",
          "-p " + sport + " -k " + pg.dir + " -c listen_addresses=127.0.0.1",
          "-w",
          "start");
      try {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Running r = startOn(sport, repo, log);
        long lsn = writeAndSwitch(pg, 1, 1);
        awaitDurable(r.stream, lsn);
        if (!live) {
          r.stop();
          long more = writeAndSwitch(pg, 5000, 1); // timeline 1 goes on while nothing streams
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (WalNames.parseLsn(queryOn(sport, "SELECT pg_last_wal_replay_lsn()")) < more) {
            assertTrue(
                System.nanoTime() < deadline,
                "the standby did not replay to " + WalNames.formatLsn(more));
            Thread.sleep(50);
          }
        }
        asPostgres(pg.bin.resolve("pg_ctl").toString(), "-D", sdir.toString(), "-w", "promote");
        if (!live) r = startOn(sport, repo, log);
        long after;
        try (Connection c = PgCluster.jdbcTo(sport, "postgres");
            Statement st = c.createStatement()) {
          st.execute("INSERT INTO t VALUES (777777, 'on timeline 2')");
          try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_flush_lsn()")) {
            rs.next();
            after = WalNames.parseLsn(rs.getString(1));
          }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!(r.stream.timeline() == 2 && r.stream.durableLsn() >= after)) {
          assertTrue(
              System.nanoTime() < deadline,
              "did not follow timeline 2 to " + WalNames.formatLsn(after) + "\n" + log);
          Thread.sleep(50);
        }
        r.stop();
        if (!live) {
          assertTrue(
              log.stream()
                  .anyMatch(
                      l -> l.contains("timeline 1") && l.contains("(the end of that timeline)")),
              "completed timeline 1 first\n" + log);
        }
        WalArchive archive = new WalArchive(repo, systemId(pg));
        byte[] history = archive.read("00000002.history");
        assertNotNull(history, "00000002.history archived\n" + log);
        long switchPoint = TimelineHistory.parse(2, history).endOf(1);
        String seg2 = WalNames.segmentOf(2, after, SEG);
        byte[] disk = Files.readAllBytes(sdir.resolve("pg_wal").resolve(seg2));
        int upTo = (int) (after - (after / SEG) * SEG);
        assertArrayEquals(
            Arrays.copyOf(disk, upTo), Arrays.copyOf(archive.fetch(seg2).bytes(), upTo));
        // Timeline 1 is archived without a gap up to the switch point.
        long firstSeg =
            WalNames.segmentNumber(
                archive.list().stream()
                    .map(WalArchive.Entry::name)
                    .filter(n -> n.startsWith("00000001") && WalNames.isSegment(n))
                    .sorted()
                    .findFirst()
                    .orElseThrow(),
                SEG);
        for (long n = firstSeg; n <= (switchPoint - 1) / SEG; n++) {
          assertNotNull(
              archive.fetch(WalNames.segmentName(1, n, SEG)),
              "timeline 1 segment " + n + " archived\n" + log);
        }
        String seg1 = WalNames.segmentOf(1, switchPoint - 1, SEG);
        WalArchive.Fetched old = archive.fetch(seg1);
        int oldUpTo = (int) (switchPoint - (switchPoint - 1) / SEG * SEG);
        byte[] newSeg = archive.fetch(WalNames.segmentOf(2, switchPoint - 1, SEG)).bytes();
        assertArrayEquals(
            Arrays.copyOf(newSeg, oldUpTo),
            Arrays.copyOf(old.bytes(), oldUpTo),
            "timeline 2's first segment begins with timeline 1's WAL up to the switch point");
      } finally {
        asPostgres(
            pg.bin.resolve("pg_ctl").toString(),
            "-D",
            sdir.toString(),
            "-m",
            "immediate",
            "-w",
            "stop");
      }
    }
  }

  static Running startOn(int port, Repository repo, List<String> log) {
    WalStream s =
        new WalStream(
            PgCluster.connTo(port, "postgres"),
            repo,
            new WalStream.Options(
                "roadie_test", Duration.ofMillis(200), Duration.ofSeconds(2), log::add));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    s.run();
                  } catch (Throwable e) {
                    failure.set(e);
                  }
                });
    return new Running(s, t, failure);
  }

  static String queryOn(int port, String sql) throws Exception {
    try (Connection c = PgCluster.jdbcTo(port, "postgres");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static void asPostgres(String... cmd) throws Exception {
    List<String> c = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name")))
      c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new AssertionError(String.join(" ", c) + " failed: " + out);
  }

  record Running(WalStream stream, Thread thread, AtomicReference<Throwable> failure) {
    void stop() throws Exception {
      stream.stop();
      thread.join(Duration.ofSeconds(30));
      if (failure.get() != null) throw new AssertionError("wal-stream failed", failure.get());
    }
  }

  /**
   * Inserts rows, switching to a new segment {@code switches} times; returns the flush LSN after.
   */
  static long writeAndSwitch(PgCluster pg, int from, int switches) throws Exception {
    try (Connection c = pg.jdbc("postgres");
        Statement st = c.createStatement()) {
      for (int i = 0; i < switches; i++) {
        st.execute(
            "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series("
                + (from + i * 100)
                + ", "
                + (from + i * 100 + 99)
                + ") g");
        st.execute("SELECT pg_switch_wal()");
      }
      st.execute("INSERT INTO t VALUES (" + (from + 99999) + ", 'after the switches')");
      try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_flush_lsn()")) {
        rs.next();
        return WalNames.parseLsn(rs.getString(1));
      }
    }
  }

  static void awaitDurable(WalStream s, long lsn) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (s.durableLsn() < lsn) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "wal-stream did not make "
                + WalNames.formatLsn(lsn)
                + " durable within 60 s (at "
                + WalNames.formatLsn(Math.max(0, s.durableLsn()))
                + ")");
      }
      Thread.sleep(20);
    }
  }

  static long systemId(PgCluster pg) throws Exception {
    return WalFileHeader.systemIdOfDataDirectory(pg.dir.resolve("data"));
  }
}
