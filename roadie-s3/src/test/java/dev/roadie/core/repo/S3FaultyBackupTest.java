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
import dev.roadie.s3.FaultyS3;
import dev.roadie.s3.S3Backend;
import dev.roadie.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Whole backups through the engine into S3 over a faulty network. */
class S3FaultyBackupTest {
  static final ChunkerParams PARAMS = new ChunkerParams(8 * 1024, 32 * 1024, 128 * 1024);

  @RegisterExtension static final FaultyS3 s3 = new FaultyS3(100);

  private static Repository init(String prefix) throws IOException {
    return Repository.init(s3.backend("s3://backups/" + prefix), "pw".toCharArray(), 1 << 20);
  }

  @Test
  void backupSucceedsAndRestoresDespiteTransientFaults() throws IOException {
    byte[] a = FaultyS3.data(8 << 20, 1);
    byte[] b = FaultyS3.data(2 << 20, 2);
    s3.proxy()
        .policy(
            FaultProxy.Policy.every(
                4,
                Fault.RESET,
                Fault.DROP_RESPONSE,
                Fault.SERVER_ERROR,
                Fault.LATENCY,
                Fault.RESET,
                Fault.DROP_RESPONSE,
                Fault.SLOW_DOWN,
                Fault.LATENCY));
    long before = s3.proxy().faultsInjected();
    Id snap;
    try (Repository repo = init("transient")) {
      snap = RoundTripTest.backupStreams(repo, Map.of("a", a, "b", b), PARAMS);
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
      assertArrayEquals(b, RoundTripTest.restore(repo, snap, "b"));
    }
    assertTrue(
        s3.proxy().faultsInjected() - before >= 5, "faults were injected: " + s3.proxy().stats());
    s3.proxy().policy(FaultProxy.Policy.NONE);
    try (Repository repo =
        Repository.open(s3.backend("s3://backups/transient"), "pw".toCharArray())) {
      assertEquals(1, repo.snapshots(new ArrayList<>()).size());
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
      assertTrue(repo.backend().list(ObjectKind.PACK).size() >= 5);
    }
  }

  @Test
  void exclusiveWriteWhoseResponseWasLostStillSucceedsOnce() throws IOException {
    try (S3Backend b = s3.backend("s3://backups/exclusive")) {
      b.prepareForInit();
      AtomicInteger puts = new AtomicInteger();
      // The first PUT of config is stored, then its response is lost; the SDK sends it again.
      s3.proxy()
          .policy(
              r ->
                  r.method().equals("PUT")
                          && r.target().endsWith("/config")
                          && puts.getAndIncrement() == 0
                      ? Fault.DROP_RESPONSE
                      : Fault.NONE);
      byte[] config = FaultyS3.data(1000, 5);
      b.write(ObjectName.CONFIG, ByteBuffer.wrap(config), true);
      assertEquals(2, puts.get(), "the PUT was retried");
      assertArrayEquals(config, b.read(ObjectName.CONFIG));
      s3.proxy().policy(FaultProxy.Policy.NONE);
      assertThrows(
          ObjectExistsException.class,
          () -> b.write(ObjectName.CONFIG, ByteBuffer.wrap(FaultyS3.data(1000, 6)), true));
      assertArrayEquals(config, b.read(ObjectName.CONFIG));
    }
  }

  @Test
  void permanentFaultFailsTheBackupClearlyAndWritesNoSnapshot() throws IOException {
    try (Repository repo = init("permanent")) {
      // A server error, not SlowDown: throttling backs off for up to half a minute before giving
      // up.
      s3.proxy().policy(r -> r.isPackPut() ? Fault.SERVER_ERROR : Fault.NONE);
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  RoundTripTest.backupStreams(
                      repo, Map.of("a", FaultyS3.data(4 << 20, 3)), PARAMS));
      String m = e.getMessage();
      assertTrue(m.contains("s3://backups/permanent/data/"), m);
      assertTrue(m.contains("500") && m.contains("InternalError") && m.contains("6 attempts"), m);
      assertTrue(!m.contains(S3ProxyServer.CREDENTIAL), m);
      s3.proxy().policy(FaultProxy.Policy.NONE);
      assertEquals(0, repo.snapshots(new ArrayList<>()).size());
      assertEquals(0, repo.backend().list(ObjectKind.SNAPSHOT).size());
    }
  }

  @Test
  void unreachableNetworkFailsClearly() throws IOException {
    try (Repository repo = init("reset")) {
      s3.proxy().policy(r -> r.isPackPut() ? Fault.RESET : Fault.NONE);
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  RoundTripTest.backupStreams(
                      repo, Map.of("a", FaultyS3.data(2 << 20, 4)), PARAMS));
      assertTrue(e.getMessage().contains("s3://backups/reset/data/"), e.getMessage());
      s3.proxy().policy(FaultProxy.Policy.NONE);
      assertEquals(0, repo.backend().list(ObjectKind.SNAPSHOT).size());
    }
  }
}
