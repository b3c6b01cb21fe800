package dev.roadie.core.source;

import java.util.List;

/**
 * What a scratch verification found.
 *
 * @param checks every check run, in order; the first is always {@code restore}
 * @param restoredTo where the copy was (a throwaway server, a directory), for people
 * @param recoveredTo the newest moment whose data the copy holds, ISO-8601 (a logical backup's
 *     snapshot time; for point-in-time recovery the last transaction replayed), or null when the
 *     restore failed; a drill's recovery point objective is measured against it
 */
public record ScratchVerifyResult(List<Check> checks, String restoredTo, String recoveredTo) {
  public ScratchVerifyResult {
    checks = List.copyOf(checks);
  }

  public boolean passed() {
    return checks.stream().noneMatch(Check::failed);
  }
}
