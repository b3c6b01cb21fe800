package dev.roadie.core.verify;

import dev.roadie.core.source.Check;
import java.util.List;

/**
 * One verified snapshot, as stored (sealed JSON in {@code verifications/<id>}, written once, never
 * changed; docs/repository-format.md). Times are ISO-8601 UTC.
 *
 * @param result {@code pass}, {@code fail} (a check failed) or {@code damaged} (the repository is:
 *     the restore met a missing or altered pack)
 * @param checks every check, in the order run; {@code restore} first, {@code freshness} and {@code
 *     read-data} when asked for
 * @param restoredTo where the copy was (a throwaway server, a scratch database, a directory)
 * @param recoveredTo the newest moment whose data the copy held (see {@link
 *     dev.roadie.core.source.ScratchVerifyResult#recoveredTo})
 * @param slice {@code n/m} when the run also read the n-th of m slices of the packs ({@code
 *     --rotate})
 * @param audit the id of the audit entry of the verify run (null in older records)
 */
public record VerificationRecord(
    int version,
    String target,
    String kind,
    String snapshot,
    String snapshotTime,
    String host,
    String user,
    String started,
    String finished,
    String result,
    List<Check> checks,
    String restoredTo,
    String recoveredTo,
    String slice,
    String audit) {
  public static final int VERSION = 1;

  /** A record not (yet) naming an audit entry; {@link Records#write} names the current one. */
  public VerificationRecord(
      int version,
      String target,
      String kind,
      String snapshot,
      String snapshotTime,
      String host,
      String user,
      String started,
      String finished,
      String result,
      List<Check> checks,
      String restoredTo,
      String recoveredTo,
      String slice) {
    this(
        version,
        target,
        kind,
        snapshot,
        snapshotTime,
        host,
        user,
        started,
        finished,
        result,
        checks,
        restoredTo,
        recoveredTo,
        slice,
        null);
  }

  VerificationRecord withAudit(String audit) {
    return new VerificationRecord(
        version,
        target,
        kind,
        snapshot,
        snapshotTime,
        host,
        user,
        started,
        finished,
        result,
        checks,
        restoredTo,
        recoveredTo,
        slice,
        audit);
  }

  public static final String PASS = "pass";
  public static final String FAIL = "fail";
  public static final String DAMAGED = "damaged";

  public VerificationRecord {
    checks = checks == null ? List.of() : List.copyOf(checks);
  }

  public boolean passed() {
    return PASS.equals(result);
  }

  /** The result of a list of checks: damaged beats fail beats pass. */
  public static String resultOf(List<Check> checks) {
    if (checks.stream().anyMatch(c -> Check.DAMAGED.equals(c.status()))) return DAMAGED;
    if (checks.stream().anyMatch(Check::failed)) return FAIL;
    return PASS;
  }
}
