package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.s3.S3Backend;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend contract against a real S3 server (s3proxy), each test in a fresh prefix. */
class S3BackendTest extends BackendContractTest {
  static S3ProxyServer server;

  @BeforeAll
  static void startServer() throws IOException {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
  }

  @Override
  protected Backend create() throws IOException {
    S3Backend b =
        new S3Backend(
            S3Location.parse("s3://contract/t-" + Id.random().hex().substring(0, 12)),
            server.settings());
    b.prepareForInit();
    return b;
  }

  @Test
  void keysAreThePrefixPlusTheLayoutAndForeignKeysAreSkipped() throws IOException {
    S3Backend b = (S3Backend) backend;
    String prefix = b.s3Location().prefix();
    ObjectName pack = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    backend.write(pack, ByteBuffer.wrap(new byte[] {1, 2, 3}), false);
    // Foreign keys under the same prefix: not ours, never listed.
    try (S3Backend raw = new S3Backend(S3Location.parse("s3://contract"), server.settings())) {
      raw.write(ObjectName.of(ObjectKind.INDEX, "0123456789abcdef"), ByteBuffer.allocate(1), false);
    }
    assertEquals(3, b.size(ObjectName.of(ObjectKind.PACK, pack.id())));
    assertEquals(1, backend.list(ObjectKind.PACK).size());
    assertEquals(
        0,
        backend.list(ObjectKind.INDEX).size(),
        "an index at the bucket root is not under " + prefix);
    assertNull(S3BackendTestAccess.nameOf(ObjectKind.PACK, "zz/" + pack.id()));
    assertNull(S3BackendTestAccess.nameOf(ObjectKind.PACK, pack.id()));
    assertNull(S3BackendTestAccess.nameOf(ObjectKind.INDEX, "sub/0123456789abcdef"));
    assertNull(S3BackendTestAccess.nameOf(ObjectKind.SNAPSHOT, "README.txt"));
  }

  @Test
  void manySmallReadsOfOnePackAreServedCorrectlyFromBlocks() throws Exception {
    byte[] data = random((5 << 20) + 12345, 9);
    ObjectName pack = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    backend.write(pack, ByteBuffer.wrap(data), false);
    java.util.Random r = new java.util.Random(3);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    try {
      List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int len = 1 + r.nextInt(i % 10 == 0 ? 1_500_000 : 100_000);
        long off = i % 7 == 0 ? data.length - len : r.nextInt(data.length - len);
        fs.add(
            pool.submit(
                () -> {
                  byte[] got = backend.readRange(pack, off, len);
                  org.junit.jupiter.api.Assertions.assertArrayEquals(
                      java.util.Arrays.copyOfRange(data, (int) off, (int) off + len), got);
                  return null;
                }));
      }
      for (var f : fs) f.get();
    } finally {
      pool.shutdown();
    }
    assertThrows(IOException.class, () -> backend.readRange(pack, data.length - 10, 20));
    assertThrows(IOException.class, () -> backend.readRange(pack, data.length + 5, 20));
  }

  @Test
  void initCreatesTheBucket() throws IOException {
    String bucket = "fresh-" + Id.random().hex().substring(0, 10);
    try (S3Backend b =
        new S3Backend(S3Location.parse("s3://" + bucket + "/r"), server.settings())) {
      RoadieException e = assertThrows(RoadieException.class, () -> b.list(ObjectKind.SNAPSHOT));
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
      b.prepareForInit();
      b.prepareForInit(); // twice is fine
      b.write(ObjectName.CONFIG, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)), true);
      assertTrue(b.exists());
    }
  }

  @Test
  void wrongCredentialsGiveAClearErrorWithoutTheSecret() {
    var wrong =
        dev.roadie.s3.S3Settings.of(
            java.net.URI.create(server.endpoint()),
            "us-east-1",
            software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                    S3ProxyServer.IDENTITY, "wrong-secret-xyz")));
    try (S3Backend b = new S3Backend(S3Location.parse("s3://contract/x"), wrong)) {
      RoadieException e = assertThrows(RoadieException.class, () -> b.list(ObjectKind.SNAPSHOT));
      assertTrue(e.getMessage().contains("check the credentials"), e.getMessage());
      assertTrue(!e.getMessage().contains("wrong-secret-xyz"), e.getMessage());
    }
  }

  @Test
  void unreachableEndpointIsRetriableAndNamesTheKey() {
    int port = S3ProxyServer.freePort();
    try (S3Backend b =
        new S3Backend(
            S3Location.parse("s3://contract/x"),
            S3ProxyServer.settings("http://127.0.0.1:" + port))) {
      RoadieException e =
          assertThrows(RoadieException.Retriable.class, () -> b.read(ObjectName.CONFIG));
      assertTrue(e.getMessage().contains("s3://contract/x/config"), e.getMessage());
      assertTrue(
          e.getMessage().contains("Connection refused") || e.getMessage().contains("connect"),
          e.getMessage());
    }
  }
}
