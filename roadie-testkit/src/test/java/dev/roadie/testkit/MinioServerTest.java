package dev.roadie.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The MinIO the S3 tests get: versioning and object lock work, and mc reaches it. */
@Tag("slow")
class MinioServerTest {
  @TempDir Path tmp;

  @Test
  void bucketWithObjectLockKeepsEveryVersionAndRefusesToDeleteALockedOne() throws Exception {
    try (MinioServer minio = MinioServer.start();
        S3Client s3 = client(minio)) {
      s3.createBucket(b -> b.bucket("locked").objectLockEnabledForBucket(true));
      assertEquals(
          BucketVersioningStatus.ENABLED,
          s3.getBucketVersioning(b -> b.bucket("locked")).status(),
          "object lock turns versioning on");

      String first =
          s3.putObject(b -> b.bucket("locked").key("k"), RequestBody.fromString("one")).versionId();
      s3.putObject(b -> b.bucket("locked").key("k"), RequestBody.fromString("two"));
      List<ObjectVersion> versions = s3.listObjectVersions(b -> b.bucket("locked")).versions();
      assertEquals(2, versions.size(), versions.toString());

      s3.putObjectRetention(
          b ->
              b.bucket("locked")
                  .key("k")
                  .versionId(first)
                  .retention(
                      r ->
                          r.mode(ObjectLockRetentionMode.COMPLIANCE)
                              .retainUntilDate(Instant.now().plus(1, ChronoUnit.DAYS))));
      // MinIO refuses with 400 InvalidRequest ("Object is WORM protected"), where AWS says 403.
      assertThrows(
          S3Exception.class,
          () -> s3.deleteObject(b -> b.bucket("locked").key("k").versionId(first)));
      assertEquals(
          "one",
          s3.getObjectAsBytes(b -> b.bucket("locked").key("k").versionId(first)).asUtf8String());
    }
  }

  @Test
  void mcReachesTheServerWithCredentialsFromTheEnvironment() throws Exception {
    try (MinioServer minio = MinioServer.start();
        S3Client s3 = client(minio)) {
      s3.createBucket(b -> b.bucket("plain"));
      s3.putObject(b -> b.bucket("plain").key("dir/file.txt"), RequestBody.fromString("hello"));

      ProcessBuilder pb =
          new ProcessBuilder(MinioServer.mc().toString(), "cat", "test/plain/dir/file.txt")
              .redirectErrorStream(true);
      pb.environment().putAll(minio.mcEnv("test", tmp.resolve("mc")));
      assertEquals("hello", run(pb));
      assertTrue(
          Files.isDirectory(tmp.resolve("mc")), "mc keeps its configuration where it was told");
    }
  }

  @Test
  void closeStopsTheServerAndDeletesItsData() throws Exception {
    MinioServer minio = MinioServer.start();
    Path dir = minio.dir();
    assertTrue(Files.isDirectory(dir.resolve("data")));
    minio.close();
    assertTrue(Files.notExists(dir), dir + " is left behind");
    try (S3Client s3 = client(minio)) {
      assertThrows(Exception.class, s3::listBuckets, "the server still answers after close");
    }
  }

  private static S3Client client(MinioServer minio) {
    return S3Client.builder()
        .endpointOverride(minio.endpoint())
        .forcePathStyle(true)
        .region(Region.of(minio.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
        .httpClientBuilder(ApacheHttpClient.builder())
        .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)))
        .build();
  }

  static String run(ProcessBuilder pb) throws IOException, InterruptedException {
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", pb.command()) + " said: " + out);
    return out;
  }
}
