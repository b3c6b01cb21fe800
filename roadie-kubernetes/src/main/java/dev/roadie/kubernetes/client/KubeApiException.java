package dev.roadie.kubernetes.client;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;

/**
 * The API server answered a request with an error status. {@link #reason()} is the Status object's
 * reason ({@code NotFound}, {@code AlreadyExists}, {@code Forbidden}, {@code Invalid}, {@code
 * Conflict}, …) when the server sent one.
 */
public class KubeApiException extends RoadieException {
  private final int status;
  private final String reason;

  public KubeApiException(int status, String reason, String message) {
    super(
        status == 401 || status == 403
            ? ErrorCode.FAILURE
            : status == 429 || status >= 500 ? ErrorCode.TEMPORARY : ErrorCode.FAILURE,
        message);
    this.status = status;
    this.reason = reason == null ? "" : reason;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }

  /**
   * Whether the same request may succeed later without anyone changing anything: the server is
   * overloaded or failing (429, 5xx, including an admission webhook that cannot be reached yet) or
   * another writer got there first (409 Conflict on an update).
   */
  public boolean transientFailure() {
    return status == 429 || status >= 500 || "Conflict".equals(reason);
  }
}
