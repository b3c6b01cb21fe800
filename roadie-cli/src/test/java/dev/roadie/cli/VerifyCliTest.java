package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.postgres.PgCluster;
import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code roadie verify}, {@code verifications}, {@code snapshots --json}'s last verification and
 * {@code check --read-data-subset n/m} as a user runs them: a repository with a logical PostgreSQL,
 * a Redis and a file snapshot, each verified in scratch space that is gone afterwards, also after
 * SIGTERM; freshness; a damaged repository; two verifications side by side.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VerifyCliTest {
  static final String PW = "verify-s3cret";
  static final String DB_PW = "db-pw";
  static Path dir;
  static Path bin;
  static Path data;
  static int pgPort;
  static Process redis;
  static int redisPort;
  static Path repo;
  static Path scratch;
  static RoadieProcess roadie;

  @BeforeAll
  static void setUp() throws Exception {
    bin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    dir = Files.createTempDirectory("roadie-verifycli-");
    // The scratch servers run as postgres when the tests run as root: it must reach the scratch
    // directories.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    data = dir.resolve("pg/data");
    Files.createDirectories(data.getParent());
    Files.writeString(dir.resolve("pg/pw"), DB_PW + "\n");
    if (root())
      PostgresCliTest.exec(List.of("chown", "-R", "postgres", dir.resolve("pg").toString()));
    PgCluster.initdb(bin, data, dir.resolve("pg/pw"));
    pgPort = freePort();
    PostgresCliTest.exec(
        PostgresCliTest.asPostgres(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            dir.resolve("pg/log").toString(),
            "-o",
            "-p "
                + pgPort
                + " -k "
                + dir.resolve("pg")
                + " -c listen_addresses=127.0.0.1 "
                + "-c fsync=off",
            "-w",
            "start"));
    sql("postgres", "CREATE DATABASE shop");
    sql(
        "shop",
        "CREATE TABLE customers (id int PRIMARY KEY, name text);"
            + "CREATE TABLE orders (id bigint PRIMARY KEY, customer int REFERENCES customers, total numeric CHECK (total > 0));"
            + "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 300) g;"
            + "INSERT INTO orders SELECT g, 1 + g % 300, g FROM generate_series(1, 5000) g");

    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    redisPort = freePort();
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                redisDir.toString(),
                "--repl-diskless-sync-delay",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(redisDir.resolve("out").toFile())
            .start();
    for (int i = 0; ; i++) {
      try (RespConnection c =
          RespConnection.open(RedisUrl.parse("redis://127.0.0.1:" + redisPort, null))) {
        if ("PONG".equals(c.send("PING"))) {
          for (int k = 0; k < 300; k++) c.call("SET", "k" + k, "v" + k);
          c.call("HSET", "h", "f", "v");
          c.call("SELECT", "2");
          c.call("RPUSH", "queue", "a", "b");
          break;
        }
      } catch (RuntimeException e) {
        if (i > 200) throw e;
        Thread.sleep(50);
      }
    }

    repo = dir.resolve("repo");
    scratch = Files.createDirectories(dir.resolve("scratch"));
    Path files = Files.createDirectories(dir.resolve("files/site"));
    Files.writeString(files.resolve("index.html"), "<h1>festival</h1>\n");
    Files.write(files.resolve("poster.bin"), new byte[300_000]);
    roadie = RoadieProcess.of(repo, PW).timeout(Duration.ofMinutes(4));
    roadie.run("init").assertOk();
    roadie
        .run(
            "backup",
            "postgres",
            "--url",
            pgUrl("shop"),
            "--probe",
            "revenue=SELECT sum(total) FROM orders")
        .assertOk();
    roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + redisPort).assertOk();
    roadie.run("backup", "file", files.toString()).assertOk();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (redis != null) {
      redis.destroy();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
    if (data != null && Files.exists(data.resolve("postmaster.pid"))) {
      PostgresCliTest.exec(
          PostgresCliTest.asPostgres(
              bin.resolve("pg_ctl").toString(),
              "-D",
              data.toString(),
              "-m",
              "immediate",
              "-w",
              "stop"));
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String pgUrl(String db) {
    return "postgresql://postgres:" + DB_PW + "@127.0.0.1:" + pgPort + "/" + db;
  }

  static void sql(String db, String sql) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", DB_PW);
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/" + db, p);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static List<Path> leftovers() throws Exception {
    try (Stream<Path> s = Files.list(scratch)) {
      return s.toList();
    }
  }

  static JsonNode check(JsonNode verified, String name) {
    for (JsonNode c : verified.get("checks")) {
      if (c.get("name").asText().equals(name)) return c;
    }
    throw new AssertionError("no check " + name + " in " + verified);
  }

  @Test
  @Order(1)
  void verifiesTheNewestSnapshotOfEveryTargetAndRecordsIt() throws Exception {
    RoadieProcess.Result r =
        roadie.run("verify", "--scratch-dir", scratch.toString(), "--json").assertOk();
    JsonNode out = TestData.json(r.stdout());
    assertEquals(3, out.size(), r.describe());
    Set<String> kinds = new HashSet<>();
    for (JsonNode v : out) {
      kinds.add(v.get("kind").asText());
      assertTrue(v.get("pass").asBoolean(), v.toString());
      assertEquals("pass", v.get("result").asText());
      assertEquals("restore", v.get("checks").get(0).get("name").asText());
    }
    assertEquals(Set.of("postgres", "redis", "file"), kinds);
    JsonNode pg =
        stream(out)
            .filter(v -> v.get("kind").asText().equals("postgres"))
            .findFirst()
            .orElseThrow();
    assertEquals(5300, check(pg, "row-counts").get("figures").get("rows").asLong());
    assertEquals("pass", check(pg, "probes").get("status").asText());
    JsonNode rd =
        stream(out).filter(v -> v.get("kind").asText().equals("redis")).findFirst().orElseThrow();
    assertEquals(302, check(rd, "keys").get("figures").get("keys").asLong(), rd.toString());
    JsonNode file =
        stream(out).filter(v -> v.get("kind").asText().equals("file")).findFirst().orElseThrow();
    assertEquals("pass", check(file, "content").get("status").asText());
    assertEquals(List.of(), leftovers(), "scratch space is removed");

    JsonNode records = TestData.json(roadie.run("verifications", "--json").assertOk().stdout());
    assertEquals(3, records.size());
    JsonNode onlyRedis =
        TestData.json(roadie.run("verifications", "--kind", "redis", "--json").assertOk().stdout());
    assertEquals(1, onlyRedis.size());
    String table = roadie.run("verifications").assertOk().stdout();
    assertTrue(
        table.contains("3 verifications")
            && table.contains("postgres://127.0.0.1:" + pgPort + "/shop"),
        table);

    JsonNode snapshots = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    for (JsonNode s : snapshots) {
      assertEquals("pass", s.get("lastVerification").get("result").asText(), s.toString());
    }
    roadie.run("check").assertOk();
  }

  @Test
  @Order(2)
  void aTargetWhoseNewestSnapshotIsTooOldFailsThoughItRestores() throws Exception {
    Thread.sleep(2000);
    RoadieProcess.Result r =
        roadie
            .run(
                "verify",
                "--kind",
                "file",
                "--max-age",
                "1s",
                "--scratch-dir",
                scratch.toString(),
                "--json")
            .assertExit(1);
    JsonNode v = TestData.json(r.stdout()).get(0);
    assertEquals("pass", check(v, "restore").get("status").asText());
    assertEquals("pass", check(v, "content").get("status").asText());
    JsonNode fresh = check(v, "freshness");
    assertEquals("fail", fresh.get("status").asText());
    assertTrue(fresh.get("summary").asText().contains("more than --max-age 1s"), fresh.toString());
    roadie
        .run("verify", "--kind", "file", "--max-age", "1h", "--scratch-dir", scratch.toString())
        .assertOk();
    RoadieProcess.Result bad = roadie.run("verify", "--max-age", "5x").assertExit(2);
    assertTrue(bad.stderr().contains("--max-age 5x is not a duration"), bad.describe());
  }

  @Test
  @Order(3)
  void slicesOfThePacksCoverEveryPackOnce() throws Exception {
    JsonNode first =
        TestData.json(
            roadie.run("check", "--read-data-subset", "1/2", "--json").assertOk().stdout());
    JsonNode second =
        TestData.json(
            roadie.run("check", "--read-data-subset", "2/2", "--json").assertOk().stdout());
    assertEquals("1/2", first.get("slice").asText());
    assertEquals(
        first.get("packs").asLong(),
        first.get("packsRead").asLong() + second.get("packsRead").asLong());
    roadie.run("check", "--read-data-subset", "3/2").assertExit(2);

    JsonNode a =
        TestData.json(
                roadie
                    .run(
                        "verify",
                        "--kind",
                        "file",
                        "--rotate",
                        "2",
                        "--scratch-dir",
                        scratch.toString(),
                        "--json")
                    .assertOk()
                    .stdout())
            .get(0);
    JsonNode b =
        TestData.json(
                roadie
                    .run(
                        "verify",
                        "--kind",
                        "file",
                        "--rotate",
                        "2",
                        "--scratch-dir",
                        scratch.toString(),
                        "--json")
                    .assertOk()
                    .stdout())
            .get(0);
    assertEquals("1/2", a.get("slice").asText());
    assertEquals("2/2", b.get("slice").asText());
    assertEquals(a.get("checks").size(), b.get("checks").size());
    assertEquals(
        first.get("packs").asLong(),
        check(a, "read-data").get("figures").get("packsRead").asLong()
            + check(b, "read-data").get("figures").get("packsRead").asLong());
  }

  @Test
  @Order(4)
  void theSnapshotsOwnDatabaseIsRefusedAsScratch() throws Exception {
    int before = TestData.json(roadie.run("verifications", "--json").assertOk().stdout()).size();
    RoadieProcess.Result r =
        roadie
            .run(
                "verify",
                "--kind",
                "postgres",
                "--scratch",
                pgUrl("shop"),
                "--scratch-dir",
                scratch.toString())
            .assertExit(2);
    assertTrue(
        r.stderr().contains("is the database snapshot") && !r.stderr().contains(DB_PW),
        r.describe());
    assertEquals(
        before,
        TestData.json(roadie.run("verifications", "--json").assertOk().stdout()).size(),
        "nothing recorded");
    assertEquals(List.of(), leftovers());
  }

  @Test
  @Order(5)
  void sigtermStopsTheScratchServerAndRemovesItsDirectory() throws Exception {
    RoadieProcess.Running running =
        roadie.start("verify", "--kind", "postgres", "--scratch-dir", scratch.toString());
    long postmaster = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (postmaster < 0 && System.nanoTime() < deadline) {
      try (Stream<Path> s = Files.list(scratch)) {
        for (Path d : s.toList()) {
          // initdb's bootstrap writes a postmaster.pid too; the server's says "ready" on its 8th
          // line.
          try {
            List<String> lines = Files.readAllLines(d.resolve("data/postmaster.pid"));
            if (lines.size() >= 8 && lines.get(7).trim().equals("ready"))
              postmaster = Long.parseLong(lines.get(0).trim());
          } catch (java.nio.file.NoSuchFileException e) {
            // not started yet
          }
        }
      }
      Thread.sleep(100);
    }
    assertTrue(postmaster > 0, "the scratch server started: " + running.stdoutSoFar());
    running.process.destroy(); // SIGTERM
    RoadieProcess.Result r = running.await(Duration.ofMinutes(1));
    assertTrue(r.exitCode() != 0, r.describe());
    assertFalse(running(postmaster), "the scratch server is stopped");
    assertEquals(List.of(), leftovers(), "the scratch directory is removed");
  }

  @Test
  @Order(6)
  void twoVerificationsRunSideBySide() throws Exception {
    RoadieProcess.Running a =
        roadie.start("verify", "--kind", "postgres", "--scratch-dir", scratch.toString());
    RoadieProcess.Running b =
        roadie.start("verify", "--kind", "postgres", "--scratch-dir", scratch.toString());
    a.await(Duration.ofMinutes(4)).assertOk();
    b.await(Duration.ofMinutes(4)).assertOk();
    assertEquals(List.of(), leftovers());
  }

  @Test
  @Order(7)
  void aPackMissingFromTheRepositoryIsDamage() throws Exception {
    Path copy = dir.resolve("damaged");
    roadie.run("init", "--repo", copy.toString()).assertOk();
    roadie
        .run("backup", "file", "--repo", copy.toString(), dir.resolve("files").toString())
        .assertOk();
    try (Stream<Path> s = Files.walk(copy.resolve("data"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) Files.delete(p);
    }
    RoadieProcess.Result r =
        roadie
            .run("verify", "--repo", copy.toString(), "--scratch-dir", scratch.toString())
            .assertExit(3);
    assertTrue(
        r.stdout().contains("DAMAGED") && r.stdout().contains("the restore failed"), r.describe());
    assertEquals(List.of(), leftovers());
  }

  /**
   * Whether a process runs: it exists and is not a zombie (the stopped postmaster is the child of
   * whatever reaps orphans here, which may take its time).
   */
  static boolean running(long pid) throws Exception {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String s = Files.readString(stat);
      return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> l = new ArrayList<>();
    array.forEach(l::add);
    return l.stream();
  }
}
