package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectExistsException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.s3.FaultProxy;
import dev.roadie.s3.FaultProxy.Fault;
import dev.roadie.s3.S3Backend;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Whole backups through the engine into S3 over a faulty network. */
class S3FaultyBackupTest {
  static final ChunkerParams PARAMS = new ChunkerParams(8 * 1024, 32 * 1024, 128 * 1024);
  static S3ProxyServer server;
  static FaultProxy proxy;

  @BeforeAll
  static void start() throws IOException {
    server = S3ProxyServer.start();
    proxy = new FaultProxy(server.port()).latency(100);
  }

  @AfterAll
  static void stop() throws IOException {
    if (proxy != null) proxy.close();
    if (server != null) server.close();
  }

  @AfterEach
  void noFaults() {
    proxy.policy(FaultProxy.Policy.NONE);
  }

  static byte[] data(int n, long seed) {
    byte[] b = new byte[n];
    Random r = new Random(seed);
    r.nextBytes(b);
    // Half of it compressible text.
    byte[] text = "2026-01-01T00:00:00Z INFO api request took=12ms user=42 status=200\n".getBytes();
    for (int i = 0; i < n / 2; i++) b[i] = text[(i + r.nextInt(3)) % text.length];
    return b;
  }

  private static Repository init(String prefix) throws IOException {
    S3Backend backend = new S3Backend(S3Location.parse("s3://backups/" + prefix), S3ProxyServer.settings(proxy.endpoint()));
    return Repository.init(backend, "pw".toCharArray(), 1 << 20);
  }

  @Test
  void backupSucceedsAndRestoresDespiteTransientFaults() throws IOException {
    byte[] a = data(8 << 20, 1);
    byte[] b = data(2 << 20, 2);
    proxy.policy(FaultProxy.Policy.every(4, Fault.RESET, Fault.DROP_RESPONSE, Fault.SERVER_ERROR, Fault.LATENCY,
        Fault.RESET, Fault.DROP_RESPONSE, Fault.SLOW_DOWN, Fault.LATENCY));
    long before = proxy.faultsInjected();
    Id snap;
    try (Repository repo = init("transient")) {
      snap = RoundTripTest.backupStreams(repo, Map.of("a", a, "b", b), PARAMS);
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
      assertArrayEquals(b, RoundTripTest.restore(repo, snap, "b"));
    }
    assertTrue(proxy.faultsInjected() - before >= 5, "faults were injected: " + proxy.stats());
    proxy.policy(FaultProxy.Policy.NONE);
    try (Repository repo = Repository.open(new S3Backend(S3Location.parse("s3://backups/transient"),
        S3ProxyServer.settings(proxy.endpoint())), "pw".toCharArray())) {
      assertEquals(1, repo.snapshots(new ArrayList<>()).size());
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
      assertTrue(repo.backend().list(ObjectKind.PACK).size() >= 5);
    }
  }

  @Test
  void exclusiveWriteWhoseResponseWasLostStillSucceedsOnce() throws IOException {
    try (S3Backend b = new S3Backend(S3Location.parse("s3://backups/exclusive"), S3ProxyServer.settings(proxy.endpoint()))) {
      b.prepareForInit();
      AtomicInteger puts = new AtomicInteger();
      // The first PUT of config is stored, then its response is lost; the SDK sends it again.
      proxy.policy(r -> r.method().equals("PUT") && r.target().endsWith("/config") && puts.getAndIncrement() == 0
          ? Fault.DROP_RESPONSE : Fault.NONE);
      byte[] config = data(1000, 5);
      b.write(ObjectName.CONFIG, ByteBuffer.wrap(config), true);
      assertEquals(2, puts.get(), "the PUT was retried");
      assertArrayEquals(config, b.read(ObjectName.CONFIG));
      proxy.policy(FaultProxy.Policy.NONE);
      assertThrows(ObjectExistsException.class, () -> b.write(ObjectName.CONFIG, ByteBuffer.wrap(data(1000, 6)), true));
      assertArrayEquals(config, b.read(ObjectName.CONFIG));
    }
  }

  @Test
  void permanentFaultFailsTheBackupClearlyAndWritesNoSnapshot() throws IOException {
    try (Repository repo = init("permanent")) {
      // A server error, not SlowDown: throttling backs off for up to half a minute before giving up.
      proxy.policy(r -> r.isPackPut() ? Fault.SERVER_ERROR : Fault.NONE);
      RoadieException e = assertThrows(RoadieException.class,
          () -> RoundTripTest.backupStreams(repo, Map.of("a", data(4 << 20, 3)), PARAMS));
      String m = e.getMessage();
      assertTrue(m.contains("s3://backups/permanent/data/"), m);
      assertTrue(m.contains("500") && m.contains("InternalError") && m.contains("6 attempts"), m);
      assertTrue(!m.contains(S3ProxyServer.CREDENTIAL), m);
      proxy.policy(FaultProxy.Policy.NONE);
      assertEquals(0, repo.snapshots(new ArrayList<>()).size());
      assertEquals(0, repo.backend().list(ObjectKind.SNAPSHOT).size());
    }
  }

  @Test
  void unreachableNetworkFailsClearly() throws IOException {
    try (Repository repo = init("reset")) {
      proxy.policy(r -> r.isPackPut() ? Fault.RESET : Fault.NONE);
      RoadieException e = assertThrows(RoadieException.class,
          () -> RoundTripTest.backupStreams(repo, Map.of("a", data(2 << 20, 4)), PARAMS));
      assertTrue(e.getMessage().contains("s3://backups/reset/data/"), e.getMessage());
      proxy.policy(FaultProxy.Policy.NONE);
      assertEquals(0, repo.backend().list(ObjectKind.SNAPSHOT).size());
    }
  }
}
