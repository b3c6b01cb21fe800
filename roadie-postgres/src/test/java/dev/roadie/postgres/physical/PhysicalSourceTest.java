package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.Sources;
import dev.roadie.postgres.wal.WalArchive;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The postgres-physical source's side objects: forget removes the archived WAL that no remaining
 * physical backup of its cluster can use (and only on a real run), keeps timeline history files,
 * and keeps all WAL of a cluster with no remaining backup. Also its target names and summary.
 */
class PhysicalSourceTest {
  private static final long SYSID = 7711636696286654047L;
  @TempDir Path tmp;

  private static SnapshotRef physical(String startLsn, String startSegment) {
    Snapshot s =
        new Snapshot(
            1,
            "2026-01-31T02:00:00Z",
            "postgres://db:5432",
            PhysicalBackup.KIND,
            "h",
            "u",
            List.of(),
            List.of(),
            "0".repeat(64),
            null,
            null,
            Map.of(
                "systemIdentifier",
                Long.toUnsignedString(SYSID),
                "walSegmentSize",
                16 << 20,
                "startLsn",
                startLsn,
                "startSegment",
                startSegment,
                "stopLsn",
                "0/3000100",
                "timeline",
                1,
                "serverVersion",
                "16.4",
                "walMethod",
                "none"));
    return new SnapshotRef(Id.random(), s);
  }

  private static Set<String> names(WalArchive a) throws Exception {
    return Set.copyOf(a.list().stream().map(WalArchive.Entry::name).toList());
  }

  @Test
  void forgetRemovesTheWalNoRemainingBackupCanUse() throws Exception {
    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      WalArchive archive = new WalArchive(repo, SYSID);
      for (int i = 1; i <= 5; i++)
        archive.push(String.format("0000000100000000000000%02X", i), new byte[] {(byte) i});
      archive.push("00000002.history", "1\t0/2000000\tno recovery target specified\n".getBytes());
      Set<String> all = names(archive);
      PhysicalSource source = (PhysicalSource) Sources.forKind(PhysicalBackup.KIND);
      List<SnapshotRef> remaining =
          List.of(
              physical("0/3000028", "000000010000000000000003"),
              physical("0/5000028", "000000010000000000000005"));

      List<SideObjects.Removed> dry = source.forget(new SideObjects.Forget(repo, remaining, true));
      assertEquals(
          List.of(
              new SideObjects.Removed(
                  "WAL of cluster " + Long.toUnsignedString(SYSID),
                  2,
                  "archived file",
                  dry.get(0).bytes(),
                  "before 000000010000000000000003, the start of the oldest kept backup",
                  null)),
          dry);
      assertEquals(all, names(archive), "a dry run removes nothing");

      source.forget(new SideObjects.Forget(repo, remaining, false));
      assertEquals(
          Set.of(
              "000000010000000000000003",
              "000000010000000000000004",
              "000000010000000000000005",
              "00000002.history"),
          names(archive));

      assertEquals(
          List.of(),
          source.forget(new SideObjects.Forget(repo, List.of(), false)),
          "a cluster with no physical backup left keeps its WAL");
      assertEquals(4, names(archive).size());
    }
  }

  @Test
  void targetNamesAndSummary() {
    PhysicalSource source = new PhysicalSource();
    assertEquals(
        Set.of("postgres://db.example:5432"),
        source.targetNames(
            PhysicalBackup.KIND, "postgresql://replicator:pw@db.example/postgres?sslmode=require"));
    assertEquals(
        Set.of(),
        source.targetNames(PhysicalBackup.KIND, "postgres://db.example:5432"),
        "already canonical");
    assertEquals(Set.of(), source.targetNames(PhysicalBackup.KIND, "redis://db.example"));
    assertTrue(
        Sources.summary(physical("0/3000028", "000000010000000000000003").snapshot())
            .startsWith(
                "PostgreSQL 16.4 physical, 0 files, WAL 0/3000028 to 0/3000100 on timeline 1 (in the archive)"));
  }
}
