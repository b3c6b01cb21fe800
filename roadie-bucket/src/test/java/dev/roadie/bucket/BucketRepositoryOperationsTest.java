package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.prune.Pruner;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository-wide operations walk a bucket snapshot's pages as the trees they are: check
 * passes, prune keeps what the remaining snapshot needs, copy carries it to another repository
 * where it restores. Enough objects for several pages and two index levels.
 */
class BucketRepositoryOperationsTest {
  @TempDir Path tmp;

  static List<String> names(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) out.add("d" + (i % 13) + "/object-" + i);
    return out;
  }

  @Test
  void checkPruneAndCopyKeepABucketSnapshotRestorable() throws Exception {
    try (Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("a")), "pw".toCharArray(), 1 << 20);
        Repository other =
            Repository.init(new LocalBackend(tmp.resolve("b")), "pw".toCharArray(), 1 << 20)) {
      SnapshotRef older = DirectoryRestoreTest.snapshotOf(repo, names(0, 1500));
      SnapshotRef newer = DirectoryRestoreTest.snapshotOf(repo, names(750, 3000));
      Checker.Report checked = new Checker(repo, m -> {}).run(1.0);
      assertTrue(checked.ok(), checked.errors().toString());

      new SnapshotCopier(repo, other, m -> {}).copy(List.of(newer));
      SnapshotRef copied = other.snapshots(null).get(0);
      Path fromCopy = tmp.resolve("from-copy");
      Sources.restore(
          new RestoreRequest(other, copied, new Destination.Directory(fromCopy), null, null));
      VerifyResult v =
          Sources.verify(
              new VerifyRequest(other, copied, new Destination.Directory(fromCopy), null));
      assertTrue(v.matches(), v.differences().toString());
      assertEquals(2250, v.checked());

      repo.backend().delete(ObjectName.of(ObjectKind.SNAPSHOT, older.id().hex()));
      Pruner.Options now = new Pruner.Options(Duration.ZERO, 0.0, false, Duration.ZERO);
      new Pruner(repo, now, m -> {}).run();
      new Pruner(repo, now, m -> {}).run();
    }
    // Opened again, as the next command would: the index as prune left it.
    try (Repository repo =
        Repository.open(new LocalBackend(tmp.resolve("a")), "pw".toCharArray())) {
      Checker.Report after = new Checker(repo, m -> {}).run(1.0);
      assertTrue(after.ok(), after.errors().toString());
      SnapshotRef newer = repo.snapshots(null).get(0);
      Path restored = tmp.resolve("after-prune");
      Sources.restore(
          new RestoreRequest(repo, newer, new Destination.Directory(restored), null, null));
      VerifyResult w =
          Sources.verify(new VerifyRequest(repo, newer, new Destination.Directory(restored), null));
      assertTrue(w.matches(), w.differences().toString());
      assertEquals(2250, w.checked());
    }
  }
}
