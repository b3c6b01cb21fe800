package dev.roadie.cli;

import static dev.roadie.cli.PgServer.exec;
import static dev.roadie.cli.PgServer.root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.postgres.wal.WalArchiver;
import dev.roadie.postgres.wal.WalPush;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
 * {@code archive_command = 'roadie wal-push --async %p'} on a real cluster, through a launcher that
 * answers it as the real ones do (it sources scripts/lib/wal-push.sh, then starts the JVM): the
 * background archiver the launcher starts, and the one the agent runs in-process, archive what
 * PostgreSQL makes ready; a point-in-time restore replays it; with the repository unreachable
 * archive_command fails and nothing is acknowledged, and archiving resumes once it is back.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalPushAsyncCliTest {
  static final String PW = "async-s3cret";
  static PhysicalFixture f;
  static PgServer primary;
  static RoadieProcess roadie;
  static String snapshot;

  @BeforeAll
  static void setUp() throws Exception {
    f =
        PhysicalFixture.start(
            "async",
            PW,
            o -> {
              o.walPush = "wal-push --async %p";
              o.launcher = PhysicalFixture::fastPathLauncher;
            });
    primary = f.primary;
    roadie = f.roadie;
    primary.sql("CREATE TABLE t (batch text, n int)");
  }

  @AfterAll
  static void tearDown() throws Exception {
    killArchiver();
    if (f != null) f.close();
  }

  static Path spool() {
    return WalPush.defaultSpool(primary.data, f.repo.toString());
  }

  static Path queue() {
    return WalArchiver.queueDirectory(spool());
  }

  /** The names in the repository's WAL archive of this cluster. */
  static Set<String> archived() throws Exception {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(f.repo.resolve("wal"))) {
      s.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
    }
    return names;
  }

  /** The segments PostgreSQL counts as archived (archive_command returned 0). */
  static Set<String> done() throws Exception {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.list(primary.data.resolve("pg_wal/archive_status"))) {
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".done"))
          .forEach(n -> names.add(n.substring(0, n.length() - 5)));
    }
    return names;
  }

  /** Whether the queue's heartbeat is recent and names the agent's process (or its child). */
  static boolean agentHeartbeat(RoadieProcess.Running agent) throws Exception {
    Path alive = queue().resolve("archiver.alive");
    if (!Files.exists(alive)) return false;
    String text = Files.readString(alive).strip();
    if (text.isEmpty()
        || Files.getLastModifiedTime(alive).toMillis() < System.currentTimeMillis() - 3000)
      return false;
    long pid = Long.parseLong(text);
    return pid == agent.process.pid()
        || ProcessHandle.of(pid).map(h -> isDescendant(h, agent.process.pid())).orElse(false);
  }

  static boolean isDescendant(ProcessHandle h, long ancestor) {
    for (var p = h.parent(); p.isPresent(); p = p.get().parent()) {
      if (p.get().pid() == ancestor) return true;
    }
    return false;
  }

  /** Kills the background archiver the launcher started, if one runs, as a crash would. */
  static void killArchiver() throws Exception {
    if (f == null) return;
    Path alive = queue().resolve("archiver.alive");
    if (!Files.exists(alive)) return;
    long pid = Long.parseLong(Files.readString(alive).strip());
    ProcessHandle.of(pid)
        .ifPresent(
            h -> {
              h.destroyForcibly();
              h.onExit().join();
            });
  }

  static String restoreAndQuery(String name, String... args) throws Exception {
    return f.restoreAndQuery(
        name, "SELECT batch || '=' || count(*) FROM t GROUP BY batch ORDER BY batch", args);
  }

  @Test
  @Order(1)
  void theLaunchersArchiverArchivesAheadAndAPointInTimeRestoreReplaysIt() throws Exception {
    snapshot =
        roadie
            .run("backup", "postgres", "--physical", "--url", primary.url())
            .assertOk()
            .stdout()
            .split(" ")[1];
    primary.sql("INSERT INTO t SELECT 'A', g FROM generate_series(1, 1000) g");
    Thread.sleep(1100);
    String targetTime =
        primary.query(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    Thread.sleep(1100);
    // Several segments at once, so the archiver has a batch to push ahead.
    for (int i = 0; i < 4; i++) {
      primary.sql("INSERT INTO t SELECT 'B', g FROM generate_series(1, 250) g");
      primary.query("SELECT pg_switch_wal()");
    }
    primary.archiveCurrentWal();

    assertTrue(
        Files.exists(queue().resolve("archiver.alive")),
        "the launcher started an archiver that is still there");
    assertTrue(
        Files.readString(queue().resolve("archiver.log")).isEmpty(),
        Files.readString(queue().resolve("archiver.log")));
    Set<String> done = done();
    assertTrue(done.size() >= 5, done.toString());
    Set<String> archived = archived();
    assertTrue(
        archived.containsAll(done),
        "acknowledged but not in the repository: " + done + " vs " + archived);

    assertEquals("A=1000", restoreAndQuery("by-time", snapshot, "--target-time", targetTime));
    assertEquals("A=1000;B=1000", restoreAndQuery("latest", snapshot));
  }

  @Test
  @Order(2)
  void theAgentsInProcessArchiverServesArchiveCommand() throws Exception {
    // A crash of the launcher's archiver loses nothing; the agent's archiver takes over the queue.
    killArchiver();
    Files.deleteIfExists(queue().resolve("archiver.log"));
    // The agent's config names the repository as archive_command does, so they share the queue.
    Path config =
        Files.writeString(
            f.dir.resolve("roadie.yaml"),
            "repository: "
                + f.repo
                + "\npasswordFile: "
                + f.passwordFile
                + "\nlisten: 127.0.0.1:0\ntargets:\n"
                + "  - name: primary-wal\n"
                + "    kind: postgres-physical\n"
                + "    url: postgresql://postgres@127.0.0.1:"
                + primary.port
                + "/postgres\n"
                + "    passwordFile: "
                + f.dbPasswordFile
                + "\n    schedule: continuous\n"
                + "    archiveFrom: "
                + primary.data
                + "\n");
    RoadieProcess.Running agent = roadie.start("agent", "--config", config.toString());
    String last;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!agent.stderrNow().contains("primary-wal: archiving")) {
        if (!agent.process.isAlive() || System.nanoTime() > deadline)
          throw new AssertionError("the agent did not start archiving: " + agent.stderrNow());
        Thread.sleep(50);
      }
      // Its archiver's heartbeat names it once it holds the queue (the job logs "archiving" as it
      // starts, which on a busy machine can be seconds before): WAL made earlier would find no
      // archiver and have the launcher start one of its own.
      while (!agentHeartbeat(agent)) {
        if (!agent.process.isAlive() || System.nanoTime() > deadline)
          throw new AssertionError(
              "the agent's archiver never took the queue: " + agent.stderrNow());
        Thread.sleep(50);
      }
      for (int i = 0; i < 3; i++) {
        primary.sql("INSERT INTO t SELECT 'C', g FROM generate_series(1, 100) g");
        primary.query("SELECT pg_switch_wal()");
      }
      last = primary.archiveCurrentWal();
      long archiver = Long.parseLong(Files.readString(queue().resolve("archiver.alive")).strip());
      assertTrue(
          ProcessHandle.of(archiver)
              .map(h -> h.pid() == agent.process.pid() || isDescendant(h, agent.process.pid()))
              .orElse(false),
          "the agent's process archives, not " + archiver);
      assertFalse(
          Files.exists(queue().resolve("archiver.log")),
          "the launcher started no archiver of its own");
      assertTrue(archived().contains(last), last);
    } finally {
      agent.process.toHandle().destroy(); // SIGTERM
      RoadieProcess.Result r = agent.await(Duration.ofSeconds(60));
      assertEquals(0, r.exitCode(), r.describe());
    }
    assertFalse(
        Files.exists(queue().resolve("archiver.alive")), "a stopped agent leaves no heartbeat");
    // The agent ran as this user; the launcher's archivers after it run as the cluster's.
    if (root()) exec(List.of("chown", "-R", "postgres", f.dir.toString()));
    assertEquals("A=1000;B=1000;C=300", restoreAndQuery("after-agent", snapshot));
  }

  @Test
  @Order(3)
  void anUnreachableRepositoryFailsArchiveCommandAndNothingIsAcknowledged() throws Exception {
    Assumptions.assumeTrue(
        root(), "the repository is made unreachable for the postgres user by chmod, as root");
    killArchiver();
    String failedBefore = primary.query("SELECT failed_count FROM pg_stat_archiver");
    exec(List.of("chmod", "000", f.repo.toString()));
    String segment;
    try {
      primary.sql("INSERT INTO t SELECT 'D', g FROM generate_series(1, 100) g");
      segment = primary.query("SELECT pg_walfile_name(pg_switch_wal())");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (primary.query("SELECT failed_count FROM pg_stat_archiver").equals(failedBefore)) {
        if (System.nanoTime() > deadline) throw new AssertionError("archive_command did not fail");
        Thread.sleep(100);
      }
      assertEquals(segment, primary.query("SELECT last_failed_wal FROM pg_stat_archiver"));
      assertTrue(
          Files.exists(primary.data.resolve("pg_wal/archive_status/" + segment + ".ready")),
          "PostgreSQL keeps the segment");
      assertFalse(Files.exists(queue().resolve(segment + ".ok")), "nothing is acknowledged");
      String log = primary.log();
      assertTrue(log.contains("permission denied") && log.contains(f.repo.toString()), log);
    } finally {
      exec(List.of("chmod", "700", f.repo.toString()));
    }
    assertFalse(archived().contains(segment), segment + " is not in the repository");
    // Back: the next segment wakes PostgreSQL's archiver, which retries the failed one first.
    primary.sql("INSERT INTO t SELECT 'E', g FROM generate_series(1, 100) g");
    primary.archiveCurrentWal();
    assertTrue(archived().contains(segment), segment + " is archived once the repository is back");
    assertEquals("A=1000;B=1000;C=300;D=100;E=100", restoreAndQuery("after-outage", snapshot));
  }

  /**
   * An archiver killed in the middle of its pushes has acknowledged only what is durable: every
   * acknowledged file reads back whole from the repository, and what it had not finished stays
   * unacknowledged, for PostgreSQL to ask for again.
   */
  @Test
  @Order(4)
  void anArchiverKilledMidPushAcknowledgesOnlyDurableFiles() throws Exception {
    Path killRepo = f.dir.resolve("repo-killed");
    roadie.run("init", "--repo", killRepo.toString()).assertOk();
    // A stand-in data directory of this cluster with a backlog of incompressible segments.
    Path standIn = f.dir.resolve("stand-in");
    Path wal = Files.createDirectories(standIn.resolve("pg_wal/archive_status")).getParent();
    Files.createDirectories(standIn.resolve("global"));
    Files.copy(primary.data.resolve("global/pg_control"), standIn.resolve("global/pg_control"));
    java.util.Random random = new java.util.Random(42);
    java.util.Map<String, String> segments = new java.util.TreeMap<>(); // name -> SHA-256
    byte[] bytes = new byte[16 << 20];
    for (int i = 1; i <= 24; i++) {
      String name = String.format("%08X%016X", 0x14, i);
      random.nextBytes(bytes);
      segments.put(name, sha256(bytes));
      Files.write(wal.resolve(name), bytes);
      Files.createFile(wal.resolve("archive_status/" + name + ".ready"));
    }
    Path standInQueue =
        WalArchiver.queueDirectory(WalPush.defaultSpool(standIn, killRepo.toString()));
    RoadieProcess.Running archiver =
        roadie.start(
            "wal-push",
            "--archiver",
            "--repo",
            killRepo.toString(),
            "--pgdata",
            standIn.toString(),
            "--jobs",
            "1",
            "--linger",
            "0");
    Set<String> acknowledged;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (acknowledged(standInQueue).isEmpty()) {
        if (!archiver.process.isAlive() || System.nanoTime() > deadline)
          throw new AssertionError("the archiver acknowledged nothing: " + archiver.stderrNow());
        Thread.sleep(5);
      }
    } finally {
      long pid = Long.parseLong(Files.readString(standInQueue.resolve("archiver.alive")).strip());
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      archiver.process.toHandle().destroyForcibly();
      archiver.await(Duration.ofSeconds(60));
    }
    acknowledged = acknowledged(standInQueue);
    assertTrue(
        acknowledged.size() < segments.size(),
        "killed before it finished: not all " + segments.size() + " acknowledged");
    for (String name : acknowledged) {
      Path back = f.dir.resolve("fetched-" + name);
      roadie
          .run(
              "wal-fetch",
              "--repo",
              killRepo.toString(),
              "--pgdata",
              standIn.toString(),
              "--prefetch",
              "0",
              name,
              back.toString())
          .assertOk();
      assertEquals(
          segments.get(name),
          sha256(Files.readAllBytes(back)),
          name + " was acknowledged, so it must read back whole");
      Files.delete(back);
    }
  }

  static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }

  static Set<String> acknowledged(Path queue) throws Exception {
    Set<String> names = new TreeSet<>();
    if (!Files.isDirectory(queue)) return names;
    try (Stream<Path> s = Files.list(queue)) {
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".ok") && !n.startsWith("."))
          .forEach(n -> names.add(n.substring(0, n.length() - 3)));
    }
    return names;
  }
}
