package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalArchiveTest;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recoverable window walks whole segments and segments stored whole as fragments alike: a
 * backup under load stores several segments as fragments before archive_command archives them.
 */
class RecoveryWindowTest {
  static final long SYSID = WalArchiveTest.SYSID;
  static final int SEG = WalArchiveTest.SEG;

  @TempDir Path tmp;
  Repository repo;
  WalArchive archive;

  @BeforeEach
  void init() throws Exception {
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
    archive = new WalArchive(repo, SYSID);
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  /** A segment of the test cluster (its content does not matter here). */
  static byte[] segment() {
    return WalArchiveTest.segment(SYSID, 1);
  }

  /** A backup from segment 3 (LSN 0/300028) to segment 6 (stop LSN 0/600100). */
  static Snapshot backup() {
    Map<String, Object> src =
        Map.of(
            "systemIdentifier",
            Long.toUnsignedString(SYSID),
            "walSegmentSize",
            SEG,
            "timeline",
            1,
            "startLsn",
            "0/300028",
            "stopLsn",
            "0/600100",
            "stopTime",
            "2026-11-24T10:00:00Z",
            "walMethod",
            "archive");
    return new Snapshot(
        Snapshot.VERSION,
        "2026-11-24T10:00:00Z",
        "pg",
        "postgres",
        "h",
        "u",
        List.of(),
        List.of(),
        "t",
        null,
        null,
        src);
  }

  static String name(int segment) {
    return String.format("00000001%08X%08X", 0, segment);
  }

  @Test
  void fragmentsThatCoverWholeSegmentsCarryTheWindowOn() throws Exception {
    archive.push(name(3), segment());
    archive.pushFragment(name(4), SEG, 0, segment());
    archive.pushFragment(name(5), SEG, 0, segment());
    archive.pushFragment(name(6), SEG, 0, Arrays.copyOf(segment(), 0x200));
    RecoveryWindow.Window w = new RecoveryWindow(repo).of(backup(), "current");
    assertTrue(w.walComplete(), w.toString());
    assertEquals("0/600200", w.toLsn());
    assertEquals(name(6), w.lastSegment());
  }

  @Test
  void aPartlyCoveredSegmentBeforeTheStopIsAGap() throws Exception {
    archive.push(name(3), segment());
    archive.pushFragment(name(4), SEG, 0, Arrays.copyOf(segment(), SEG / 2));
    archive.pushFragment(name(5), SEG, 0, segment());
    archive.pushFragment(name(6), SEG, 0, segment());
    RecoveryWindow.Window w = new RecoveryWindow(repo).of(backup(), "current");
    assertFalse(w.walComplete(), w.toString());
    assertTrue(w.note().contains("lacks " + name(4)), w.note());
  }

  @Test
  void aGapAfterTheBackupBeforeLaterWalNamesTheMissingSegment() throws Exception {
    for (int i = 3; i <= 6; i++) archive.push(name(i), segment());
    RecoveryWindow.Window end = new RecoveryWindow(repo).of(backup(), null);
    assertNull(end.missingSegment(), "the window ends at the newest archived WAL: " + end);
    assertNull(end.note());

    archive.push(name(8), segment());
    archive.push(name(9), segment());
    RecoveryWindow.Window gap = new RecoveryWindow(repo).of(backup(), null);
    assertTrue(gap.walComplete(), gap.toString());
    assertEquals(name(7), gap.missingSegment());
    assertEquals("0/700000", gap.toLsn());
    assertTrue(
        gap.note().contains("missing from " + name(7)) && gap.note().contains(name(9)), gap.note());
  }

  @Test
  void walOfAnotherTimelineIsNoGap() throws Exception {
    for (int i = 3; i <= 6; i++) archive.push(name(i), segment());
    // Timeline 2 branched off timeline 1 before this backup: recovery to latest does not follow it.
    archive.push("00000002.history", "1\t0/200000\tno recovery target specified\n".getBytes());
    archive.push(String.format("00000002%08X%08X", 0, 9), segment());
    RecoveryWindow.Window w = new RecoveryWindow(repo).of(backup(), null);
    assertNull(w.missingSegment(), w.toString());
  }

  @Test
  void theBackupsOwnMissingWalIsNamed() throws Exception {
    archive.push(name(3), segment());
    archive.push(name(5), segment());
    archive.push(name(6), segment());
    RecoveryWindow.Window w = new RecoveryWindow(repo).of(backup(), null);
    assertFalse(w.walComplete());
    assertEquals(name(4), w.missingSegment());
  }
}
