package dev.roadie.cli;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.physical.PhysicalBackup;
import dev.roadie.postgres.physical.RecoveryWindow;
import java.util.Map;

/**
 * The recoverable window of physical PostgreSQL snapshots, for listings (one archive listing per
 * cluster).
 */
final class PhysicalWindows {
  private final RecoveryWindow windows;

  PhysicalWindows(Repository r) {
    this.windows = new RecoveryWindow(r);
  }

  private Object window(SnapshotRef ref) {
    if (!PhysicalBackup.KIND.equals(ref.snapshot().kind())) return null;
    try {
      return windows.of(ref.snapshot(), null);
    } catch (Exception e) {
      return "unknown: " + e.getMessage();
    }
  }

  /** Adds {@code recoveryWindow} to a snapshot's JSON view (physical snapshots only). */
  Map<String, Object> addTo(Map<String, Object> view, SnapshotRef ref) {
    Object w = window(ref);
    if (w instanceof RecoveryWindow.Window win) view.put("recoveryWindow", win.toMap());
    else if (w != null) view.put("recoveryWindow", Map.of("error", w));
    return view;
  }

  /** One line for the table, or null. */
  String line(SnapshotRef ref) {
    Object w = window(ref);
    if (w == null) return null;
    if (w instanceof RecoveryWindow.Window win) {
      return "recoverable " + win.describe() + (win.note() != null ? " (" + win.note() + ")" : "");
    }
    return "recoverable window " + w;
  }
}
