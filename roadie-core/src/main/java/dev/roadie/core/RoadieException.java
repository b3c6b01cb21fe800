package dev.roadie.core;

/**
 * The one unchecked root of roadie's errors. The {@link ErrorCode} decides the command's exit code;
 * the message names the thing concerned and says what to do next.
 */
public class RoadieException extends RuntimeException {
  private final ErrorCode code;

  public RoadieException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public RoadieException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** A transient storage or network failure: the operation may succeed when tried again. */
  public static class Retriable extends RoadieException {
    public Retriable(String message, Throwable cause) {
      super(ErrorCode.FAILURE, message, cause);
    }
  }
}
