package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.s3.S3ProxyServer;
import dev.roadie.s3.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against a real S3 server (s3proxy): s3://bucket/prefix with the standard AWS
 * variables.
 */
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
    RoadieProcess p =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo)
            .env("ROADIE_PASSWORD", "s3-pw")
            .unsetEnv("AWS_PROFILE")
            .unsetEnv("AWS_ENDPOINT_URL_S3")
            .env("HOME", tmp.toString());
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
    JsonNode snap =
        TestData.json(roadie.run("backup", "file", file.toString(), "--json").assertOk().stdout());
    String id = snap.get("id").asText();

    String list = roadie.run("snapshots").assertOk().stdout();
    assertTrue(list.contains(id.substring(0, 8)), list);

    Path target = tmp.resolve("restored");
    roadie.run("restore", "latest", "--target", target.toString()).assertOk();
    Path restored;
    try (Stream<Path> s = Files.walk(target)) {
      restored =
          s.filter(p -> p.getFileName().toString().equals("data.bin")).findFirst().orElseThrow();
    }
    assertArrayEquals(data, Files.readAllBytes(restored));

    roadie.run("check", "--read-data").assertOk();

    // --s3-endpoint wins over a wrong AWS_ENDPOINT_URL.
    roadie
        .copy()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .run("snapshots", "--s3-endpoint", server.endpoint())
        .assertOk();
  }

  @Test
  void wrongCredentialsAreAClearError() {
    RoadieProcess roadie =
        roadie("s3://cli-bucket/other").env("AWS_SECRET_ACCESS_KEY", "not-the-secret-123");
    RoadieProcess.Result r = roadie.run("snapshots");
    assertEquals(1, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("check the credentials"), r.describe());
    assertClean(r, "not-the-secret-123");
  }

  @Test
  void unreachableEndpointIsAClearTemporaryError() {
    int port = S3ProxyServer.freePort();
    RoadieProcess.Result r =
        roadie("s3://cli-bucket/x")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:" + port)
            .run("snapshots");
    assertEquals(75, r.exitCode(), "worth retrying: " + r.describe());
    assertTrue(
        r.stderr().contains("127.0.0.1:" + port) && r.stderr().contains("Connection refused"),
        r.describe());
    assertClean(r, S3ProxyServer.CREDENTIAL);
  }

  @Test
  void missingRepositoryAndBadUrl() {
    RoadieProcess.Result r = roadie("s3://cli-bucket/nothing-here").run("snapshots");
    assertEquals(10, r.exitCode(), r.describe());
    RoadieProcess.Result noBucket = roadie("s3://no-such-bucket-here/x").run("snapshots");
    assertEquals(10, noBucket.exitCode(), noBucket.describe());
    assertTrue(
        noBucket.stderr().contains("no repository at s3://no-such-bucket-here/x"),
        noBucket.describe());
    RoadieProcess.Result bad = roadie("s3://Bad_Bucket/x").run("snapshots");
    assertEquals(2, bad.exitCode(), bad.describe());
    assertTrue(bad.stderr().contains("invalid S3 bucket name"), bad.describe());
  }

  @Test
  void aLocationCanNameItsEndpoint() throws Exception {
    // The location's endpoint wins over AWS_ENDPOINT_URL (which points nowhere here).
    String located = "s3:" + server.endpoint() + "/located-bucket/repo";
    RoadieProcess roadie = roadie(located).env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    RoadieProcess.Result init = roadie.run("init").assertOk();
    assertTrue(init.stdout().contains(located), init.describe());
    byte[] data = "named endpoint\n".getBytes();
    roadie.copy().stdin(data).run("backup", "file", "--stdin", "--name", "x").assertOk();
    assertArrayEquals(data, roadie.run("restore", "latest", "--stdout").assertOk().stdoutBytes());

    // Two endpoints for one repository: refused, not one silently chosen.
    RoadieProcess.Result both =
        roadie.run("snapshots", "--s3-endpoint", server.endpoint()).assertExit(2);
    assertTrue(both.stderr().contains("names its endpoint already"), both.describe());
    // S3 options with a local repository are a mistake (e.g. meant for copy's source).
    RoadieProcess.Result local =
        roadie
            .run("snapshots", "--repo", tmp.resolve("local").toString(), "--profile", "x")
            .assertExit(2);
    assertTrue(
        local.stderr().contains("--profile applies to a repository on S3"), local.describe());
    for (String bad :
        new String[] {
          "s3:127.0.0.1:9000/located-bucket", "s3:http://127.0.0.1:9000", "s3://host:9000/b"
        }) {
      RoadieProcess.Result r = roadie.run("snapshots", "--repo", bad).assertExit(2);
      assertTrue(
          r.stderr().contains("s3://BUCKET/PREFIX")
              && r.stderr().contains("s3:http(s)://HOST[:PORT]/BUCKET/PREFIX"),
          r.describe());
      assertClean(r, S3ProxyServer.CREDENTIAL);
    }
  }

  @Test
  void httpsWithAPrivateCaFile() throws Exception {
    TestPki pki = TestPki.create(tmp.resolve("pki"));
    try (S3ProxyServer tls = S3ProxyServer.startHttps(pki)) {
      String repo = "s3:" + tls.endpoint() + "/tls-bucket/repo";
      RoadieProcess roadie = roadie(repo);
      roadie.run("init", "--s3-ca-file", pki.caCert().toString()).assertOk();
      byte[] data = "over https\n".getBytes();
      roadie
          .copy()
          .stdin(data)
          .run("backup", "file", "--stdin", "--name", "x", "--s3-ca-file", pki.caCert().toString())
          .assertOk();
      assertArrayEquals(
          data,
          roadie
              .run("restore", "latest", "--stdout", "--s3-ca-file", pki.caCert().toString())
              .assertOk()
              .stdoutBytes());
      // Without it the JVM's trust store does not know the CA: a clear error, not "try again".
      RoadieProcess.Result r = roadie.run("snapshots").assertExit(1);
      assertTrue(
          r.stderr().contains("TLS failed") && r.stderr().contains("--s3-ca-file FILE"),
          r.describe());
      assertClean(r, S3ProxyServer.CREDENTIAL);
      // A plain-http endpoint has no use for it.
      roadie("s3:" + server.endpoint() + "/cli-bucket/team/prod")
          .run("snapshots", "--s3-ca-file", pki.caCert().toString())
          .assertExit(2);
    }
  }

  static void assertClean(RoadieProcess.Result r, String secret) {
    assertFalse(r.stderr().contains("\tat "), "no stack trace: " + r.describe());
    assertFalse(r.stderr().contains("Exception"), "no exception names: " + r.describe());
    assertFalse(
        r.stderr().contains(secret) || r.stdout().contains(secret), "no secret: " + r.describe());
  }
}
