package dev.roadie.dashboard.page;

import dev.roadie.dashboard.status.TargetStatus;

/**
 * Where the pages link to: served pages link to each other by path, the static report to anchors in
 * its one file (and to no snapshot or repository page, which it does not hold: null).
 */
public interface Links {
  String overview();

  String target(TargetStatus t);

  /** The snapshot page of the 64-hex id, or null where there is none. */
  String snapshot(String id);

  /** The repository page, or null. */
  String repository();

  /**
   * The page of what snapshot {@code id} holds below {@code path} (as {@code roadie ls}), starting
   * after {@code from} entries; null where there is none (the static report).
   */
  default String contents(String id, String path, long from) {
    return null;
  }

  /**
   * Where the overview's running jobs are fetched again while it is open, or null where nothing
   * runs (the static report).
   */
  default String running() {
    return null;
  }
}
