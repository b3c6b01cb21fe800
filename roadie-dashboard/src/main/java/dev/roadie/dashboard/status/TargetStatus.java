package dev.roadie.dashboard.status;

import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.RecoverableWindow;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.VerificationRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One target (a target name and snapshot kind) as the dashboard shows it.
 *
 * @param snapshots its snapshots, oldest first (may be empty for a scheduled target never backed
 *     up)
 * @param age how long ago its newest snapshot was taken, or null without one
 * @param expected how often a snapshot is due, and who says so; null when nobody does
 * @param health the colour, and {@code reasons} why (empty when all is well)
 * @param verifications its verification records, oldest first
 * @param drills the drills it took part in, oldest first
 * @param windows the recoverable windows of its snapshots (physical PostgreSQL), oldest first
 * @param rpo how much data would be lost now: the time since the newest moment it can be restored
 *     to; null without a snapshot
 * @param rpoObjective the most data it may lose, from its schedule or its newest drill; or null
 */
public record TargetStatus(
    String name,
    String kind,
    Health health,
    List<String> reasons,
    List<SnapshotRef> snapshots,
    Duration age,
    Expected expected,
    ScheduleProvider.Schedule schedule,
    List<Records.Stored<VerificationRecord>> verifications,
    List<Drilled> drills,
    List<RecoverableWindow> windows,
    Duration rpo,
    Duration rpoObjective) {

  public TargetStatus {
    reasons = List.copyOf(reasons);
    snapshots = List.copyOf(snapshots);
    verifications = List.copyOf(verifications);
    drills = List.copyOf(drills);
    windows = List.copyOf(windows);
  }

  /**
   * An expected interval and where it comes from: {@code schedule}, {@code given} or {@code
   * history}.
   */
  public record Expected(Duration interval, String source) {}

  /** A drill this target took part in: the drill's id, the whole record, and this target's part. */
  public record Drilled(String id, DrillRecord drill, DrillRecord.Target target) {}

  public SnapshotRef last() {
    return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
  }

  public Records.Stored<VerificationRecord> lastVerification() {
    return verifications.isEmpty() ? null : verifications.get(verifications.size() - 1);
  }

  public Drilled lastDrill() {
    return drills.isEmpty() ? null : drills.get(drills.size() - 1);
  }

  public Instant nextRun() {
    return schedule == null ? null : schedule.nextRun();
  }
}
