package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.core.json.Json;
import dev.roadie.testkit.MinioServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code roadie mirror} as a user runs it against MinIO: the report, {@code --check}'s exit codes,
 * endpoints and profiles per side, errors, and a watch ended by SIGTERM.
 */
@Tag("slow")
class MirrorCliTest {
  @TempDir static Path tmp;
  static MinioServer minio;
  static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 =
        S3Client.builder()
            .endpointOverride(minio.endpoint())
            .forcePathStyle(true)
            .region(Region.of(minio.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
            .build();
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  /** roadie with MinIO's endpoint and keys in the AWS variables, and no repository. */
  static RoadieProcess roadie() {
    RoadieProcess p = RoadieProcess.bare();
    minio.env().forEach(p::env);
    return p;
  }

  static void put(String bucket, String key, String text) {
    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(text));
  }

  static String get(String bucket, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }

  @Test
  void mirrorReportsWhatItDidAndCheckExitsZeroWhenEqualAndOneWhenNot() throws Exception {
    s3.createBucket(b -> b.bucket("cli-src"));
    put("cli-src", "a.txt", "alpha");
    put("cli-src", "docs/b c.txt", "beta");
    RoadieProcess.Result first =
        roadie().run("mirror", "s3://cli-src", "s3://cli-dst").assertExit(0);
    assertTrue(first.stdout().contains("copied a.txt (5 B)\n"), first.describe());
    assertTrue(first.stdout().contains("copied docs/b c.txt (4 B)\n"), first.describe());
    assertTrue(
        first
            .stdout()
            .contains(
                "2 copied, 0 updated, 0 deleted, 0 skipped, 0 failed, 0 unchanged; 9 B copied"),
        first.describe());
    assertTrue(
        first.stderr().contains("roadie mirror: created the bucket cli-dst"), first.describe());

    RoadieProcess.Result equal =
        roadie().run("mirror", "--check", "s3://cli-src", "s3://cli-dst").assertExit(0);
    assertTrue(
        equal.stdout().startsWith("equal: 2 equal, 0 missing, 0 extra, 0 different"),
        equal.describe());

    put("cli-src", "a.txt", "ALPHA"); // same size
    put("cli-dst", "stray", "only here");
    RoadieProcess.Result differ =
        roadie().run("mirror", "--check", "--json", "s3://cli-src", "s3://cli-dst").assertExit(1);
    JsonNode d = Json.MAPPER.readTree(differ.stdout());
    assertEquals("a.txt", d.path("different").path(0).path("key").asText(), differ.describe());
    assertEquals("stray", d.path("extra").path(0).path("key").asText(), differ.describe());
    assertEquals(1, d.path("counts").path("equal").asInt(), differ.describe());
    assertEquals("alpha", get("cli-dst", "a.txt"), "--check changes nothing");

    RoadieProcess.Result kept =
        roadie().run("mirror", "s3://cli-src", "s3://cli-dst").assertExit(0);
    assertTrue(
        kept.stdout().contains("updated a.txt (5 B, changed at the source)"), kept.describe());
    assertTrue(
        kept.stdout().contains("1 only in the destination (kept; --delete removes them)"),
        kept.describe());
    assertEquals("ALPHA", get("cli-dst", "a.txt"));

    RoadieProcess.Result deleted =
        roadie().run("mirror", "--delete", "--json", "s3://cli-src", "s3://cli-dst").assertExit(0);
    JsonNode j = Json.MAPPER.readTree(deleted.stdout());
    assertEquals(1, j.path("counts").path("deleted").asInt(), deleted.describe());
    assertEquals("stray", j.path("deleted").path(0).path("key").asText(), deleted.describe());
    assertEquals(2, j.path("counts").path("unchanged").asInt(), deleted.describe());
    roadie().run("mirror", "--check", "s3://cli-src", "s3://cli-dst").assertExit(0);

    // Tags alone: found by --check, left by a plain pass, set by a pass with --tags.
    s3.putObjectTagging(
        b ->
            b.bucket("cli-src")
                .key("a.txt")
                .tagging(
                    t ->
                        t.tagSet(
                            software.amazon.awssdk.services.s3.model.Tag.builder()
                                .key("k")
                                .value("v")
                                .build())));
    roadie().run("mirror", "--check", "s3://cli-src", "s3://cli-dst").assertExit(1);
    roadie().run("mirror", "s3://cli-src", "s3://cli-dst").assertExit(0);
    RoadieProcess.Result tagged =
        roadie().run("mirror", "--tags", "s3://cli-src", "s3://cli-dst").assertExit(0);
    assertTrue(
        tagged.stdout().contains("updated a.txt: tags changed at the source\n"), tagged.describe());
    roadie().run("mirror", "--check", "s3://cli-src", "s3://cli-dst").assertExit(0);
  }

  @Test
  void eachSideHasItsOwnEndpointAndProfile() throws Exception {
    s3.createBucket(b -> b.bucket("ep-src"));
    put("ep-src", "k", "v");
    Path credentials = tmp.resolve("credentials");
    Files.writeString(
        credentials,
        "[src]\naws_access_key_id = "
            + minio.accessKey()
            + "\naws_secret_access_key = "
            + minio.secretKey()
            + "\n[dst]\naws_access_key_id = "
            + minio.accessKey()
            + "\naws_secret_access_key = not-the-secret-4711\n");
    RoadieProcess noKeys =
        RoadieProcess.bare()
            .env("AWS_SHARED_CREDENTIALS_FILE", credentials.toString())
            .env("AWS_CONFIG_FILE", tmp.resolve("no-config").toString())
            .env("AWS_REGION", minio.region())
            .unsetEnv("AWS_ACCESS_KEY_ID")
            .unsetEnv("AWS_SECRET_ACCESS_KEY")
            .unsetEnv("AWS_ENDPOINT_URL")
            .unsetEnv("AWS_ENDPOINT_URL_S3")
            .unsetEnv("AWS_PROFILE");

    // The source names its endpoint; the destination takes --s3-endpoint. Profiles per side.
    noKeys
        .copy()
        .run(
            "mirror",
            "s3:" + minio.endpoint() + "/ep-src",
            "s3://ep-dst",
            "--s3-endpoint",
            minio.endpoint().toString(),
            "--from-profile",
            "src",
            "--profile",
            "src")
        .assertExit(0);
    assertEquals("v", get("ep-dst", "k"));

    RoadieProcess.Result refused =
        noKeys
            .copy()
            .run(
                "mirror",
                "s3://ep-src",
                "s3://ep-dst2",
                "--from-s3-endpoint",
                minio.endpoint().toString(),
                "--s3-endpoint",
                minio.endpoint().toString(),
                "--from-profile",
                "src",
                "--profile",
                "dst")
            .assertExit(1);
    assertTrue(
        refused
            .stderr()
            .contains(
                "roadie: destination s3://ep-dst2 at "
                    + minio.endpoint()
                    + ": the server refused the credentials (HTTP 403 SignatureDoesNotMatch"),
        refused.describe());
    assertTrue(refused.stderr().contains("check the profile 'dst'"), refused.describe());
    assertFalse(refused.stderr().contains("not-the-secret-4711"), refused.describe());

    RoadieProcess.Result both =
        noKeys
            .copy()
            .run(
                "mirror",
                "s3:" + minio.endpoint() + "/ep-src",
                "s3://ep-dst",
                "--from-s3-endpoint",
                minio.endpoint().toString())
            .assertExit(2);
    assertTrue(
        both.stderr().contains("names its endpoint already: leave out --from-s3-endpoint"),
        both.describe());
  }

  @Test
  void mistakesAndMissingBucketsAreNamedWithTheirExitCodes() {
    RoadieProcess.Result overlap =
        roadie().run("mirror", "s3://same/a", "s3://same/a/b").assertExit(2);
    assertTrue(overlap.stderr().contains("overlap"), overlap.describe());
    RoadieProcess.Result notBucket =
        roadie().run("mirror", "/tmp/x", "s3://y-bucket").assertExit(2);
    assertTrue(
        notBucket.stderr().contains("the source '/tmp/x' is not a bucket location"),
        notBucket.describe());
    roadie().run("mirror", "--check", "--delete", "s3://aaa", "s3://bbb").assertExit(2);

    RoadieProcess.Result missing =
        roadie().run("mirror", "s3://no-such-src", "s3://some-dst").assertExit(1);
    assertTrue(
        missing
            .stderr()
            .contains(
                "roadie: source s3://no-such-src at "
                    + minio.endpoint()
                    + ": the bucket no-such-src does not exist"),
        missing.describe());
    assertFalse(
        s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals("some-dst")),
        "no destination bucket is made for a source that does not exist");
    RoadieProcess.Result checkMissing =
        roadie().run("mirror", "--check", "s3://no-such-src", "s3://some-dst").assertExit(2);
    assertTrue(
        checkMissing.stderr().contains("the bucket no-such-src does not exist"),
        checkMissing.describe());
  }

  /**
   * --storage-class: written copies get it (the name in any case); one the server does not offer
   * ends the pass at once with exit 1 (not 75: running it again would not help) and says what to
   * give instead.
   */
  @Test
  void aStorageClassIsGivenToCopiesAndOneNotOfferedEndsThePass() {
    s3.createBucket(b -> b.bucket("class-src"));
    for (int i = 0; i < 30; i++) put("class-src", "k" + i, "object " + i);
    roadie()
        .run("mirror", "--storage-class", "reduced_redundancy", "s3://class-src", "s3://class-dst")
        .assertExit(0);
    assertEquals(
        "REDUCED_REDUNDANCY",
        s3.headObject(r -> r.bucket("class-dst").key("k7")).storageClassAsString());

    RoadieProcess.Result refused =
        roadie()
            .run("mirror", "--storage-class", "STANDARD_IA", "s3://class-src", "s3://class-ia")
            .assertExit(1);
    assertTrue(
        refused.stderr().contains("the server does not offer storage class STANDARD_IA"),
        refused.describe());
    assertTrue(refused.stderr().contains("mirror stopped early"), refused.describe());
    assertTrue(
        refused.stderr().lines().filter(l -> l.contains("InvalidStorageClass")).count() <= 17,
        "stops at the first refusals, not one per object: " + refused.describe());

    roadie()
        .run("mirror", "--check", "--storage-class", "STANDARD", "s3://class-src", "s3://class-dst")
        .assertExit(2);
    roadie()
        .run("mirror", "--storage-class", "no class", "s3://class-src", "s3://class-dst")
        .assertExit(2);
  }

  @Test
  void aWatchBringsChangesOverAndEndsWithItsTotalOnSigterm() throws Exception {
    s3.createBucket(b -> b.bucket("w-src"));
    put("w-src", "one", "1");
    RoadieProcess.Running w =
        roadie().start("mirror", "--watch", "--full-every", "1s", "s3://w-src", "s3://w-dst");
    try {
      awaitObject("w-dst", "one", w);
      put("w-src", "two", "2");
      awaitObject("w-dst", "two", w);
    } finally {
      w.process.toHandle().destroy(); // SIGTERM (Process.destroy would also close the pipes)
    }
    RoadieProcess.Result r = w.await(Duration.ofSeconds(30));
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(
        r.stdout().contains("copied one (1 B)") && r.stdout().contains("copied two (1 B)"),
        r.describe());
    assertTrue(r.stdout().contains("2 copied, "), r.describe());
  }

  static void awaitObject(String bucket, String key, RoadieProcess.Running w)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        s3.headObject(b -> b.bucket(bucket).key(key));
        return;
      } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
        if (!w.isAlive())
          throw new AssertionError("the watch ended: " + w.await(Duration.ofSeconds(5)).describe());
        Thread.sleep(200);
      }
    }
    throw new AssertionError(
        key + " did not arrive in " + bucket + " within 30 s; so far: " + w.stdoutSoFar());
  }
}
