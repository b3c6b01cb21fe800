package dev.roadie.core.backend;

/** Reaches package-private helpers of dev.roadie.s3 from this package. */
final class S3BackendTestAccess {
  static ObjectName nameOf(ObjectKind kind, String rel) {
    return dev.roadie.s3.S3BackendAccess.nameOf(kind, rel);
  }
}
