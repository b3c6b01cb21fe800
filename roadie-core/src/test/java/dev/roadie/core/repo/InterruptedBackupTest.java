package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.FaultInjectingBackend;
import dev.roadie.core.backend.FaultInjectingBackend.Fault;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A backup whose storage fails at each step (a pack, the index, the snapshot; before or after the
 * object was stored) writes no snapshot, leaves the repository checking clean, and the earlier
 * snapshot still restores.
 */
class InterruptedBackupTest {
  @TempDir Path dir;

  enum Step {
    PACK(n -> n.kind() == ObjectKind.PACK),
    INDEX(n -> n.kind() == ObjectKind.INDEX),
    SNAPSHOT(n -> n.kind() == ObjectKind.SNAPSHOT);

    final Predicate<dev.roadie.core.backend.ObjectName> which;

    Step(Predicate<dev.roadie.core.backend.ObjectName> which) {
      this.which = which;
    }
  }

  @ParameterizedTest
  @EnumSource(Step.class)
  void failedWriteLeavesNoSnapshot(Step step) throws Exception {
    for (Fault fault : new Fault[] {Fault.FAIL_WRITE, Fault.LOSE_WRITE_RESPONSE}) {
      Path repoDir = dir.resolve(step + "-" + fault);
      FaultInjectingBackend backend = new FaultInjectingBackend(new LocalBackend(repoDir));
      byte[] first = new byte[3 << 20];
      new Random(1).nextBytes(first);
      byte[] second = new byte[3 << 20];
      new Random(2).nextBytes(second);
      try (Repository repo = Repository.init(backend, "pw".toCharArray(), 1 << 20)) {
        Id good = RoundTripTest.backupStreams(repo, Map.of("s", first), ChunkerParams.FILE);
        backend.inject(fault, step.which, 1);
        Exception e =
            assertThrows(
                Exception.class,
                () -> RoundTripTest.backupStreams(repo, Map.of("s", second), ChunkerParams.FILE));
        assertEquals(1, backend.injected(), step + " " + fault + ": " + e);
        backend.clear();
        int snapshots = repo.snapshots(null).size();
        if (step == Step.SNAPSHOT && fault == Fault.LOSE_WRITE_RESPONSE) {
          // The snapshot was stored; only the answer was lost. It is complete and restorable.
          assertEquals(2, snapshots);
        } else {
          assertEquals(1, snapshots, step + " " + fault + ": no snapshot for a failed backup");
        }
        Checker.Report report = new Checker(repo, m -> {}).run(1.0);
        assertTrue(report.ok(), step + " " + fault + ": " + report.errors());
        assertArrayEquals(first, RoundTripTest.restore(repo, good, "s"));
      }
    }
  }
}
