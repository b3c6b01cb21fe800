package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import java.net.URI;

/**
 * A bucket and key prefix on S3, parsed from one of two forms:
 *
 * <ul>
 *   <li>{@code s3://BUCKET/PREFIX}: the endpoint comes from elsewhere (an option, the environment),
 *       else AWS;
 *   <li>{@code s3:http://HOST[:PORT]/BUCKET/PREFIX} or {@code s3:https://…} (restic's form): the
 *       location names its S3-compatible server itself, addressed path-style.
 * </ul>
 *
 * The prefix is empty or ends with '/'; an object's key is the prefix followed by its path ({@link
 * #key}). {@code endpoint} is null in the first form.
 */
public record S3Location(URI endpoint, String bucket, String prefix) {
  public static final String SCHEME = "s3://";

  /** What every location error lists. */
  static final String FORMS =
      "s3://BUCKET/PREFIX (the endpoint from --s3-endpoint, AWS_ENDPOINT_URL_S3 or "
          + "AWS_ENDPOINT_URL, else AWS) or s3:http(s)://HOST[:PORT]/BUCKET/PREFIX";

  public S3Location {
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "invalid S3 bucket name '" + bucket + "': 3 to 63 characters of a-z, 0-9, '.' and '-'");
    }
    if (!prefix.isEmpty() && (!prefix.endsWith("/") || prefix.startsWith("/"))) {
      throw new IllegalArgumentException(
          "a key prefix is empty or ends with '/', never starts with one: " + prefix);
    }
  }

  /**
   * Whether {@code text} is meant as an S3 location (it may still be malformed: {@link #parse} says
   * how).
   */
  public static boolean isS3(String text) {
    return text.startsWith("s3:");
  }

  public static S3Location parse(String text) {
    if (text.startsWith(SCHEME)) {
      String rest = text.substring(SCHEME.length());
      String bucket = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
      if (bucket.contains("@") || bucket.contains(":")) {
        // user:secret@bucket or bucket:port: never echoed, it may hold a secret.
        throw new RoadieException(
            ErrorCode.USAGE, "an S3 location holds no credentials or port; use " + FORMS);
      }
      return of(null, bucket, rest.substring(bucket.length()), text);
    }
    if (text.startsWith("s3:http://") || text.startsWith("s3:https://")) {
      URI uri;
      try {
        uri = new URI(text.substring("s3:".length()));
      } catch (java.net.URISyntaxException e) {
        throw new RoadieException(
            ErrorCode.USAGE, "malformed S3 location (" + e.getReason() + "); use " + FORMS);
      }
      if (uri.getRawUserInfo() != null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "an S3 location holds no credentials (give them with --profile "
                + "or the AWS variables); use "
                + FORMS);
      }
      if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new RoadieException(
            ErrorCode.USAGE, "malformed S3 location " + text + ": use " + FORMS);
      }
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      while (path.startsWith("/")) path = path.substring(1);
      if (path.isEmpty()) {
        throw new RoadieException(
            ErrorCode.USAGE, "the S3 location " + text + " names no bucket: use " + FORMS);
      }
      String bucket = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
      URI endpoint =
          BackendSettings.parseEndpoint(uri.getScheme() + "://" + uri.getRawAuthority(), text);
      return of(endpoint, bucket, path.substring(bucket.length()), text);
    }
    String shown = text.contains("@") ? "an S3 location with '@'" : "'" + text + "'";
    throw new RoadieException(ErrorCode.USAGE, shown + " is not an S3 location: use " + FORMS);
  }

  private static S3Location of(URI endpoint, String bucket, String rest, String text) {
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "invalid S3 bucket name '"
              + bucket
              + "' in "
              + text
              + ": 3 to 63 characters of a-z, 0-9, '.' and '-'");
    }
    String prefix = rest;
    while (prefix.startsWith("/")) prefix = prefix.substring(1);
    while (prefix.endsWith("//")) prefix = prefix.substring(0, prefix.length() - 1);
    if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix = prefix + "/";
    return new S3Location(endpoint, bucket, prefix);
  }

  /** The key of a repository path ("config", "data/ab/abcd…"). */
  public String key(String path) {
    return prefix + path;
  }

  /** The location in the form it was given in, normalised: no credentials, fit to print. */
  @Override
  public String toString() {
    String where = endpoint == null ? SCHEME : "s3:" + endpoint + "/";
    return where
        + bucket
        + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
  }
}
