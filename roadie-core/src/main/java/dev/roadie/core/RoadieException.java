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

  /**
   * The same failure with {@code context} (such as which of two repositories) before its message:
   * same code, and still {@link Retriable} when this one is.
   */
  public RoadieException withContext(String context) {
    String message = context + getMessage();
    RoadieException e =
        this instanceof Retriable
            ? new Retriable(message, getCause())
            : new RoadieException(code, message, getCause());
    e.setStackTrace(getStackTrace());
    return e;
  }

  /**
   * A transient storage or network failure: the operation may succeed when tried again. Its code is
   * {@link ErrorCode#TEMPORARY}, so a wrapper that keeps the code keeps the exit status too.
   */
  public static class Retriable extends RoadieException {
    public Retriable(String message, Throwable cause) {
      super(ErrorCode.TEMPORARY, message, cause);
    }
  }
}
