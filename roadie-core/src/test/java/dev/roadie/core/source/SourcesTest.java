package dev.roadie.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.check.Checker;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Providers are found by kind with ServiceLoader, and a source's check of its side objects is part
 * of check.
 */
class SourcesTest {
  @TempDir Path tmp;

  @Test
  void providersAreFoundByKind() {
    assertTrue(Sources.forKind(ProbeSource.KIND) instanceof ProbeSource);
    assertTrue(Sources.kinds().contains(ProbeSource.KIND));
    RoadieException e = assertThrows(RoadieException.class, () -> Sources.forKind("no-such-kind"));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().contains("no source of kind 'no-such-kind' in this build"), e.getMessage());
  }

  @Test
  void checkIncludesEachSourcesCheckOfItsSideObjects() throws Exception {
    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      Sources.backup(BackupRequest.of(repo, ProbeSource.KIND, new ProbeSource.Options()));
      assertTrue(new Checker(repo, m -> {}).run(0).ok());
      SnapshotRef broken =
          Sources.backup(
                  new BackupRequest(
                      repo,
                      ProbeSource.KIND,
                      new ProbeSource.Options(),
                      null,
                      List.of(ProbeSource.MISSING),
                      null,
                      null,
                      null))
              .snapshot();
      Checker.Report report = new Checker(repo, m -> {}).run(0);
      assertFalse(report.ok());
      assertEquals(
          List.of("probe snapshot " + broken.id().shortHex() + ": its side object is missing"),
          report.errors());
      assertEquals(List.of(broken.id().hex()), report.damagedSnapshots());
    }
  }
}
