package dev.roadie.s3;

import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;

/** Test access to S3Backend's package-private helpers. */
public final class S3BackendAccess {
  private S3BackendAccess() {}

  public static ObjectName nameOf(ObjectKind kind, String rel) {
    return S3Backend.nameOf(kind, rel);
  }
}
