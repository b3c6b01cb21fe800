package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.s3.FaultProxy;
import dev.roadie.s3.FaultProxy.Fault;
import dev.roadie.s3.FaultyS3;
import dev.roadie.s3.S3Backend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the S3 transport leaves out (payload hashes, transport checksums) and what it must keep:
 * request bodies go unsigned over plain http, yet a pack altered on the server is caught by restore
 * and check, and a download cut off mid-way is fetched again.
 */
class S3TransportTest {
  @RegisterExtension static final FaultyS3 s3 = new FaultyS3(150);

  private static S3Backend backend(String prefix) {
    return s3.backend("s3://transport/" + prefix);
  }

  /**
   * Backs {@code a} up as stream "a" into a new repository under {@code prefix}; returns the
   * snapshot.
   */
  private static Id backUp(String prefix, byte[] a, int packSize, ChunkerParams params)
      throws IOException {
    try (Repository repo = Repository.init(backend(prefix), "pw".toCharArray(), packSize)) {
      return RoundTripTest.backupStreams(repo, Map.of("a", a), params);
    }
  }

  /** The x-amz-content-sha256 header of every PUT while {@code action} runs. */
  private static List<String> payloadHashesOfPuts(IoAction action) throws IOException {
    List<String> seen = new CopyOnWriteArrayList<>();
    s3.proxy()
        .policy(
            r -> {
              if (r.method().equals("PUT"))
                seen.add(String.valueOf(r.header("x-amz-content-sha256")));
              return Fault.NONE;
            });
    action.run();
    s3.proxy().policy(FaultProxy.Policy.NONE);
    return seen;
  }

  interface IoAction {
    void run() throws IOException;
  }

  @Test
  void bodiesGoUnsignedOverPlainHttpAndTheServerAcceptsThem() throws IOException {
    byte[] a = FaultyS3.data(3 << 20, 11);
    Id[] snap = new Id[1];
    try (Repository repo = Repository.init(backend("unsigned"), "pw".toCharArray(), 1 << 20)) {
      List<String> hashes =
          payloadHashesOfPuts(
              () ->
                  snap[0] =
                      RoundTripTest.backupStreams(repo, Map.of("a", a), S3FaultyBackupTest.PARAMS));
      assertFalse(hashes.isEmpty());
      assertTrue(hashes.stream().allMatch("UNSIGNED-PAYLOAD"::equals), hashes.toString());
      assertArrayEquals(a, RoundTripTest.restore(repo, snap[0], "a"));
    }
  }

  @Test
  void signedBodiesStillAvailableBySetting() throws IOException {
    byte[] a = FaultyS3.data(1 << 20, 12);
    try (S3Backend b = s3.backend("s3://transport/signed", true)) {
      b.prepareForInit();
      ObjectName name = ObjectName.of(ObjectKind.PACK, Id.random().hex());
      List<String> hashes = payloadHashesOfPuts(() -> b.write(name, ByteBuffer.wrap(a), false));
      assertEquals(List.of("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), hashes);
      assertArrayEquals(a, b.read(name));
    }
  }

  @Test
  void aPackAlteredOnTheServerFailsRestoreAndCheck() throws IOException {
    byte[] a = FaultyS3.data(4 << 20, 13);
    Id snap;
    try (Repository repo = Repository.init(backend("altered"), "pw".toCharArray(), 1 << 20)) {
      snap = RoundTripTest.backupStreams(repo, Map.of("a", a), S3FaultyBackupTest.PARAMS);
      assertTrue(new Checker(repo, m -> {}).run(1.0).ok(), "the untouched repository checks clean");
      Tree t = repo.readTree(Id.parse(repo.readSnapshot(snap).snapshot().tree()));
      List<Id> blobs = new ArrayList<>();
      ContentReader.chunkIds(repo, t.nodes().get(0)).forEachRemaining(blobs::add);
      BlobLocation loc = repo.index().get(blobs.get(blobs.size() / 2));
      ObjectName pack = ObjectName.of(ObjectKind.PACK, loc.packId().hex());
      long at = loc.offset() + loc.length() / 2;
      // The server hands back other bytes than were stored: overwrite the pack with one bit
      // flipped.
      byte[] stored = repo.backend().read(pack);
      stored[(int) at] ^= 0x10;
      repo.backend().write(pack, ByteBuffer.wrap(stored), false);
    }
    try (Repository repo = Repository.open(backend("altered"), "pw".toCharArray())) {
      RoadieException e =
          assertThrows(RoadieException.class, () -> RoundTripTest.restore(repo, snap, "a"));
      assertEquals(ErrorCode.INTEGRITY, e.code(), e.getMessage());
      Checker.Report report = new Checker(repo, m -> {}).run(1.0);
      assertFalse(report.ok(), "check reads the pack and finds the damage");
      assertEquals(List.of(snap.hex()), report.damagedSnapshots());
    }
  }

  @Test
  void downloadsCutOffMidwayAreFetchedAgain() throws IOException {
    byte[] a = FaultyS3.data(6 << 20, 14);
    Id snap = backUp("truncated", a, 1 << 20, S3FaultyBackupTest.PARAMS);
    AtomicLong cut = new AtomicLong();
    AtomicLong gets = new AtomicLong();
    // Every other download of pack bytes loses its connection half-way through the body.
    s3.proxy()
        .policy(
            r -> {
              if (!r.isPackGet() || gets.incrementAndGet() % 2 == 0) return Fault.NONE;
              cut.incrementAndGet();
              return Fault.TRUNCATE_RESPONSE;
            });
    try (Repository repo = Repository.open(backend("truncated"), "pw".toCharArray())) {
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
    }
    assertTrue(cut.get() >= 3, "downloads were cut off: " + cut.get() + " of " + gets.get());
  }

  @Test
  void restoreReadsPacksInRequestsOfUpTo4MiB() throws IOException {
    // Incompressible, in 64 KiB chunks: runs of consecutive blobs end at 4 MiB, not at 256 blobs.
    byte[] a = new byte[40 << 20];
    new Random(15).nextBytes(a);
    Id snap = backUp("ranges", a, 16 << 20, ChunkerParams.FILE);
    AtomicLong gets = new AtomicLong();
    s3.proxy()
        .policy(
            r -> {
              if (r.isPackGet()) gets.incrementAndGet();
              return Fault.NONE;
            });
    long most = 1; // the tree
    try (Repository repo = Repository.open(backend("ranges"), "pw".toCharArray())) {
      // Every pack byte once, in requests of up to 4 MiB (plus one blob), one more per pack for
      // the run cut at its end: at most 14 here; 2 MiB requests took 21.
      for (var info : repo.backend().list(ObjectKind.PACK)) most += info.size() / (4 << 20) + 1;
      gets.set(0);
      assertArrayEquals(a, RoundTripTest.restore(repo, snap, "a"));
    }
    assertTrue(gets.get() <= most, gets.get() + " pack GETs, expected at most " + most);
  }
}
