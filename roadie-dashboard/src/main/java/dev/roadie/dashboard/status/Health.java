package dev.roadie.dashboard.status;

/** How a target is doing, as the dashboard colours it. */
public enum Health {
  /** Backed up within its expected interval, nothing failed. */
  OK("ok"),
  /** Late (past its expected interval but not yet twice it), or something needs a look. */
  WARN("warn"),
  /** Failed, or more than twice its expected interval old (the BackupTooOld alert's rule). */
  FAIL("fail"),
  /** No expectation to judge against (one snapshot, no schedule, no interval given). */
  UNKNOWN("unknown");

  private final String css;

  Health(String css) {
    this.css = css;
  }

  /** The word the pages use for it (and their CSS class). */
  public String css() {
    return css;
  }

  public Health worst(Health other) {
    if (this == FAIL || other == FAIL) return FAIL;
    if (this == WARN || other == WARN) return WARN;
    if (this == OK || other == OK) return OK;
    return UNKNOWN;
  }
}
