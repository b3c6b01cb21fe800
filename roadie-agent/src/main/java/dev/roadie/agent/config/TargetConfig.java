package dev.roadie.agent.config;

import dev.roadie.core.retention.RetentionPolicy;
import dev.roadie.core.source.BackupRequest;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * One target of the config.
 *
 * @param name the target's name: the snapshots' target and the metrics' {@code target} label
 * @param kind the source kind ({@code file}, {@code postgres}, {@code postgres-physical}, {@code
 *     redis}, {@code bucket}, {@code k8s})
 * @param schedule when it is backed up
 * @param zone the time zone of its cron schedule
 * @param jitter each scheduled run starts up to this much later, at random (spreads many targets)
 * @param retention what to keep after each backup; null: keep every snapshot
 * @param copy copy each new snapshot to the config's {@code secondRegion} repository
 * @param verify when its snapshots are verified; null: never by the agent
 * @param options the kind's backup options, built from the target's own keys by its source
 * @param expectedInterval the longest gap between two runs its schedule allows (the metric {@code
 *     roadie_backup_expected_interval_seconds}); null when the schedule has none
 * @param tags tags of every snapshot of this target
 * @param line where the target starts in the file
 */
public record TargetConfig(
    String name,
    String kind,
    Schedule schedule,
    ZoneId zone,
    Duration jitter,
    RetentionPolicy retention,
    boolean copy,
    VerifyConfig verify,
    BackupRequest.Options options,
    Duration expectedInterval,
    List<String> tags,
    int line) {

  public TargetConfig {
    tags = List.copyOf(tags);
  }

  /**
   * Verification of a target's newest snapshot: on its own cron {@code schedule} (in the target's
   * zone), and/or right after each backup ({@code afterBackup}).
   */
  public record VerifyConfig(Schedule.Cron schedule, boolean afterBackup) {}
}
