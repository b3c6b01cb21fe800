package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.s3.S3Clients;
import dev.roadie.s3.S3Settings;
import dev.roadie.s3.TestPki;
import dev.roadie.testkit.MinioServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * In transit and at rest on a MinIO that serves only https, with a certificate of a throwaway CA,
 * and has a KMS key: {@code --s3-ca-file} is what makes roadie trust it, and {@code --s3-sse} asks
 * MinIO to encrypt what roadie stores (SSE-S3, SSE-KMS with a key id).
 */
@Tag("slow")
class S3TlsEncryptionCliTest {
  static final String KMS_KEY = "roadie-test-key";

  @TempDir static Path tmp;
  static TestPki pki;
  static MinioServer minio;
  static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(tmp.resolve("pki"));
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(pki.serverCert(), certs.resolve("public.crt"));
    Files.copy(pki.serverKey(), certs.resolve("private.key"));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    minio = MinioServer.start(certs, KMS_KEY + ":" + Base64.getEncoder().encodeToString(key));
    assertEquals("https", minio.endpoint().getScheme());
    s3 =
        S3Clients.create(
            new S3Settings(
                minio.endpoint(),
                true,
                minio.region(),
                null,
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())),
                pki.caCert()));
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  static RoadieProcess roadie(String repo) {
    RoadieProcess p =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo)
            .env("ROADIE_PASSWORD", "tls-pw")
            .unsetEnv("AWS_PROFILE")
            .unsetEnv("ROADIE_S3_SSE")
            .unsetEnv("ROADIE_S3_SSE_KMS_KEY_ID");
    minio.env().forEach(p::env);
    return p;
  }

  @Test
  void aPrivateCaIsTrustedOnlyWhenGiven() {
    RoadieProcess roadie = roadie("s3://tls-only/repo");
    RoadieProcess.Result untrusted = roadie.run("init").assertExit(1);
    assertTrue(
        untrusted.stderr().contains("TLS failed")
            && untrusted.stderr().contains("--s3-ca-file FILE"),
        untrusted.describe());
    RoadieProcess.Result wrongCa =
        roadie.run("init", "--s3-ca-file", pki.otherCaCert().toString()).assertExit(1);
    assertTrue(
        wrongCa.stderr().contains("TLS failed")
            && wrongCa.stderr().contains("must be signed by a CA in"),
        wrongCa.describe());
    assertFalse(wrongCa.stderr().contains(minio.secretKey()), wrongCa.describe());

    roadie.run("init", "--s3-ca-file", pki.caCert().toString()).assertExit(0);
    byte[] data = "over https to MinIO\n".getBytes();
    roadie
        .copy()
        .stdin(data)
        .run("backup", "file", "--stdin", "--name", "x", "--s3-ca-file", pki.caCert().toString())
        .assertExit(0);
    assertArrayEquals(
        data,
        roadie
            .run("restore", "latest", "--stdout", "--s3-ca-file", pki.caCert().toString())
            .assertExit(0)
            .stdoutBytes());
  }

  @Test
  void serverSideEncryptionIsAskedForEveryObjectWritten() throws Exception {
    String ca = pki.caCert().toString();
    RoadieProcess sseS3 = roadie("s3://sse-s3/repo");
    sseS3.run("init", "--s3-ca-file", ca, "--s3-sse", "AES256").assertExit(0);
    byte[] data = new byte[300_000];
    new SecureRandom().nextBytes(data);
    sseS3
        .copy()
        .stdin(data)
        .run(
            "backup", "file", "--stdin", "--name", "blob", "--s3-ca-file", ca, "--s3-sse", "aes256")
        .assertExit(0);
    assertEveryObject("sse-s3", "AES256", null);
    assertArrayEquals(
        data,
        sseS3.run("restore", "latest", "--stdout", "--s3-ca-file", ca).assertExit(0).stdoutBytes());

    // SSE-KMS with a key id, here from the environment.
    RoadieProcess kms = roadie("s3://sse-kms/repo").env("ROADIE_S3_SSE_KMS_KEY_ID", KMS_KEY);
    kms.run("init", "--s3-ca-file", ca).assertExit(0);
    kms.copy()
        .stdin(data)
        .run("backup", "file", "--stdin", "--name", "blob", "--s3-ca-file", ca)
        .assertExit(0);
    assertEveryObject("sse-kms", "aws:kms", KMS_KEY);
    assertArrayEquals(
        data,
        roadie("s3://sse-kms/repo")
            .run("restore", "latest", "--stdout", "--s3-ca-file", ca)
            .assertExit(0)
            .stdoutBytes());

    RoadieProcess.Result bad =
        roadie("s3://sse-s3/repo")
            .run("snapshots", "--s3-ca-file", ca, "--s3-sse", "rot13")
            .assertExit(2);
    assertTrue(
        bad.stderr().contains("must be AES256 (SSE-S3) or aws:kms (SSE-KMS)"), bad.describe());
    RoadieProcess.Result local =
        RoadieProcess.of(tmp.resolve("local"), "pw")
            .run("init", "--s3-sse", "AES256")
            .assertExit(2);
    assertTrue(local.stderr().contains("--s3-sse applies to a repository on S3"), local.describe());
  }

  static void assertEveryObject(String bucket, String algorithm, String keyId) {
    List<S3Object> objects = s3.listObjectsV2(b -> b.bucket(bucket)).contents();
    assertTrue(objects.size() >= 5, "config, a key, packs, an index, a snapshot: " + objects);
    for (S3Object o : objects) {
      HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(o.key()));
      assertEquals(algorithm, head.serverSideEncryptionAsString(), o.key());
      if (keyId != null)
        assertTrue(head.ssekmsKeyId().endsWith(keyId), o.key() + ": " + head.ssekmsKeyId());
    }
  }
}
