package dev.roadie.dashboard.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How far the second region's copy is behind: for each copied target, its newest snapshot here and
 * the newest copy of it there (a copy keeps the original's time).
 *
 * @param location the second region's repository, without credentials
 * @param targets the copied targets that have a snapshot here, by kind and name
 * @param problems what could not be read there (the repository, a snapshot)
 */
public record CopyLag(String location, List<Target> targets, List<String> problems) {
  public CopyLag {
    targets = List.copyOf(targets);
    problems = List.copyOf(problems);
  }

  /**
   * One copied target.
   *
   * @param newest the time of its newest snapshot in this repository
   * @param newestCopy the time of its newest snapshot in the second region's, or null when none
   * @param copied whether the newest snapshot itself is there (copied under its origin)
   */
  public record Target(
      String name, String kind, Instant newest, Instant newestCopy, boolean copied) {
    /**
     * How much newer this repository's newest snapshot is than the second region's: zero when it
     * was copied, null when nothing of the target was.
     */
    public Duration behind() {
      if (copied) return Duration.ZERO;
      if (newestCopy == null) return null;
      Duration d = Duration.between(newestCopy, newest);
      return d.isNegative() ? Duration.ZERO : d;
    }
  }
}
