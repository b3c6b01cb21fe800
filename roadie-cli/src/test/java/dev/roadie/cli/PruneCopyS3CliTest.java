package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.s3.S3ProxyServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** copy local → S3 → local, and forget --prune on S3, against a real S3 server (s3proxy). */
class PruneCopyS3CliTest {
  static S3ProxyServer server;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static RoadieProcess roadie(String repo) {
    RoadieProcess p = RoadieProcess.bare().env("ROADIE_REPOSITORY", repo).unsetEnv("AWS_PROFILE")
        .unsetEnv("AWS_ENDPOINT_URL_S3").env("HOME", tmp.toString());
    for (String[] e : server.env()) p.env(e[0], e[1]);
    return p;
  }

  @Test
  void copyBothWaysAndPruneOnS3() {
    Path local = tmp.resolve("local");
    RoadieProcess l = RoadieProcess.of(local, "local-pw");
    l.run("init").assertOk();
    byte[][] data = new byte[3][];
    for (int i = 0; i < 3; i++) {
      data[i] = PruneCliTest.random(2 << 20, 10 + i);
      l.copy().stdin(data[i]).run("backup", "file", "--stdin", "--name", "s", "--target", "t",
          "--time", "2026-02-0" + (i + 1) + "T00:00:00Z").assertOk();
    }
    String s3 = "s3://prune-bucket/dr";
    RoadieProcess s = roadie(s3).env("ROADIE_PASSWORD", "s3-pw").env("ROADIE_FROM_PASSWORD", "local-pw");
    s.run("init").assertOk();
    JsonNode out = TestData.json(s.run("copy", "--from", local.toString(), "--json").assertOk().stdout());
    assertEquals(3, out.get("copied").size(), out.toString());
    assertEquals(0, TestData.json(s.run("copy", "--from", local.toString(), "--json").assertOk().stdout())
        .get("copied").size(), "idempotent");
    assertArrayEquals(data[2], s.run("restore", "latest", "--stdout").assertOk().stdoutBytes());

    // Retention and prune on S3.
    JsonNode pruned = TestData.json(s.run("forget", "--keep-last", "1", "--prune", "--grace", "0", "--json")
        .assertOk().stdout());
    assertTrue(pruned.get("prune").get("packsDeleted").asInt() >= 2, pruned.toString());
    assertTrue(s.run("check", "--read-data").assertOk().stdout().contains("no errors"));
    assertArrayEquals(data[2], s.run("restore", "latest", "--stdout").assertOk().stdoutBytes());

    // S3 → a second local repository.
    Path back = tmp.resolve("back");
    RoadieProcess b = roadie(back.toString()).env("ROADIE_PASSWORD", "back-pw")
        .env("ROADIE_FROM_PASSWORD", "s3-pw");
    b.run("init").assertOk();
    b.run("copy", "--from", s3).assertOk();
    assertArrayEquals(data[2], b.run("restore", "latest", "--stdout").assertOk().stdoutBytes());
    // The copy of a copy remembers the original: copying from the first repository adds nothing of it.
    JsonNode again = TestData.json(b.env("ROADIE_FROM_PASSWORD", "local-pw").run("copy", "--from", local.toString(),
        "--json").assertOk().stdout());
    assertEquals(2, again.get("copied").size(), "only the two snapshots forgotten on S3: " + again);
    assertEquals(1, again.get("skipped").size());
  }
}
