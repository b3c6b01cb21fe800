package dev.roadie.core.source;

import java.time.Instant;
import java.util.List;

/**
 * What a scratch verification found.
 *
 * @param checks every check run, in order; the first is always {@code restore}
 * @param restoredTo where the copy was (a throwaway server, a directory), for people
 * @param recoveredTo the newest moment whose data the copy holds, ISO-8601 (a logical backup's
 *     snapshot time; for point-in-time recovery the last transaction replayed), or null when the
 *     restore failed; a drill's recovery point objective is measured against it
 * @param answeredAt when the copy answered with verified data: restored and its data checked
 *     against the snapshot (row counts and probes, keys, contents, recovery reached), before the
 *     deeper scans that a recovery would not wait for (constraints, amcheck); null when that is the
 *     end of the verification. A drill's recovery time ends here
 */
public record ScratchVerifyResult(
    List<Check> checks, String restoredTo, String recoveredTo, Instant answeredAt) {
  public ScratchVerifyResult {
    checks = List.copyOf(checks);
  }

  /** A result whose copy answered with verified data when the verification ended. */
  public ScratchVerifyResult(List<Check> checks, String restoredTo, String recoveredTo) {
    this(checks, restoredTo, recoveredTo, null);
  }

  public boolean passed() {
    return checks.stream().noneMatch(Check::failed);
  }
}
