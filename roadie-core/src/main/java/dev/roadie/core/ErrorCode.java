package dev.roadie.core;

/** Failure classes and the exit code the command line maps each to. */
public enum ErrorCode {
  FAILURE(1),
  USAGE(2),
  /** Data failed authentication or does not match its id: tampering or corruption. */
  INTEGRITY(3),
  /**
   * Not a failure of the command: it finished and wrote its result, which lacks something it names
   * (a bucket snapshot without objects that changed or disappeared while they were read). A
   * scheduler can tell it from a failure (nothing written) and from success.
   */
  INCOMPLETE(4),
  NO_REPOSITORY(10),
  WRONG_PASSWORD(12),
  /**
   * A transient failure (network, an overloaded or lost server) that outlasted the retries: running
   * the same command again later may succeed. 75 is sysexits' EX_TEMPFAIL, so a scheduler can tell
   * "try again" from "fix something".
   */
  TEMPORARY(75);

  private final int exitCode;

  ErrorCode(int exitCode) {
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
