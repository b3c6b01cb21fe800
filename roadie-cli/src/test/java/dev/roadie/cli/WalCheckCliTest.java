package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * check of a repository's archived WAL: plain {@code check} needs every segment a physical
 * snapshot's recovery claims to be present; {@code --read-data} reads them back, so a stored WAL
 * object whose bytes changed is named with the snapshots whose recovery needs it.
 */
class WalCheckCliTest {
  private static final long SYSID = 7311634286692954047L;
  private static final int SEG = 1 << 20;
  private static final int PAGE = 8192;
  @TempDir Path tmp;

  /**
   * Segment {@code n} of timeline 1 as PostgreSQL writes it: every page headed with its own
   * address.
   */
  static byte[] segment(int n) {
    byte[] b = new byte[SEG];
    Random r = new Random(n);
    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    for (int off = 0; off < SEG; off += PAGE) {
      for (int i = off + 40; i < off + PAGE; i++) b[i] = (byte) r.nextInt(16);
      h.putShort(off, (short) 0xD110)
          .putShort(off + 2, (short) (off == 0 ? 0x0002 : 0))
          .putInt(off + 4, 1)
          .putLong(off + 8, (long) n * SEG + off);
    }
    h.putLong(24, SYSID).putInt(32, SEG).putInt(36, PAGE);
    return b;
  }

  static String name(int n) {
    return WalNames.segmentName(1, n, SEG);
  }

  @Test
  void readDataNamesADamagedSegmentAndTheSnapshotsThatNeedIt() throws Exception {
    Path repoDir = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repoDir, "pw");
    roadie.run("init").assertOk();
    Id id;
    try (Repository repo = Repository.open(new LocalBackend(repoDir), "pw".toCharArray())) {
      WalArchive archive = new WalArchive(repo, SYSID);
      for (int n = 3; n <= 8; n++) archive.push(name(n), segment(n));
      try (BackupWriter w = new BackupWriter(repo, new Progress())) {
        Id tree = w.writeTree(new Tree(List.of()));
        id =
            w.commit(
                new Snapshot(
                    Snapshot.VERSION,
                    "2026-11-24T10:00:00Z",
                    "postgres://db:5432",
                    "postgres-physical",
                    "h",
                    "u",
                    List.of(),
                    List.of(),
                    tree.hex(),
                    null,
                    null,
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
                        "none",
                        "serverVersion",
                        "16.4")));
      }
    }
    roadie.run("check", "--read-data").assertOk();

    // prune leaves archived WAL alone (only forget's hook removes it, by what kept backups need).
    Path walDir = repoDir.resolve("wal").resolve(WalNames.clusterId(SYSID));
    List<Path> before;
    try (var files = Files.list(walDir)) {
      before = files.sorted().toList();
    }
    assertEquals(6, before.size(), before.toString());
    roadie.run("prune").assertOk();
    try (var files = Files.list(walDir)) {
      assertEquals(before, files.sorted().toList(), "prune deleted WAL");
    }

    // One byte of segment 7's stored object flipped: presence still holds, its bytes do not.
    Path stored = repoDir.resolve("wal").resolve(WalNames.clusterId(SYSID)).resolve(name(7));
    byte[] bytes = Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 0x01;
    stored.toFile().setWritable(true);
    Files.write(stored, bytes);

    RoadieProcess.Result plain = roadie.run("check").assertOk();
    assertTrue(plain.stdout().contains("no errors"), plain.describe());

    for (String flag : List.of("--read-data", "--read-data-subset=100%")) {
      RoadieProcess.Result read = roadie.run("check", flag).assertExit(3);
      String out = read.stdout();
      assertTrue(
          out.contains("archived WAL file " + name(7)) && out.contains("damaged"), read.describe());
      assertTrue(out.contains("damaged snapshots: " + id.hex().substring(0, 8)), read.describe());
      assertFalse(out.contains(name(6)), "only the damaged segment is named: " + out);
    }
    var json = TestData.json(roadie.run("check", "--read-data", "--json").assertExit(3).stdout());
    assertEquals(id.hex(), json.get("damagedSnapshots").get(0).asText(), json.toString());
  }
}
