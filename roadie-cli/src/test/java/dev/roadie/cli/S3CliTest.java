package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line against a real S3 server (s3proxy): s3://bucket/prefix with the standard AWS variables. */
class S3CliTest {
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
    RoadieProcess p = RoadieProcess.bare().env("ROADIE_REPOSITORY", repo).env("ROADIE_PASSWORD", "s3-pw")
        .unsetEnv("AWS_PROFILE").unsetEnv("AWS_ENDPOINT_URL_S3").env("HOME", tmp.toString());
    for (String[] e : server.env()) p.env(e[0], e[1]);
    return p;
  }

  @Test
  void initBackupSnapshotsRestoreCheck() throws Exception {
    RoadieProcess roadie = roadie("s3://cli-bucket/team/prod");
    RoadieProcess.Result init = roadie.run("init").assertOk();
    assertTrue(init.stdout().contains("s3://cli-bucket/team/prod"), init.describe());
    assertTrue(init.stderr().contains("created bucket cli-bucket"), init.describe());

    Path file = tmp.resolve("data.bin");
    byte[] data = new byte[6 << 20];
    new TestData.Rng(7).fill(data);
    byte[] text = new byte[3 << 20];
    TestData.fillText(new TestData.Rng(8), text);
    System.arraycopy(text, 0, data, 0, text.length);
    Files.write(file, data);
    JsonNode snap = TestData.json(roadie.run("backup", "file", file.toString(), "--json").assertOk().stdout());
    String id = snap.get("id").asText();

    String list = roadie.run("snapshots").assertOk().stdout();
    assertTrue(list.contains(id.substring(0, 8)), list);

    Path target = tmp.resolve("restored");
    roadie.run("restore", "latest", "--target", target.toString()).assertOk();
    Path restored;
    try (Stream<Path> s = Files.walk(target)) {
      restored = s.filter(p -> p.getFileName().toString().equals("data.bin")).findFirst().orElseThrow();
    }
    assertArrayEquals(data, Files.readAllBytes(restored));

    roadie.run("check", "--read-data").assertOk();

    // --s3-endpoint wins over a wrong AWS_ENDPOINT_URL.
    roadie.copy().env("AWS_ENDPOINT_URL", "http://127.0.0.1:9").run("snapshots", "--s3-endpoint", server.endpoint())
        .assertOk();
  }

  @Test
  void wrongCredentialsAreAClearError() {
    RoadieProcess roadie = roadie("s3://cli-bucket/other").env("AWS_SECRET_ACCESS_KEY", "not-the-secret-123");
    RoadieProcess.Result r = roadie.run("snapshots");
    assertEquals(1, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("check the credentials"), r.describe());
    assertClean(r, "not-the-secret-123");
  }

  @Test
  void unreachableEndpointIsAClearError() {
    int port = S3ProxyServer.freePort();
    RoadieProcess.Result r = roadie("s3://cli-bucket/x").env("AWS_ENDPOINT_URL", "http://127.0.0.1:" + port)
        .run("snapshots");
    assertEquals(1, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("127.0.0.1:" + port) && r.stderr().contains("Connection refused"), r.describe());
    assertClean(r, S3ProxyServer.CREDENTIAL);
  }

  @Test
  void missingRepositoryAndBadUrl() {
    RoadieProcess.Result r = roadie("s3://cli-bucket/nothing-here").run("snapshots");
    assertEquals(10, r.exitCode(), r.describe());
    RoadieProcess.Result noBucket = roadie("s3://no-such-bucket-here/x").run("snapshots");
    assertEquals(10, noBucket.exitCode(), noBucket.describe());
    assertTrue(noBucket.stderr().contains("no repository at s3://no-such-bucket-here/x"), noBucket.describe());
    RoadieProcess.Result bad = roadie("s3://Bad_Bucket/x").run("snapshots");
    assertEquals(2, bad.exitCode(), bad.describe());
    assertTrue(bad.stderr().contains("invalid S3 bucket name"), bad.describe());
  }

  static void assertClean(RoadieProcess.Result r, String secret) {
    assertFalse(r.stderr().contains("\tat "), "no stack trace: " + r.describe());
    assertFalse(r.stderr().contains("Exception"), "no exception names: " + r.describe());
    assertFalse(r.stderr().contains(secret) || r.stdout().contains(secret), "no secret: " + r.describe());
  }
}
