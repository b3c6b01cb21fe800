package dev.roadie.bucket.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.core.RoadieException;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import dev.roadie.testkit.MinioServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What a mirror says when it cannot do its work: a missing bucket, refused credentials, rights
 * missing to list, read or write. Messages name the side and the bucket or object; the destination
 * is left without objects that look complete and are not.
 */
@Tag("slow")
class MirrorErrorsTest {
  @TempDir static Path tmp;
  static MinioServer minio;
  static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = Minio.client(minio);
    s3.createBucket(r -> r.bucket("source"));
    s3.createBucket(r -> r.bucket("target"));
    Minio.put(s3, "source", "a", "1");
    Minio.put(s3, "source", "b", "2");
    // Users with only some rights: list but not read the source; read the source and list but not
    // write the destination; read objects but not list the source.
    user(
        "no-read",
        "[\"s3:ListBucket\"]",
        "arn:aws:s3:::source",
        "arn:aws:s3:::target",
        "arn:aws:s3:::target/*");
    user(
        "no-write",
        "[\"s3:ListBucket\",\"s3:GetObject\",\"s3:GetObjectTagging\"]",
        "arn:aws:s3:::source",
        "arn:aws:s3:::source/*",
        "arn:aws:s3:::target",
        "arn:aws:s3:::target/*");
    user("no-list", "[\"s3:GetObject\"]", "arn:aws:s3:::source/*");
    user(
        "no-tags",
        "[\"s3:ListBucket\",\"s3:GetObject\"]",
        "arn:aws:s3:::tags-src",
        "arn:aws:s3:::tags-src/*");
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  /** A MinIO user NAME (secret NAME-secret) allowed {@code actions} on {@code resources} only. */
  static void user(String name, String actions, String... resources) throws Exception {
    Path policy = tmp.resolve(name + ".json");
    Files.writeString(
        policy,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
            + actions
            + ",\"Resource\":[\""
            + String.join("\",\"", resources)
            + "\"]}]}");
    mc("admin", "user", "add", "t", name, name + "-secret");
    mc("admin", "policy", "create", "t", name, policy.toString());
    mc("admin", "policy", "attach", "t", name, "--user", name);
  }

  static void mc(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of(MinioServer.mc().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(minio.mcEnv("t", tmp.resolve("mc")));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }

  static MirrorReport mirror(String src, S3Settings srcSettings, String dst, S3Settings dstSettings)
      throws Exception {
    try (MirrorSide a = MirrorSide.open("source", S3Location.parse(src), srcSettings);
        MirrorSide b = MirrorSide.open("destination", S3Location.parse(dst), dstSettings)) {
      BucketMirror m =
          new BucketMirror(a, b, BucketMirror.Options.defaults(false), (k, key, r, n) -> {});
      m.createDestinationBucket();
      return m.mirror();
    }
  }

  static S3Settings as(String user) {
    return Minio.settings(minio.endpoint(), minio.region(), user, user + "-secret");
  }

  @Test
  void aMissingSourceBucketIsNamed() {
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                mirror(
                    "s3://no-such-bucket",
                    Minio.settings(minio),
                    "s3://target",
                    Minio.settings(minio)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "source s3://no-such-bucket at "
                    + minio.endpoint()
                    + ": the bucket no-such-bucket does not exist"),
        e.getMessage());
  }

  @Test
  void refusedCredentialsAreNamedWithoutTheSecret() {
    S3Settings wrong =
        Minio.settings(minio.endpoint(), minio.region(), minio.accessKey(), "wrong-secret-123");
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> mirror("s3://source", wrong, "s3://target", Minio.settings(minio)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "source s3://source at "
                    + minio.endpoint()
                    + ": the server refused the credentials (HTTP 403 SignatureDoesNotMatch"),
        e.getMessage());
    assertFalse(e.getMessage().contains("wrong-secret-123"), e.getMessage());

    RoadieException unknown =
        assertThrows(
            RoadieException.class,
            () -> mirror("s3://source", Minio.settings(minio), "s3://target", as("nobody")));
    assertTrue(
        unknown
            .getMessage()
            .startsWith(
                "destination s3://target at "
                    + minio.endpoint()
                    + ": the server refused the credentials (HTTP 403 InvalidAccessKeyId"),
        unknown.getMessage());
  }

  @Test
  void noRightToListTheSourceIsNamed() {
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> mirror("s3://source", as("no-list"), "s3://target", Minio.settings(minio)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "source s3://source at "
                    + minio.endpoint()
                    + ": no permission to list "
                    + "s3://source (HTTP 403 AccessDenied"),
        e.getMessage());
  }

  /**
   * MinIO's listing with metadata leaves the tags out for a user who may not read them: a mirror
   * with --tags that reads the source as such a user must not clear the destination's tags, and a
   * check must not call them different on the listing's word alone.
   */
  @Test
  void tagsHiddenFromTheSourceUserAreNeitherClearedNorCalledDifferent() throws Exception {
    s3.createBucket(r -> r.bucket("tags-src"));
    s3.putObject(
        r -> r.bucket("tags-src").key("t").tagging("team=a"),
        software.amazon.awssdk.core.sync.RequestBody.fromString("tagged"));
    Minio.put(s3, "tags-src", "u", "untagged");
    S3Settings admin = Minio.settings(minio);
    mirror("s3://tags-src", admin, "s3://target/tags", admin);
    try (MirrorSide a =
            MirrorSide.open("source", S3Location.parse("s3://tags-src"), as("no-tags"));
        MirrorSide b =
            MirrorSide.open("destination", S3Location.parse("s3://target/tags"), admin)) {
      MirrorReport r =
          new BucketMirror(
                  a,
                  b,
                  new BucketMirror.Options(false, false, 4, 64L << 20, true, null),
                  (k, key, why, n) -> {})
              .mirror();
      assertEquals(
          List.of("t"), r.items(Kind.FAILED).stream().map(MirrorReport.Item::key).toList());
      assertTrue(
          r.items(Kind.FAILED).get(0).reason().contains("no permission to read the tags of"),
          r.toMap(false).toString());
      MirrorReport check =
          new BucketMirror(a, b, BucketMirror.Options.defaults(false), (k, key, why, n) -> {})
              .check();
      assertEquals(0, check.count(Kind.DIFFERENT), check.toMap(true).toString());
    }
    assertEquals(
        "team",
        s3.getObjectTagging(r -> r.bucket("target").key("tags/t")).tagSet().get(0).key(),
        "the destination keeps its tags");
  }

  @Test
  void objectsThatCannotBeReadFailOneByOneAndNothingIsWritten() throws Exception {
    MirrorReport r = mirror("s3://source", as("no-read"), "s3://target/no-read", as("no-read"));
    assertEquals(2, r.count(Kind.FAILED), r.toMap(false).toString());
    assertTrue(r.failed());
    String reason = r.items(Kind.FAILED).get(0).reason();
    assertTrue(
        reason.startsWith(
            "source s3://source at " + minio.endpoint() + ": no permission to read s3://source/"),
        reason);
    assertEquals(0, s3.listObjectsV2(x -> x.bucket("target").prefix("no-read/")).keyCount());
  }

  @Test
  void aDestinationRefusingWritesFailsEachObjectAndHoldsNoPartialCopies() throws Exception {
    MirrorReport r = mirror("s3://source", as("no-write"), "s3://target/no-write", as("no-write"));
    assertEquals(
        List.of("a", "b"),
        r.items(Kind.FAILED).stream().map(MirrorReport.Item::key).sorted().toList(),
        r.toMap(false).toString());
    for (MirrorReport.Item i : r.items(Kind.FAILED)) {
      assertTrue(
          i.reason()
              .startsWith(
                  "destination s3://target/no-write at "
                      + minio.endpoint()
                      + ": no permission to "),
          i.reason());
    }
    assertEquals(0, s3.listObjectsV2(x -> x.bucket("target").prefix("no-write/")).keyCount());
    assertEquals(0, s3.listMultipartUploads(x -> x.bucket("target")).uploads().size());
  }
}
