package dev.roadie.postgres.wal;

import static dev.roadie.postgres.wal.WalArchiveTest.SEG;
import static dev.roadie.postgres.wal.WalArchiveTest.SYSID;
import static dev.roadie.postgres.wal.WalArchiveTest.segment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The background prefetcher against a local repository, with this test in PostgreSQL's place:
 * taking segments from the spool as the launcher does (a rename), in order.
 */
class WalPrefetcherTest {
  /**
   * Well above the prefetcher's one-second retry of a segment not archived yet, so that it does not
   * end between two tries of the one the test archives next.
   */
  static final Duration IDLE = Duration.ofSeconds(4);

  @TempDir Path tmp;
  Repository repo;
  WalArchive archive;
  Path spool;

  @BeforeEach
  void init() throws Exception {
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
    archive = new WalArchive(repo, SYSID);
    spool = tmp.resolve("spool");
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  private static String name(int timeline, long n) {
    return WalNames.segmentName(timeline, n, SEG);
  }

  private CompletableFuture<Void> start(WalPrefetcher p, String from) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            p.run(from, SEG);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
  }

  /** Waits for the segment to be spooled (as a call for it would), then takes it. */
  private byte[] take(String name) throws Exception {
    Path dest = tmp.resolve("RECOVERYXLOG");
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!WalFetch.fromSpool(spool, name, dest)) {
      assertTrue(System.nanoTime() < deadline, name + " was not prefetched");
      Thread.sleep(10);
    }
    byte[] b = Files.readAllBytes(dest);
    Files.delete(dest);
    return b;
  }

  private List<String> spooledSegments() throws Exception {
    Path dir = WalPrefetcher.directory(spool);
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(WalNames::isSegment).sorted().toList();
    }
  }

  @Test
  void staysAheadOfRecoveryWithinItsWindowAndCleansUpWhenIdle() throws Exception {
    for (int i = 1; i <= 12; i++) archive.push(name(1, i), segment(SYSID, i));
    try (WalPrefetcher p =
        new WalPrefetcher(archive, spool, new WalPrefetcher.Settings(3, 2, IDLE))) {
      assertTrue(p.tryLock());
      try (WalPrefetcher second = new WalPrefetcher(archive, spool, WalPrefetcher.Settings.of(3))) {
        assertFalse(second.tryLock(), "one prefetcher per spool");
      }
      CompletableFuture<Void> running = start(p, name(1, 1));
      // Never more than the window's 3 segments fetched and not taken.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (spooledSegments().size() < 3) {
        assertTrue(System.nanoTime() < deadline, "nothing prefetched: " + spooledSegments());
        Thread.sleep(10);
      }
      Thread.sleep(200);
      assertEquals(List.of(name(1, 2), name(1, 3), name(1, 4)), spooledSegments());
      assertTrue(WalPrefetcher.running(spool));
      for (int i = 2; i <= 12; i++) assertArrayEquals(segment(SYSID, i), take(name(1, i)));
      // The end of the archive: asked again every second; a segment archived meanwhile comes.
      archive.push(name(1, 13), segment(SYSID, 13));
      assertArrayEquals(segment(SYSID, 13), take(name(1, 13)));
      // Nothing taken for the idle time: it ends, leaving no segment, no pending mark, no
      // heartbeat.
      running.get();
      assertFalse(WalPrefetcher.running(spool));
      try (Stream<Path> s = Files.list(WalPrefetcher.directory(spool))) {
        List<String> left = s.map(f -> f.getFileName().toString()).toList();
        assertTrue(
            left.stream().allMatch(n -> n.equals("prefetcher.lock") || n.equals("position")),
            "left behind: " + left);
      }
    }
  }

  /**
   * Recovery fetched a segment itself (a timeline switch): the window follows it to the new
   * timeline, and what was spooled for the old one is removed.
   */
  @Test
  void followsRecoveryToAnotherTimeline() throws Exception {
    for (int i = 1; i <= 6; i++) archive.push(name(1, i), segment(SYSID, i));
    for (int i = 4; i <= 8; i++) archive.push(name(2, i), segment(SYSID, 100 + i));
    try (WalPrefetcher p =
        new WalPrefetcher(archive, spool, new WalPrefetcher.Settings(2, 2, IDLE))) {
      assertTrue(p.tryLock());
      CompletableFuture<Void> running = start(p, name(1, 1));
      assertArrayEquals(segment(SYSID, 2), take(name(1, 2)));
      WalPrefetcher.position(spool, name(2, 4));
      for (int i = 5; i <= 8; i++) assertArrayEquals(segment(SYSID, 100 + i), take(name(2, i)));
      assertTrue(
          spooledSegments().stream().noneMatch(n -> WalNames.timeline(n) == 1),
          "timeline 1's segments removed: " + spooledSegments());
      running.get();
      assertEquals(List.of(), spooledSegments());
    }
  }
}
