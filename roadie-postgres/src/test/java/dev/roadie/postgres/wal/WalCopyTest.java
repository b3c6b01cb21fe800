package dev.roadie.postgres.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** copy's WAL part between two local repositories with different passwords (so different keys). */
class WalCopyTest {
  static final long SYSID = WalArchiveTest.SYSID;
  static final int SEG = WalArchiveTest.SEG;

  @TempDir Path tmp;
  Repository from;
  Repository to;
  WalArchive source;
  WalArchive dest;

  @BeforeEach
  void init() throws Exception {
    from =
        Repository.init(
            new LocalBackend(tmp.resolve("from")),
            "pw-from".toCharArray(),
            Config.DEFAULT_PACK_SIZE);
    to =
        Repository.init(
            new LocalBackend(tmp.resolve("to")), "pw-to".toCharArray(), Config.DEFAULT_PACK_SIZE);
    source = new WalArchive(from, SYSID);
    dest = new WalArchive(to, SYSID);
  }

  @AfterEach
  void close() throws Exception {
    from.close();
    to.close();
  }

  static String name(int segment) {
    return String.format("00000001%08X%08X", 0, segment);
  }

  /** A physical backup of the test cluster starting in segment {@code start}. */
  static Snapshot backup(int start) {
    Map<String, Object> src =
        Map.of(
            "systemIdentifier",
            Long.toUnsignedString(SYSID),
            "walSegmentSize",
            SEG,
            "timeline",
            1,
            "startLsn",
            "0/" + Integer.toHexString(start * SEG + 0x28).toUpperCase(),
            "startSegment",
            name(start));
    return new Snapshot(
        Snapshot.VERSION,
        "2026-11-24T10:00:00Z",
        "pg",
        "postgres-physical",
        "h",
        "u",
        List.of(),
        List.of(),
        "t",
        null,
        null,
        src);
  }

  List<String> names(WalArchive a) throws Exception {
    return a.list().stream().map(WalArchive.Entry::name).toList();
  }

  @Test
  void copiesTheWalFromTheBackupsStartOnAndLaterWhatIsNew() throws Exception {
    for (int i = 2; i <= 5; i++) source.push(name(i), WalArchiveTest.segment(SYSID, i));
    byte[] history = "1\t0/1000060\tno recovery target specified\n".getBytes();
    source.push("00000002.history", history);
    source.push(name(3) + ".00000028.backup", "START WAL LOCATION: 0/300028\n".getBytes());
    // Superseded by the whole segment 4; the fragment of 6 is all there is of segment 6.
    source.pushFragment(name(4), SEG, 0, Arrays.copyOf(WalArchiveTest.segment(SYSID, 4), 4096));
    source.pushFragment(name(6), SEG, 0, Arrays.copyOf(WalArchiveTest.segment(SYSID, 6), 8192));
    String fragment6 = WalNames.fragmentName(name(6), 0, 8192);
    // Another cluster's WAL stays behind.
    new WalArchive(from, 42).push("00000001.history", "x".getBytes());

    List<WalCopy.Copied> copied = WalCopy.copy(from, to, List.of(backup(3)), m -> {});
    assertEquals(
        List.of(
            name(3), name(3) + ".00000028.backup", name(4), name(5), fragment6, "00000002.history"),
        names(dest),
        "from the backup's start segment on; history files; no superseded fragment");
    assertEquals(1, copied.size());
    assertEquals(6, copied.get(0).files());
    assertEquals(name(3), copied.get(0).from());
    assertEquals(List.of(SYSID), WalArchive.clusters(to));

    // Sealed under the destination's keys, same content, same archived time and host.
    for (String n : names(dest)) {
      assertArrayEquals(source.read(n), dest.read(n), n);
      assertEquals(source.header(n).archived(), dest.header(n).archived(), n);
      assertEquals(source.header(n).host(), dest.header(n).host(), n);
      assertFalse(
          Arrays.equals(
              Files.readAllBytes(tmp.resolve("from/wal/" + WalNames.clusterId(SYSID) + "/" + n)),
              Files.readAllBytes(tmp.resolve("to/wal/" + WalNames.clusterId(SYSID) + "/" + n))),
          n);
    }
    assertArrayEquals(
        Arrays.copyOf(WalArchiveTest.segment(SYSID, 6), 8192),
        Arrays.copyOf(dest.fetch(name(6)).bytes(), 8192),
        "segment 6 assembles from the copied fragment");

    // Later: only what is new is copied; nothing again.
    source.push(name(6), WalArchiveTest.segment(SYSID, 6));
    source.push(name(7), WalArchiveTest.segment(SYSID, 7));
    copied = WalCopy.copy(from, to, List.of(backup(3)), m -> {});
    assertEquals(2, copied.get(0).files());
    assertTrue(dest.has(name(6)) && dest.has(name(7)));
    assertEquals(0, WalCopy.copy(from, to, List.of(backup(3)), m -> {}).get(0).files());
    assertEquals(
        List.of(), WalCopy.copy(from, to, List.of(), m -> {}), "no physical snapshot, no WAL");
  }

  @Test
  void aDifferentFileUnderACopiedNameIsRefusedAndKept() throws Exception {
    source.push(name(3), WalArchiveTest.segment(SYSID, 3));
    byte[] other = WalArchiveTest.segment(SYSID, 99);
    dest.push(name(3), other);
    assertEquals(
        0,
        WalCopy.copy(from, to, List.of(backup(3)), m -> {}).get(0).files(),
        "present: not copied");
    var e =
        assertThrows(dev.roadie.core.RoadieException.class, () -> dest.copyFrom(source, name(3)));
    assertTrue(e.getMessage().contains("already archived with different content"), e.getMessage());
    assertArrayEquals(other, dest.read(name(3)));
    assertNull(dest.copyFrom(source, name(4)), "nothing to copy");
  }
}
