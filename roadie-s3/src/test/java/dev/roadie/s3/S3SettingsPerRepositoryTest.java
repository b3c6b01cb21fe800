package dev.roadie.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.backend.ObjectName;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backends opened through the provider, each with its own settings: two s3proxy servers with
 * different credentials (given as profiles of a shared credentials file) in one process, and a
 * third serving https with a throwaway CA.
 */
class S3SettingsPerRepositoryTest {
  @TempDir static Path tmp;
  static S3ProxyServer alpha;
  static S3ProxyServer beta;
  static S3ProxyServer https;
  static TestPki pki;

  @BeforeAll
  static void start() throws Exception {
    alpha = S3ProxyServer.start("alpha-access", "alpha-secret-do-not-print");
    beta = S3ProxyServer.start("beta-access", "beta-secret-do-not-print");
    pki = TestPki.create(tmp.resolve("pki"));
    https = S3ProxyServer.startHttps(pki);
    // The SDK reads these properties before AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
    Path credentials = tmp.resolve("credentials");
    Files.writeString(
        credentials,
        String.join(
            "\n",
            "[alpha]",
            "aws_access_key_id = alpha-access",
            "aws_secret_access_key = alpha-secret-do-not-print",
            "[beta]",
            "aws_access_key_id = beta-access",
            "aws_secret_access_key = beta-secret-do-not-print",
            "[tls]",
            "aws_access_key_id = " + S3ProxyServer.IDENTITY,
            "aws_secret_access_key = " + S3ProxyServer.CREDENTIAL,
            "[empty]",
            "region = us-east-1",
            ""));
    Path config = tmp.resolve("config");
    Files.writeString(config, "[profile alpha]\nregion = us-east-1\n");
    System.setProperty("aws.sharedCredentialsFile", credentials.toString());
    System.setProperty("aws.configFile", config.toString());
  }

  @AfterAll
  static void stop() {
    System.clearProperty("aws.sharedCredentialsFile");
    System.clearProperty("aws.configFile");
    for (S3ProxyServer s : new S3ProxyServer[] {alpha, beta, https}) {
      if (s != null) s.close();
    }
  }

  private static BackendSettings profile(String name) {
    return new BackendSettings(null, null, null, name, null);
  }

  private static void put(Backend b, String text) throws IOException {
    b.prepareForInit();
    b.write(ObjectName.CONFIG, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), false);
  }

  private static String config(Backend b) throws IOException {
    return new String(b.read(ObjectName.CONFIG), StandardCharsets.UTF_8);
  }

  @Test
  void twoRepositoriesOnTwoEndpointsWithTheirOwnCredentials() throws IOException {
    // One names its endpoint in the location, the other gets it from the settings.
    try (Backend a =
            BackendProvider.forLocation(
                "s3:" + alpha.endpoint() + "/same-bucket/repo", profile("alpha"));
        Backend b =
            BackendProvider.forLocation(
                "s3://same-bucket/repo",
                new BackendSettings(URI.create(beta.endpoint()), null, null, "beta", null))) {
      put(a, "on alpha");
      put(b, "on beta");
      assertEquals("on alpha", config(a));
      assertEquals("on beta", config(b));
      assertEquals("s3:" + alpha.endpoint() + "/same-bucket/repo", a.location());
    }
    // A location's own endpoint wins over the one in the settings (the environment's default).
    try (Backend a =
        BackendProvider.forLocation(
            "s3:" + alpha.endpoint() + "/same-bucket/repo",
            new BackendSettings(URI.create(beta.endpoint()), null, null, "alpha", null))) {
      assertEquals("on alpha", config(a));
    }
  }

  @Test
  void anotherServersCredentialsAreRefusedNamingTheProfile() throws IOException {
    try (Backend a =
        BackendProvider.forLocation(
            "s3:" + alpha.endpoint() + "/same-bucket/repo", profile("beta"))) {
      RoadieException e = assertThrows(RoadieException.class, () -> a.read(ObjectName.CONFIG));
      assertEquals(ErrorCode.FAILURE, e.code(), e.getMessage());
      assertTrue(
          e.getMessage().contains("check the credentials (the profile 'beta')"), e.getMessage());
      assertFalse(e.getMessage().contains("secret-do-not-print"), e.getMessage());
    }
  }

  @Test
  void aMissingProfileOrOneWithoutKeysIsAClearError() throws IOException {
    RoadieException missing =
        assertThrows(
            RoadieException.class,
            () ->
                BackendProvider.forLocation(
                    "s3:" + alpha.endpoint() + "/b-1/x", profile("no-such-profile")));
    assertEquals(ErrorCode.USAGE, missing.code());
    assertTrue(
        missing.getMessage().contains("no AWS profile 'no-such-profile'"), missing.getMessage());
    try (Backend b =
        BackendProvider.forLocation("s3:" + alpha.endpoint() + "/b-1/x", profile("empty"))) {
      RoadieException e = assertThrows(RoadieException.class, () -> b.read(ObjectName.CONFIG));
      assertEquals(ErrorCode.FAILURE, e.code(), e.getMessage());
      assertTrue(
          e.getMessage().contains("the AWS profile 'empty' gives no usable credentials"),
          e.getMessage());
      assertFalse(
          e.getMessage().contains("do-not-print") || e.getMessage().contains("ProfileFile("),
          e.getMessage());
    }
  }

  @Test
  void httpsWithAPrivateCa() throws IOException {
    String location = "s3:" + https.endpoint() + "/tls-bucket/repo";
    try (Backend b =
        BackendProvider.forLocation(
            location, new BackendSettings(null, null, null, "tls", pki.caCert()))) {
      put(b, "over tls");
      assertArrayEquals("over tls".getBytes(StandardCharsets.UTF_8), b.read(ObjectName.CONFIG));
    }
    // Without the CA (the JVM's trust store), or with another CA: not retriable, and says what to
    // give.
    try (Backend b = BackendProvider.forLocation(location, profile("tls"))) {
      RoadieException e = assertThrows(RoadieException.class, () -> b.read(ObjectName.CONFIG));
      assertEquals(ErrorCode.FAILURE, e.code(), e.getMessage());
      assertTrue(
          e.getMessage().contains("TLS failed") && e.getMessage().contains("--s3-ca-file"),
          e.getMessage());
    }
    try (Backend b =
        BackendProvider.forLocation(
            location, new BackendSettings(null, null, null, "tls", pki.otherCaCert()))) {
      RoadieException e = assertThrows(RoadieException.class, () -> b.read(ObjectName.CONFIG));
      assertEquals(ErrorCode.FAILURE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("signed by a CA in " + pki.otherCaCert()), e.getMessage());
    }
  }

  @Test
  void aCaFileMustBePemAndOnlyForHttps() throws IOException {
    Path notPem = Files.writeString(tmp.resolve("not.pem"), "hello\n");
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                BackendProvider.forLocation(
                    "s3:" + https.endpoint() + "/tls-bucket/repo",
                    new BackendSettings(null, null, null, "tls", notPem)));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().contains(notPem + " holds no certificate")
            || e.getMessage().contains(notPem + " is not a PEM certificate file"),
        e.getMessage());
    RoadieException plain =
        assertThrows(
            RoadieException.class,
            () ->
                BackendProvider.forLocation(
                    "s3:" + alpha.endpoint() + "/b-1/x",
                    new BackendSettings(null, null, null, "alpha", pki.caCert())));
    assertEquals(ErrorCode.USAGE, plain.code());
    assertTrue(plain.getMessage().contains("is plain http"), plain.getMessage());
    RoadieException missing =
        assertThrows(
            RoadieException.class,
            () -> new BackendSettings(null, null, null, null, tmp.resolve("missing.pem")));
    assertTrue(missing.getMessage().contains("missing.pem does not exist"), missing.getMessage());
  }

  @Test
  void unreachableIsRetriableAndExitsWithTheTemporaryCode() {
    int port = S3ProxyServer.freePort();
    try (Backend b =
        BackendProvider.forLocation("s3:http://127.0.0.1:" + port + "/b-1/x", profile("alpha"))) {
      RoadieException e =
          assertThrows(RoadieException.Retriable.class, () -> b.read(ObjectName.CONFIG));
      assertEquals(ErrorCode.TEMPORARY, e.code());
      assertEquals(75, e.code().exitCode());
      // Context added by a caller keeps both.
      RoadieException wrapped = e.withContext("source repository: ");
      assertTrue(
          wrapped instanceof RoadieException.Retriable
              && wrapped.getMessage().startsWith("source repository: "));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
