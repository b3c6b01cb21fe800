package dev.roadie.bucket.mirror;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.s3.S3Clients;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Turns the SDK's failures into messages that name the side, the bucket or object and the next
 * step; never credentials. Transient ones (5xx, throttling, a server out of reach) become {@link
 * RoadieException.Retriable}, so that a watch can wait for the server to come back.
 */
final class S3Failures {
  private S3Failures() {}

  static boolean isNotFound(SdkException e) {
    return e instanceof S3Exception s && s.statusCode() == 404 && !"NoSuchBucket".equals(code(s));
  }

  static boolean isNoSuchBucket(SdkException e) {
    return e instanceof S3Exception s && "NoSuchBucket".equals(code(s));
  }

  /** A request's precondition ({@code If-Match}) failed: the object changed since it was listed. */
  static boolean isPreconditionFailed(SdkException e) {
    return e instanceof S3Exception s && s.statusCode() == 412;
  }

  static String code(S3Exception s) {
    return s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode() : null;
  }

  /**
   * Whether {@code e} is a server that is out of reach or failing for now, rather than a refusal.
   */
  static boolean isTransient(Throwable e) {
    if (e instanceof RoadieException.Retriable) return true;
    if (e instanceof S3Exception s) return s.statusCode() >= 500 || s.statusCode() == 429;
    return e instanceof SdkException && !(e instanceof S3Exception) && !credentialsMissing(e);
  }

  private static boolean credentialsMissing(Throwable e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("Unable to load credentials")
        || m.contains("Unable to load an identity")
        || m.contains("credentials for profile")
        || m.contains("Profile file contained no credentials");
  }

  /** The bucket of {@code side} does not exist ({@code e}: the request that found so). */
  static RoadieException noSuchBucket(MirrorSide side, SdkException e) {
    return new RoadieException(
        ErrorCode.FAILURE,
        side.describe()
            + ": the bucket "
            + side.bucket()
            + " does not exist"
            + ("source".equals(side.role()) ? ": check the location" : ""),
        e);
  }

  /**
   * The failure of {@code op} ("list", "read", "write", …) on {@code key} of {@code side} (an empty
   * key: the bucket itself).
   */
  static RoadieException of(MirrorSide side, String op, String key, SdkException e) {
    String what = op + " " + (key.isEmpty() ? "s3://" + side.bucket() : side.object(key));
    String prefix = side.describe() + ": ";
    if (e instanceof S3Exception s) {
      int status = s.statusCode();
      String code = code(s);
      String msg = s.awsErrorDetails() != null ? s.awsErrorDetails().errorMessage() : null;
      String detail =
          "HTTP " + status + (code != null ? " " + code : "") + (msg != null ? ": " + msg : "");
      if ("NoSuchBucket".equals(code)) return noSuchBucket(side, e);
      if ("InvalidAccessKeyId".equals(code)
          || "SignatureDoesNotMatch".equals(code)
          || "InvalidToken".equals(code)
          || "ExpiredToken".equals(code)) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "the server refused the credentials ("
                + detail
                + "): check "
                + credentialsSource(side),
            e);
      }
      if (status == 403) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "no permission to "
                + what
                + " ("
                + detail
                + "): the credentials ("
                + credentialsSource(side)
                + ") need that right in the bucket's or user's policy",
            e);
      }
      if (status >= 500 || status == 429) {
        return new RoadieException.Retriable(
            prefix
                + "could not "
                + what
                + " after "
                + S3Clients.MAX_ATTEMPTS
                + " attempts ("
                + detail
                + "); try again later",
            e);
      }
      return new RoadieException(
          ErrorCode.FAILURE, prefix + "could not " + what + " (" + detail + ")", e);
    }
    if (credentialsMissing(e)) {
      String m = String.valueOf(e.getMessage());
      int nl = m.indexOf('\n');
      String first = nl < 0 ? m : m.substring(0, nl);
      int dump = first.indexOf(": ProfileFile(");
      return new RoadieException(
          ErrorCode.FAILURE,
          prefix
              + "no usable credentials ("
              + (dump < 0 ? first : first.substring(0, dump))
              + "): give them with "
              + credentialsSource(side),
          e);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String cause = root.getMessage() != null ? root.getMessage() : String.valueOf(e.getMessage());
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "could not "
                + what
                + ": TLS failed ("
                + cause
                + "); for a server with a private CA give its certificate (PEM) with the side's CA file option",
            e);
      }
    }
    return new RoadieException.Retriable(
        prefix
            + "could not "
            + what
            + " after up to "
            + S3Clients.MAX_ATTEMPTS
            + " attempts: "
            + cause
            + " (is the server reachable?)",
        e);
  }

  /** Where the side's credentials come from, for messages: never the credentials themselves. */
  static String credentialsSource(MirrorSide side) {
    if (side.settings().profile() != null) return "the profile '" + side.settings().profile() + "'";
    if (side.settings().credentials() != null) return "the credentials given";
    return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE";
  }
}
