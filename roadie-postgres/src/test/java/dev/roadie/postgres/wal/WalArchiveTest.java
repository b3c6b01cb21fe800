package dev.roadie.postgres.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL archive's objects, written and read through its own API against a local repository. */
public class WalArchiveTest {
  public static final long SYSID = 7345678901234567890L;
  public static final int SEG =
      1 << 20; // 1 MiB segments keep the test small (initdb --wal-segsize=1)
  static final String S3 = "000000010000000000000003";

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

  /**
   * A segment whose first page carries a long header naming {@code sysid}, then random WAL-like
   * bytes.
   */
  public static byte[] segment(long sysid, long seed) {
    byte[] b = new byte[SEG];
    Random r = new Random(seed);
    for (int i = 64; i < b.length / 2; i++)
      b[i] = (byte) (r.nextInt(16)); // compressible half, zeros after
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    h.putShort(0, (short) 0xD110)
        .putShort(2, (short) 0x0002)
        .putInt(4, 1)
        .putLong(24, sysid)
        .putInt(32, SEG);
    return b;
  }

  @Test
  void pushIsIdempotentAndRefusesDifferentContent() throws Exception {
    byte[] seg = segment(SYSID, 1);
    assertEquals(WalArchive.PushResult.STORED, archive.push(S3, seg));
    assertEquals(WalArchive.PushResult.ALREADY_ARCHIVED, archive.push(S3, seg.clone()));
    Path stored = tmp.resolve("repo/wal/" + WalNames.clusterId(SYSID) + "/" + S3);
    assertTrue(Files.size(stored) < SEG / 2, "compressed: " + Files.size(stored));

    byte[] other = segment(SYSID, 2);
    RoadieException e = assertThrows(RoadieException.class, () -> archive.push(S3, other));
    assertTrue(e.getMessage().contains("already archived with different content"), e.getMessage());
    assertArrayEquals(seg, archive.read(S3), "the archived copy is kept");

    assertArrayEquals(seg, archive.fetch(S3).bytes());
    assertTrue(archive.fetch(S3).complete());
    assertNull(archive.fetch("000000010000000000000004"));
    assertNull(archive.fetch("00000002.history"));
    assertTrue(archive.has(S3));
    assertFalse(archive.has("000000010000000000000004"));
  }

  @Test
  void historyAndBackupFilesAndListing() throws Exception {
    byte[] history = "1\t0/3000060\tno recovery target specified\n".getBytes();
    archive.push("00000002.history", history);
    archive.push(
        "000000010000000000000002.00000028.backup", "START WAL LOCATION: 0/2000028\n".getBytes());
    archive.push("000000010000000000000001.partial", new byte[1 << 20]);
    archive.push(S3, segment(SYSID, 1));
    assertArrayEquals(history, archive.fetch("00000002.history").bytes());
    assertEquals(
        java.util.List.of(
            "000000010000000000000001.partial",
            "000000010000000000000002.00000028.backup",
            S3,
            "00000002.history"),
        archive.list().stream().map(WalArchive.Entry::name).toList());
    assertEquals(java.util.List.of(SYSID), WalArchive.clusters(repo));
    assertEquals(
        0, new WalArchive(repo, 42).list().size(), "another cluster's archive is separate");
    RoadieException bad =
        assertThrows(RoadieException.class, () -> archive.push("RECOVERYXLOG", new byte[1]));
    assertEquals(ErrorCode.USAGE, bad.code());
  }

  @Test
  void segmentOfAnotherClusterIsRefused() {
    RoadieException e =
        assertThrows(RoadieException.class, () -> archive.push(S3, segment(SYSID + 1, 1)));
    assertTrue(
        e.getMessage().contains("belongs to the cluster with system identifier"), e.getMessage());
  }

  @Test
  void segmentAssembledFromFragments() throws Exception {
    byte[] seg = segment(SYSID, 3);
    // Fragments as a receiver writes them: in order, one overlapping its predecessor (a restart).
    archive.pushFragment(S3, SEG, 0, Arrays.copyOfRange(seg, 0, 4096));
    archive.pushFragment(S3, SEG, 4096, Arrays.copyOfRange(seg, 4096, 300_000));
    archive.pushFragment(S3, SEG, 200_000, Arrays.copyOfRange(seg, 200_000, 700_000));
    archive.pushFragment(S3, SEG, 700_000, Arrays.copyOfRange(seg, 700_000, 710_000));

    WalArchive.Fetched partial = archive.fetch(S3);
    assertFalse(partial.complete());
    assertArrayEquals(Arrays.copyOf(seg, 710_000), Arrays.copyOf(partial.bytes(), 710_000));
    assertTrue(
        Arrays.equals(new byte[SEG - 710_000], 0, SEG - 710_000, partial.bytes(), 710_000, SEG),
        "the missing tail is zeros");
    assertTrue(partial.note().contains("up to byte 710000"), partial.note());

    archive.pushFragment(S3, SEG, 710_000, Arrays.copyOfRange(seg, 710_000, SEG));
    WalArchive.Fetched whole = archive.fetch(S3);
    assertTrue(whole.complete());
    assertArrayEquals(seg, whole.bytes());
    assertFalse(archive.has(S3), "fragments do not count as the archived segment");
    // Pushing the same fragment again is fine.
    archive.pushFragment(S3, SEG, 0, Arrays.copyOfRange(seg, 0, 4096));
  }

  @Test
  void fragmentsWithAGapOrNotFromTheStart() throws Exception {
    byte[] seg = segment(SYSID, 4);
    archive.pushFragment(S3, SEG, 8192, Arrays.copyOfRange(seg, 8192, 16384));
    assertNull(archive.fetch(S3), "nothing from byte 0: nothing usable");
    archive.pushFragment(S3, SEG, 0, Arrays.copyOfRange(seg, 0, 4096));
    WalArchive.Fetched f = archive.fetch(S3);
    assertFalse(f.complete());
    assertTrue(f.note().contains("up to byte 4096"), "stops at the gap: " + f.note());
  }

  @Test
  void fragmentsThatDisagreeAreRefused() throws Exception {
    byte[] seg = segment(SYSID, 5);
    archive.pushFragment(S3, SEG, 0, Arrays.copyOfRange(seg, 0, 8192));
    byte[] other = Arrays.copyOfRange(seg, 4096, 12288);
    other[0] ^= 1;
    archive.pushFragment(S3, SEG, 4096, other);
    RoadieException e = assertThrows(RoadieException.class, () -> archive.fetch(S3));
    assertEquals(ErrorCode.INTEGRITY, e.code());
  }

  @Test
  void tamperedObjectsFailAuthentication() throws Exception {
    byte[] seg = segment(SYSID, 6);
    archive.push(S3, seg);
    Path stored = tmp.resolve("repo/wal/" + WalNames.clusterId(SYSID) + "/" + S3);
    byte[] bytes = Files.readAllBytes(stored);
    for (int at : new int[] {3, 10, 20, bytes.length / 2, bytes.length - 1}) {
      byte[] t = bytes.clone();
      t[at] ^= 0x40;
      Files.write(stored, t);
      RoadieException e =
          assertThrows(RoadieException.class, () -> archive.fetch(S3), "flip at " + at);
      assertEquals(ErrorCode.INTEGRITY, e.code());
    }
    // A valid object moved to another name does not open there.
    Files.write(stored, bytes);
    Path moved = stored.resolveSibling("000000010000000000000004");
    Files.copy(stored, moved);
    assertThrows(RoadieException.class, () -> archive.fetch("000000010000000000000004"));
  }

  @Test
  void names() {
    long seg16 = 16L << 20;
    assertEquals("000000010000000100000000", WalNames.next("0000000100000000000000FF", seg16));
    assertEquals(
        "000000020000000000000003", WalNames.segmentOf(2, WalNames.parseLsn("0/3000028"), seg16));
    assertEquals(4096 + 3, WalNames.segmentNumber("000000010000000100000003", 1 << 20));
    assertEquals("000000010000000100000000", WalNames.next("000000010000000000000FFF", 1 << 20));
    assertEquals(0x3000028L, WalNames.parseLsn("0/3000028"));
    assertEquals("16/B374D848", WalNames.formatLsn(WalNames.parseLsn("16/B374D848")));
    assertEquals(
        "000000010000000000000003.00000000-00001000.partial", WalNames.fragmentName(S3, 0, 4096));
  }
}
