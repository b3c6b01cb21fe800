package dev.roadie.bucket;

import java.io.IOException;

/**
 * An object that is no longer what a listing said: it changed (its ETag differs; S3 answered a
 * conditional read with 412) or it is gone (deleted after the listing). Not a failure of the
 * server: the caller decides (read it again, or report it and go on).
 */
public final class ObjectUnavailableException extends IOException {
  private final boolean gone;

  public ObjectUnavailableException(String message, boolean gone) {
    super(message);
    this.gone = gone;
  }

  /** True when the object (or version) no longer exists; false when it changed. */
  public boolean gone() {
    return gone;
  }
}
