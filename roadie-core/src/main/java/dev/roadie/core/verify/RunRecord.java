package dev.roadie.core.verify;

import java.util.List;

/**
 * One job of the agent or of {@code roadie run}, as stored (sealed JSON in {@code runs/<id>},
 * written once, never changed; docs/repository-format.md): a backup of a target and what the config
 * asks to follow it (retention, copy, verification), success or failure with its error. Failures
 * are recorded too, so that metrics rebuilt from the repository after a restart show them. Times
 * are ISO-8601 UTC.
 *
 * @param target the config's target name (also the snapshot's target)
 * @param kind the target's kind
 * @param trigger what started the job: {@code schedule}, {@code missed} (a run after downtime),
 *     {@code retry}, {@code manual} ({@code roadie run}) or {@code change} (on-change)
 * @param result {@link #SUCCESS} or {@link #FAILURE}
 * @param error the failure's message (no credentials), null on success
 * @param errorCode the failure's class ({@code FAILURE}, {@code USAGE}, {@code TEMPORARY}, …), null
 *     on success
 * @param attempts how many tries the job took (retries of retriable failures included)
 * @param snapshot the new snapshot's id, null when no snapshot was written
 * @param snapshotTime the new snapshot's time
 * @param readBytes bytes the backup read from the source
 * @param addedBytes bytes the backup added to the repository (after deduplication and compression)
 * @param steps what followed the backup, in order
 */
public record RunRecord(
    int version,
    String target,
    String kind,
    String host,
    String trigger,
    String started,
    String finished,
    String result,
    String error,
    String errorCode,
    int attempts,
    String snapshot,
    String snapshotTime,
    Long readBytes,
    Long addedBytes,
    List<Step> steps) {
  public static final int VERSION = 1;
  public static final String SUCCESS = "success";
  public static final String FAILURE = "failure";

  /**
   * One step after the backup: {@code retention}, {@code copy} or {@code verify}; {@code result}
   * {@code success}, {@code failure} or {@code skipped}; {@code summary} what it did or why it
   * failed.
   */
  public record Step(String name, String result, String summary) {}

  public RunRecord {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  public boolean succeeded() {
    return SUCCESS.equals(result);
  }
}
