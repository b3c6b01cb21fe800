package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.roadie.testkit.MinioServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 * {@code roadie backup bucket} and the restore of bucket snapshots as a user runs them, against
 * MinIO, with the bucket's server and credentials from the AWS variables (and the repository in a
 * directory), and the exit codes and messages of what goes wrong.
 */
@Tag("slow")
class BucketCliTest {
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
    s3.createBucket(b -> b.bucket("photos"));
    for (int i = 0; i < 20; i++) {
      int n = i;
      s3.putObject(
          b ->
              b.bucket("photos")
                  .key("2024/p" + n + ".jpg")
                  .contentType("image/jpeg")
                  .metadata(Map.of("camera", "c" + n)),
          RequestBody.fromString("photo " + n));
    }
    RoadieProcess.of(tmp.resolve("repo"), "pw").run("init").assertExit(0);
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  /**
   * roadie with the repository in a directory and MinIO's endpoint and keys in the AWS variables.
   */
  static RoadieProcess roadie() {
    RoadieProcess p = RoadieProcess.of(tmp.resolve("repo"), "pw");
    minio.env().forEach(p::env);
    return p;
  }

  @Test
  void backupThenRestoreIntoAnotherBucketAndADirectory() throws Exception {
    RoadieProcess.Result b = roadie().run("backup", "bucket", "s3://photos").assertExit(0);
    String target = "bucket://" + minio.endpoint().getAuthority() + "/photos";
    assertTrue(
        b.stdout().startsWith("snapshot ")
            && b.stdout().contains(" of " + target + " saved: 20 objects, "),
        b.describe());
    RoadieProcess.Result again = roadie().run("backup", "bucket", "s3://photos").assertExit(0);
    assertTrue(
        again.stdout().contains("saved: 20 objects (20 unchanged), 0 B read"), again.describe());

    RoadieProcess.Result r =
        roadie()
            .run(
                "restore",
                "latest",
                "--of",
                "s3:" + minio.endpoint() + "/photos",
                "--to",
                "s3://copy")
            .assertExit(0);
    assertTrue(
        r.stdout().contains("to s3:" + minio.endpoint() + "/copy: 20 objects written, 0 unchanged"),
        r.describe());
    assertTrue(r.stdout().contains("created the bucket copy"), r.describe());
    assertEquals(
        "photo 7", s3.getObjectAsBytes(b2 -> b2.bucket("copy").key("2024/p7.jpg")).asUtf8String());
    assertEquals(
        "c7", s3.headObject(b2 -> b2.bucket("copy").key("2024/p7.jpg")).metadata().get("camera"));

    s3.putObject(
        b2 -> b2.bucket("copy").key("stray"), RequestBody.fromString("not in the snapshot"));
    RoadieProcess.Result kept =
        roadie().run("restore", "latest", "--to", "s3://copy").assertExit(0);
    assertTrue(kept.stdout().contains("0 objects written, 20 unchanged"), kept.describe());
    assertTrue(
        kept.stdout()
            .contains(
                "1 object under s3:"
                    + minio.endpoint()
                    + "/copy that the snapshot does not have "
                    + "was left in place (--delete-extra removes them)"),
        kept.describe());
    RoadieProcess.Result deleted =
        roadie().run("restore", "latest", "--to", "s3://copy", "--delete-extra").assertExit(0);
    assertTrue(deleted.stdout().contains("1 extra deleted"), deleted.describe());
    RoadieProcess.Result inClass =
        roadie()
            .run("restore", "latest", "--to", "s3://copy", "--storage-class", "reduced_redundancy")
            .assertExit(0);
    assertTrue(inClass.stdout().contains("20 objects written, 0 unchanged"), inClass.describe());
    assertEquals(
        "REDUCED_REDUNDANCY",
        s3.headObject(b2 -> b2.bucket("copy").key("2024/p7.jpg")).storageClassAsString());
    RoadieProcess.Result refused =
        roadie()
            .run("restore", "latest", "--to", "s3://copy-ia", "--storage-class", "STANDARD_IA")
            .assertExit(1);
    assertTrue(
        refused.stderr().contains("the server does not offer storage class STANDARD_IA"),
        refused.describe());
    RoadieProcess.Result noBucket =
        roadie()
            .run(
                "restore",
                "latest",
                "--target",
                tmp.resolve("class").toString(),
                "--storage-class",
                "STANDARD")
            .assertExit(2);
    assertTrue(
        noBucket.stderr().contains("--storage-class applies to a restore into a bucket"),
        noBucket.describe());

    Path dir = tmp.resolve("files");
    roadie()
        .run("restore", "latest", "--target", dir.toString(), "--include", "2024/p1*")
        .assertExit(0);
    assertEquals("photo 1", Files.readString(dir.resolve("2024/p1.jpg")));
    assertTrue(Files.exists(dir.resolve("2024/p19.jpg")));
    assertFalse(
        Files.exists(dir.resolve("2024/p2.jpg")), "--include leaves out what it does not match");
    assertTrue(
        Files.readString(dir.resolve(".roadie-bucket-metadata.jsonl"))
            .contains("\"camera\":\"c1\""));
  }

  @Test
  void whatGoesWrongIsSaidWithTheRightExitCode() {
    RoadieProcess.Result missing =
        roadie().run("backup", "bucket", "s3://no-such-bucket").assertExit(1);
    assertTrue(
        missing.stderr().contains("the bucket no-such-bucket does not exist"), missing.describe());

    RoadieProcess.Result wrong =
        roadie()
            .env("AWS_SECRET_ACCESS_KEY", "wrong-secret")
            .run("backup", "bucket", "s3://photos")
            .assertExit(1);
    assertTrue(wrong.stderr().contains("S3 refused the credentials"), wrong.describe());
    assertFalse(wrong.stderr().contains("wrong-secret"), wrong.describe());

    RoadieProcess.Result twice =
        roadie()
            .run(
                "backup",
                "bucket",
                "s3:" + minio.endpoint() + "/photos",
                "--bucket-endpoint",
                minio.endpoint().toString())
            .assertExit(2);
    assertTrue(twice.stderr().contains("names its endpoint already"), twice.describe());

    // --profile is the repository's on every command (here a local one): the bucket's is
    // --bucket-profile.
    RoadieProcess.Result repoProfile =
        roadie().run("backup", "bucket", "s3://photos", "--profile", "prod").assertExit(2);
    assertTrue(
        repoProfile.stderr().contains("--profile applies to a repository on S3")
            && repoProfile.stderr().contains("--bucket-profile"),
        repoProfile.describe());

    RoadieProcess.Result notABucket = roadie().run("backup", "bucket", "/tmp/photos").assertExit(2);
    assertTrue(notABucket.stderr().contains("is not a bucket location"), notABucket.describe());

    roadie()
        .run(
            "backup",
            "file",
            tmp.resolve("repo").resolve("config").toString(),
            "--target",
            "a-file")
        .assertExit(0);
    RoadieProcess.Result extra =
        roadie()
            .run(
                "restore",
                "latest",
                "--of",
                "a-file",
                "--target",
                tmp.resolve("x").toString(),
                "--delete-extra")
            .assertExit(2);
    assertTrue(
        extra.stderr().contains("--delete-extra applies to bucket snapshots"), extra.describe());
  }

  @Test
  void listAndDiffSnapshotsOfAVersionedBucket() throws Exception {
    s3.createBucket(b -> b.bucket("versioned"));
    s3.putBucketVersioning(
        b -> b.bucket("versioned").versioningConfiguration(v -> v.status("Enabled")));
    for (String[] o :
        new String[][] {
          {"docs/a.txt", "one"}, {"docs/b.txt", "bee"}, {"top.txt", "t"}, {"odd\nkey", "n"}
        }) {
      s3.putObject(b -> b.bucket("versioned").key(o[0]), RequestBody.fromString(o[1]));
    }
    RoadieProcess roadie = RoadieProcess.of(tmp.resolve("browse-repo"), "pw");
    minio.env().forEach(roadie::env);
    roadie.run("init").assertExit(0);
    roadie.run("backup", "bucket", "s3://versioned", "--all-versions").assertExit(0);
    s3.putObject(b -> b.bucket("versioned").key("docs/a.txt"), RequestBody.fromString("two"));
    s3.deleteObject(b -> b.bucket("versioned").key("docs/b.txt"));
    roadie.run("backup", "bucket", "s3://versioned", "--all-versions").assertExit(0);

    assertEquals(
        "docs/a.txt\n$'odd\\nkey'\ntop.txt\n",
        roadie.run("ls", "latest").assertExit(0).stdout(),
        "the current objects, a newline in a key escaped");
    String top = roadie.run("ls", "latest", "/", "--long").assertExit(0).stdout();
    assertTrue(top.matches("(?s)prefix\\s+3\\s+-\\s+docs/  objects=1\n.*"), top);
    String versions =
        roadie.run("ls", "latest", "docs", "--versions", "--long").assertExit(0).stdout();
    List<String> lines = List.of(versions.split("\n"));
    assertEquals(4, lines.size(), versions);
    assertEquals(
        1,
        lines.stream().filter(l -> l.contains("docs/a.txt") && l.endsWith("(noncurrent)")).count(),
        versions);
    assertEquals(
        1,
        lines.stream()
            .filter(l -> l.startsWith("delete-marker") && l.contains("docs/b.txt"))
            .count(),
        versions);

    JsonNode snapshots =
        new ObjectMapper().readTree(roadie.run("snapshots", "--json").assertExit(0).stdout());
    RoadieProcess.Result diff =
        roadie
            .run(
                "diff",
                snapshots.get(0).get("shortId").asText(),
                snapshots.get(1).get("shortId").asText())
            .assertExit(1);
    assertTrue(
        diff.stdout().startsWith("M  docs/a.txt  (content, mtime, version, "), diff.describe());
    assertTrue(diff.stdout().contains("\n-  docs/b.txt\n"), diff.describe());
    assertTrue(
        diff.stdout().endsWith("0 added, 1 removed, 1 changed, 0 with changed attributes\n"),
        diff.describe());
  }
}
