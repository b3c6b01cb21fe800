package dev.roadie.core.verify;

import dev.roadie.core.source.Check;
import java.util.List;

/**
 * One disaster-recovery drill, as stored (sealed JSON in {@code drills/<id>}, written once).
 *
 * @param scenario {@code database-corruption}, {@code region-outage} or {@code complete-loss}
 * @param repository the repository restored from, without credentials
 * @param requestedPoint the moment the drill recovers to: the requested point in time of a
 *     database-corruption drill, else the drill's start (the moment of the disaster)
 * @param targets one entry per target, in the order recovered
 * @param rtoSeconds the whole drill: from its start until the last target answered with verified
 *     data
 * @param rpoSeconds the largest recovery point of any target (null when a target recovered nothing)
 * @param pass every target verified and within its objectives
 * @param audit the id of the audit entry of the drill (null in older records)
 */
public record DrillRecord(
    int version,
    String scenario,
    String repository,
    String host,
    String started,
    String finished,
    String requestedPoint,
    List<Target> targets,
    double rtoSeconds,
    Double rpoSeconds,
    boolean pass,
    String audit) {
  public static final int VERSION = 1;

  /** A record not (yet) naming an audit entry; {@link Records#write} names the current one. */
  public DrillRecord(
      int version,
      String scenario,
      String repository,
      String host,
      String started,
      String finished,
      String requestedPoint,
      List<Target> targets,
      double rtoSeconds,
      Double rpoSeconds,
      boolean pass) {
    this(
        version,
        scenario,
        repository,
        host,
        started,
        finished,
        requestedPoint,
        targets,
        rtoSeconds,
        rpoSeconds,
        pass,
        null);
  }

  DrillRecord withAudit(String audit) {
    return new DrillRecord(
        version,
        scenario,
        repository,
        host,
        started,
        finished,
        requestedPoint,
        targets,
        rtoSeconds,
        rpoSeconds,
        pass,
        audit);
  }

  public DrillRecord {
    targets = targets == null ? List.of() : List.copyOf(targets);
  }

  /**
   * One target of a drill.
   *
   * @param rtoSeconds from the drill's start until this target's restored copy answered with
   *     verified data ({@link dev.roadie.core.source.ScratchVerifyResult#answeredAt}; targets are
   *     recovered one after another, as one operator would)
   * @param rpoSeconds the data lost: from the requested point back to the newest moment the copy
   *     holds ({@code recoveredTo}); null when nothing was recovered
   * @param objective the recovery objectives this target is held to
   * @param notes what a reader of the report should know (a recovery that stopped short, why a
   *     target failed)
   */
  public record Target(
      String target,
      String kind,
      String snapshot,
      String snapshotTime,
      String recoveredTo,
      double rtoSeconds,
      Double rpoSeconds,
      Objective objective,
      boolean verified,
      boolean pass,
      List<Check> checks,
      List<String> notes) {
    public Target {
      checks = checks == null ? List.of() : List.copyOf(checks);
      notes = notes == null ? List.of() : List.copyOf(notes);
    }
  }

  /**
   * Recovery objectives in seconds: the most data that may be lost, the longest the recovery may
   * take.
   */
  public record Objective(long rpoSeconds, long rtoSeconds) {}
}
