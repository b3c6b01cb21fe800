package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.postgres.wal.WalArchive;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** check's WAL part: physical snapshots whose recovery needs WAL the repository lacks. */
class WalCheckTest {
  @TempDir Path tmp;
  Repository repo;
  WalArchive archive;

  @BeforeEach
  void init() throws Exception {
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
    archive = new WalArchive(repo, RecoveryWindowTest.SYSID);
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  Id write(Snapshot s) throws Exception {
    try (BackupWriter w = new BackupWriter(repo, new Progress())) {
      return w.commit(s);
    }
  }

  List<WalCheck.Problem> check() throws Exception {
    return WalCheck.check(repo, repo.snapshots(null));
  }

  @Test
  void namesTheSnapshotAndTheFirstMissingSegment() throws Exception {
    Snapshot physical = RecoveryWindowTest.backup();
    physical =
        new Snapshot(
            physical.version(),
            physical.time(),
            "pg",
            PhysicalBackup.KIND,
            "h",
            "u",
            List.of(),
            List.of(),
            "t",
            null,
            null,
            physical.source());
    Id id = write(physical);
    for (int i = 3; i <= 8; i++)
      archive.push(RecoveryWindowTest.name(i), RecoveryWindowTest.segment());
    assertEquals(List.of(), check());

    archive.delete(RecoveryWindowTest.name(7));
    List<WalCheck.Problem> gap = check();
    assertEquals(1, gap.size(), gap.toString());
    assertEquals(id.hex(), gap.get(0).snapshot());
    assertTrue(
        gap.get(0).message().startsWith("snapshot " + id.shortHex() + " (pg, ")
            && gap.get(0).message().contains(RecoveryWindowTest.name(7)),
        gap.get(0).message());

    archive.delete(RecoveryWindowTest.name(5));
    List<WalCheck.Problem> inside = check();
    assertEquals(1, inside.size(), inside.toString());
    assertTrue(
        inside
            .get(0)
            .message()
            .contains("lacks " + RecoveryWindowTest.name(5) + ", which this backup needs"),
        inside.get(0).message());
  }
}
