package dev.roadie.core.source;

import dev.roadie.core.snapshot.SnapshotRef;
import java.util.List;

/**
 * A committed backup: the new snapshot, and warnings about what was left out (a socket skipped, a
 * table without a primary key, ...). A backup that cannot be complete fails instead and writes no
 * snapshot.
 */
public record BackupResult(SnapshotRef snapshot, List<String> warnings) {
  public BackupResult {
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }
}
