package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

/**
 * A repository whose WAL was archived by an earlier roadie (test resource {@code
 * fixtures/physical-wal-v1}, see its README) reads unchanged: {@code check --read-data} opens and
 * verifies every archived file, and point-in-time recovery from it reaches the restore point and
 * the end of the archive with the rows the cluster had. The archive's layout ({@code wal/<system
 * id>/<file>}), object keys and additional data are part of the repository format.
 */
class WalFixtureCompatibilityTest {
  static final String FIXTURE_PG_MAJOR = "15";
  static final String ROWS =
      "SELECT batch || '=' || count(*) FROM fixture GROUP BY batch ORDER BY batch";
  static Path bin;
  static Path dir;
  static Path repo;
  static RoadieProcess roadie;
  static final List<Path> running = new ArrayList<>();

  @BeforeAll
  static void setUp() throws Exception {
    bin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    String version = PgServer.exec(List.of(bin.resolve("pg_ctl").toString(), "--version"));
    Assumptions.assumeTrue(
        version.matches("(?s).*\\) " + FIXTURE_PG_MAJOR + "\\..*"),
        "the fixture's cluster is PostgreSQL "
            + FIXTURE_PG_MAJOR
            + ", installed is "
            + version.strip());
    dir = Files.createTempDirectory("roadie-wal-fixture-");
    repo = dir.resolve("repo");
    Path fixture =
        Path.of(
            WalFixtureCompatibilityTest.class
                .getResource("/fixtures/physical-wal-v1/repo")
                .toURI());
    try (Stream<Path> s = Files.walk(fixture)) {
      for (Path p : s.toList()) {
        Path to = repo.resolve(fixture.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(to);
        else Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    Path passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, "fixture-pw\n");
    Path launcher = PhysicalFixture.writeLauncher(Files.createDirectories(dir.resolve("launcher")));
    if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", dir.toString()));
    PgServer.exec(List.of("chmod", "600", passwordFile.toString()));
    roadie =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo.toString())
            .env("ROADIE_PASSWORD_FILE", passwordFile.toString())
            .env("ROADIE_LAUNCHER", launcher.toString())
            .timeout(Duration.ofMinutes(3));
  }

  @AfterAll
  static void tearDown() throws Exception {
    for (Path data : new ArrayList<>(running)) stop(data);
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void walArchivedByAnEarlierRoadieChecksAndRecoversToAPointInTime() throws Exception {
    JsonNode snapshots = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    assertEquals(1, snapshots.size(), snapshots.toString());
    assertEquals("postgres-physical", snapshots.get(0).get("kind").asText());

    RoadieProcess.Result check = roadie.run("check", "--read-data").assertOk();
    assertTrue(check.stdout().contains("no errors"), check.describe());
    JsonNode stats = TestData.json(roadie.run("stats", "--json").assertOk().stdout());
    assertTrue(stats.get("storedBytesByKind").get("wal").asLong() > 0, stats.toString());

    assertEquals("A=200;before=100", recover("to-point", "--target-name", "fixture-point"));
    assertEquals("A=200;B=300;before=100", recover("to-end"));
  }

  /**
   * Restores the fixture's snapshot into DIR/name, starts it, waits for the end of recovery, counts
   * rows.
   */
  static String recover(String name, String... target) throws Exception {
    Path data = dir.resolve(name);
    List<String> cmd =
        new ArrayList<>(
            List.of("restore", "latest", "--pgdata", data.toString(), "--archive-mode", "off"));
    cmd.addAll(List.of(target));
    RoadieProcess.Result restored = roadie.run(cmd.toArray(String[]::new)).assertOk();
    assertTrue(restored.stdout().contains("restored snapshot "), restored.describe());
    if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", data.toString()));
    int port = PgServer.freePort();
    Path log = dir.resolve(name + ".log");
    PgServer.exec(
        PgServer.asPostgres(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            log.toString(),
            "-o",
            "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1",
            "-w",
            "-t",
            "120",
            "start"));
    running.add(data);
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (true) {
        try {
          if (query(port, "SELECT pg_is_in_recovery()").equals("f")) return query(port, ROWS);
        } catch (java.sql.SQLException e) {
          // not accepting connections yet
        }
        if (System.nanoTime() > deadline)
          throw new AssertionError("recovery did not end: " + Files.readString(log));
        Thread.sleep(200);
      }
    } finally {
      stop(data);
    }
  }

  static String query(int port, String sql) throws java.sql.SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", "db-pw");
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      StringBuilder b = new StringBuilder();
      while (rs.next()) b.append(b.isEmpty() ? "" : ";").append(rs.getString(1));
      return b.toString();
    }
  }

  static void stop(Path data) throws Exception {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      PgServer.exec(
          PgServer.asPostgres(
              bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"));
    }
    running.remove(data);
  }
}
