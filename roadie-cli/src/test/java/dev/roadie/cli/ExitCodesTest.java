package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and the messages users see when something is wrong. */
class ExitCodesTest {
  private static final String PASSWORD = "correct horse battery staple";
  @TempDir static Path tmp;
  static Path repo;

  @BeforeAll
  static void init() {
    repo = tmp.resolve("repo");
    RoadieProcess.of(repo, PASSWORD).run("init").assertOk();
  }

  private static List<String> lines(String s) {
    return Arrays.stream(s.split("\n")).filter(l -> !l.isBlank()).toList();
  }

  private static void assertNoStackTrace(RoadieProcess.Result r) {
    assertFalse(
        r.stderr().contains("Exception"), "stack trace or exception name shown: " + r.describe());
    assertFalse(r.stderr().contains("at dev.roadie"), "stack trace shown: " + r.describe());
    assertFalse(r.stderr().contains("internal error"), r.describe());
  }

  @Test
  void wrongPasswordExits12WithOneLine() {
    RoadieProcess.Result r =
        RoadieProcess.of(repo, "not the password").run("snapshots").assertExit(12);
    assertEquals(1, lines(r.stderr()).size(), "one line on stderr: " + r.describe());
    assertTrue(r.stderr().contains("wrong password"), r.describe());
    assertNoStackTrace(r);
    assertEquals("", r.stdout().strip(), r.describe());
  }

  @Test
  void wrongPasswordFromPasswordFileExits12() throws Exception {
    Path pw = tmp.resolve("wrong-pw");
    Files.writeString(pw, "nope\n");
    RoadieProcess.Result r =
        RoadieProcess.of(repo, PASSWORD)
            .unsetEnv("ROADIE_PASSWORD")
            .run("stats", "--password-file", pw.toString())
            .assertExit(12);
    assertTrue(r.stderr().contains("wrong password"), r.describe());
    assertNoStackTrace(r);
    // The flag wins over the environment.
    RoadieProcess.of(repo, PASSWORD).run("stats", "--password-file", pw.toString()).assertExit(12);
    Path right = tmp.resolve("right-pw");
    Files.writeString(right, PASSWORD + "\n");
    RoadieProcess.bare()
        .env("ROADIE_REPOSITORY", repo.toString())
        .env("ROADIE_PASSWORD_FILE", right.toString())
        .run("snapshots")
        .assertOk();
  }

  @Test
  void noRepositoryExits10AndSaysInit() {
    Path nothing = tmp.resolve("no-repo-here");
    RoadieProcess.Result r = RoadieProcess.of(nothing, PASSWORD).run("snapshots").assertExit(10);
    assertTrue(r.stderr().contains("roadie init"), r.describe());
    assertNoStackTrace(r);
    // --repo overrides the environment
    RoadieProcess.of(repo, PASSWORD).run("snapshots", "--repo", nothing.toString()).assertExit(10);
    assertFalse(Files.exists(nothing.resolve("config")), "no repository may be created by a read");
  }

  @Test
  void missingPasswordExits2() {
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo.toString())
            .run("snapshots")
            .assertExit(2);
    assertTrue(r.stderr().contains("password"), r.describe());
    assertNoStackTrace(r);
  }

  @Test
  void missingPasswordFileExits2() {
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo.toString())
            .run("snapshots", "--password-file", tmp.resolve("does-not-exist").toString())
            .assertExit(2);
    assertTrue(r.stderr().contains("does not exist"), r.describe());
    assertNoStackTrace(r);
  }

  @Test
  void badUsageExits2() {
    RoadieProcess ok = RoadieProcess.of(repo, PASSWORD);
    RoadieProcess.Result unknown = ok.run("snapshots", "--no-such-option").assertExit(2);
    assertTrue(unknown.stderr().contains("--no-such-option"), unknown.describe());
    assertNoStackTrace(unknown);

    // The snapshot is resolved first: its kind says which destinations fit.
    ok.copy().stdin("x".getBytes()).run("backup", "file", "--stdin", "--name", "x").assertOk();
    RoadieProcess.Result noWhere = ok.run("restore", "latest").assertExit(2);
    assertTrue(
        noWhere
            .stderr()
            .contains("is a file snapshot: say where to restore it: --target DIR or --stdout"),
        noWhere.describe());
    assertNoStackTrace(noWhere);

    ok.run("restore", "latest", "--stdout", "--target", tmp.resolve("x").toString()).assertExit(2);
    ok.run("no-such-command").assertExit(2);
    ok.run().assertExit(2);
    ok.run("backup").assertExit(2);
    // restic's form, a path right after backup: the message says what to type instead.
    RoadieProcess.Result path = ok.run("backup", tmp.toString()).assertExit(2);
    assertTrue(
        path.stderr()
            .contains(
                "'"
                    + tmp
                    + "' is not a kind of source; say what to back up: 'roadie backup file PATH...'"),
        path.describe());
    ok.run("backup", "file").assertExit(2);
    ok.run("backup", "file", "--stdin").assertExit(2);
    ok.run("backup", "file", tmp.resolve("missing-path").toString()).assertExit(2);
    ok.run("check", "--read-data-subset", "150%").assertExit(2);
    ok.run("backup", "file", "--stdin", "--name", "x", "--time", "yesterday").assertExit(2);
  }

  @Test
  void initTwiceFailsAndKeepsTheFirstRepository() throws Exception {
    Path r2 = tmp.resolve("twice");
    RoadieProcess first = RoadieProcess.of(r2, "first password");
    first.run("init").assertOk();
    first
        .copy()
        .stdin("hello\n".getBytes())
        .run("backup", "file", "--stdin", "--name", "x")
        .assertOk();
    byte[] config = Files.readAllBytes(r2.resolve("config"));
    long keys;
    try (var s = Files.list(r2.resolve("keys"))) {
      keys = s.count();
    }

    RoadieProcess.Result again = RoadieProcess.of(r2, "second password").run("init");
    assertNotEquals(0, again.exitCode(), again.describe());
    assertTrue(again.stderr().contains("already exists"), again.describe());
    assertNoStackTrace(again);
    RoadieProcess.Result sameAgain = first.run("init");
    assertNotEquals(0, sameAgain.exitCode(), sameAgain.describe());

    assertEquals(
        java.util.HexFormat.of().formatHex(config),
        java.util.HexFormat.of().formatHex(Files.readAllBytes(r2.resolve("config"))),
        "config unchanged");
    try (var s = Files.list(r2.resolve("keys"))) {
      assertEquals(keys, s.count(), "no key file added by the failed init");
    }
    RoadieProcess.Result list = first.run("snapshots", "--json").assertOk();
    assertEquals(1, TestData.json(list.stdout()).size(), list.describe());
    RoadieProcess.of(r2, "second password").run("snapshots").assertExit(12);
  }

  /**
   * A process for an S3 repository at {@code location}, with the test server's keys and no other
   * AWS setting.
   */
  private static RoadieProcess s3(String location) {
    RoadieProcess p =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", location)
            .env("ROADIE_PASSWORD", PASSWORD)
            .env("HOME", tmp.toString())
            .env("AWS_ACCESS_KEY_ID", S3ProxyServer.IDENTITY)
            .env("AWS_SECRET_ACCESS_KEY", S3ProxyServer.CREDENTIAL)
            .env("AWS_REGION", "us-east-1");
    for (String v :
        new String[] {
          "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"
        }) {
      p.unsetEnv(v);
    }
    return p;
  }

  @Test
  void refusedConnectionsExit75SoASchedulerRetries() {
    int port = S3ProxyServer.freePort();
    RoadieProcess.Result s3 =
        s3("s3:http://127.0.0.1:" + port + "/b-1/x").run("snapshots").assertExit(75);
    assertTrue(
        s3.stderr().contains("127.0.0.1:" + port)
            && s3.stderr().contains("is the endpoint reachable?"),
        s3.describe());
    assertNoStackTrace(s3);
    RoadieProcess local = RoadieProcess.of(repo, PASSWORD);
    RoadieProcess.Result pg =
        local
            .run("backup", "postgres", "--url", "postgresql://backup@127.0.0.1:" + port + "/db")
            .assertExit(75);
    assertTrue(
        pg.stderr().contains("cannot connect to PostgreSQL at 127.0.0.1:" + port), pg.describe());
    RoadieProcess.Result redis =
        local.run("backup", "redis", "--url", "redis://127.0.0.1:" + port).assertExit(75);
    assertTrue(
        redis.stderr().contains("cannot connect to redis://127.0.0.1:" + port), redis.describe());
    // What a retry cannot fix keeps its own code: a wrong password, an unknown host.
    RoadieProcess.of(repo, "not the password").run("snapshots").assertExit(12);
    local.run("backup", "redis", "--url", "redis://no-such-host.invalid:6379").assertExit(1);
  }

  @Test
  void anS3ServerLostDuringABackupExits75() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start()) {
      RoadieProcess roadie = s3("s3:" + server.endpoint() + "/lost-bucket/repo");
      roadie.run("init").assertOk();
      RoadieProcess.Result r =
          roadie
              .copy()
              .stdin(
                  out -> {
                    byte[] block = new byte[1 << 20];
                    java.util.Random random = new java.util.Random(5);
                    try {
                      // Past the first pack (16 MiB), then the server goes away while the stream
                      // goes on.
                      for (int i = 0; i < 64; i++) {
                        if (i == 24) server.kill();
                        random.nextBytes(block);
                        out.write(block);
                      }
                    } catch (java.io.IOException e) {
                      // roadie gave up and closed its input: expected
                    }
                  })
              .run("backup", "file", "--stdin", "--name", "x")
              .assertExit(75);
      assertTrue(
          r.stderr().contains("lost-bucket") && r.stderr().contains("attempts"), r.describe());
      assertNoStackTrace(r);
    }
  }

  @Test
  void versionPrintsRoadie() {
    RoadieProcess.Result a = RoadieProcess.bare().run("--version").assertOk();
    assertTrue(a.stdout().startsWith("roadie "), a.describe());
    RoadieProcess.Result b = RoadieProcess.bare().run("version").assertOk();
    assertTrue(b.stdout().startsWith("roadie "), b.describe());
    assertEquals(a.stdout(), b.stdout());
  }
}
