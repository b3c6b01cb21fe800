package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;

/**
 * A parsed {@code s3://BUCKET/PREFIX} repository URL. The prefix is empty or ends with '/'; every
 * object's key is the prefix followed by the object's path in the repository layout.
 */
public record S3Location(String bucket, String prefix) {
  public static final String SCHEME = "s3://";

  public static S3Location parse(String url) {
    if (!url.startsWith(SCHEME)) {
      throw new RoadieException(ErrorCode.USAGE, "not an S3 repository URL (s3://bucket/prefix): " + url);
    }
    String rest = url.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    if (bucket.contains("@") || bucket.contains(":")) {
      throw new RoadieException(ErrorCode.USAGE, "the S3 repository URL must be s3://bucket/prefix, without credentials "
          + "or an endpoint (use AWS_ENDPOINT_URL or --s3-endpoint for the endpoint)");
    }
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new RoadieException(ErrorCode.USAGE, "invalid S3 bucket name '" + bucket
          + "' in " + url + ": 3 to 63 characters of a-z, 0-9, '.' and '-'");
    }
    while (prefix.startsWith("/")) prefix = prefix.substring(1);
    while (prefix.endsWith("//")) prefix = prefix.substring(0, prefix.length() - 1);
    if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix = prefix + "/";
    return new S3Location(bucket, prefix);
  }

  /** The key of a repository path ("config", "data/ab/abcd…"). */
  public String key(String path) {
    return prefix + path;
  }

  @Override
  public String toString() {
    return SCHEME + bucket + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
  }
}
