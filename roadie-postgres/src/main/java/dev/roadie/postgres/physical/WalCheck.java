package dev.roadie.postgres.physical;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The WAL part of {@code check}: walks each physical snapshot's recovery through the repository's
 * WAL archive ({@link RecoveryWindow}, along the latest timeline, as restore does by default) and
 * reports a snapshot whose backup cannot become consistent with the WAL the repository holds, or
 * whose WAL stops at a missing segment while later WAL is archived (recovery cannot reach it).
 * Only the archive's listing and its timeline history files are read, not the WAL itself.
 */
public final class WalCheck {
  /** A snapshot whose recovery needs WAL the repository lacks; {@code snapshot} is its full id. */
  public record Problem(String snapshot, String message) {}

  private WalCheck() {}

  public static List<Problem> check(Repository repo, List<SnapshotRef> snapshots) {
    RecoveryWindow windows = new RecoveryWindow(repo);
    List<Problem> out = new ArrayList<>();
    for (SnapshotRef ref : snapshots) {
      if (!PhysicalBackup.KIND.equals(ref.snapshot().kind())) continue;
      String desc = "snapshot " + ref.id().shortHex() + " (" + ref.snapshot().target() + ", " + ref.snapshot().time()
          + ")";
      try {
        RecoveryWindow.Window w = windows.of(ref.snapshot(), null);
        if (w.missingSegment() == null) continue;
        out.add(new Problem(ref.id().hex(), desc + ": " + w.note() + "; see docs/runbooks/postgres-pitr.md, "
            + "'WAL is missing'"));
      } catch (IOException | RuntimeException e) {
        out.add(new Problem(ref.id().hex(), desc + ": its WAL archive cannot be read: " + e.getMessage()));
      }
    }
    return out;
  }
}
