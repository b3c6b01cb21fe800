package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.wal.WalNames;
import dev.roadie.postgres.wal.WalRetention;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The WAL part of {@code forget}: removes archived WAL that no remaining physical backup can use. */
final class ForgetWal {
  private ForgetWal() {}

  /** {@code all}: every snapshot of the repository as forget read it; {@code removed}: those it removes. */
  static void apply(Repository r, List<SnapshotRef> all, List<SnapshotRef> removed, boolean dryRun, boolean json)
      throws IOException {
    Set<String> gone = new HashSet<>();
    for (SnapshotRef s : removed) gone.add(s.id().hex());
    // Every snapshot that remains in the repository counts, not only those this forget's filter chose.
    List<Snapshot> remaining = all.stream().filter(s -> !gone.contains(s.id().hex()))
        .map(SnapshotRef::snapshot).toList();
    for (WalRetention.Plan plan : WalRetention.plan(r, remaining)) {
      if (plan.unneeded().isEmpty()) continue;
      String what = "WAL of cluster " + WalNames.systemIdText(plan.systemId()) + ": "
          + Plural.count(plan.unneeded().size(), "archived file") + " (" + Format.bytes(plan.bytes()) + ") before " + plan.keepFrom()
          + ", the start of the oldest kept backup";
      if (!dryRun) WalRetention.execute(r, plan);
      // In --json mode stdout carries only the JSON report.
      (json ? System.err : System.out).println((dryRun ? "would remove " : "removed ") + what);
    }
  }
}
