package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * A bucket and key prefix with how to reach it: the same location forms as a repository's ({@code
 * s3://BUCKET[/PREFIX]}, the endpoint given separately or AWS; {@code
 * s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]}) and the settings of its own server (endpoint,
 * credentials, region, CA file), so that a bucket and a repository, or two buckets, can sit on
 * different servers with different credentials.
 *
 * <p>The prefix is empty or ends with '/': {@code s3://photos/2024} is every object whose key
 * starts with {@code 2024/}.
 */
public record BucketLocation(S3Location location, S3Settings settings) {
  /** How a user writes one, for messages. */
  public static final String FORMS =
      "s3://BUCKET[/PREFIX] (the endpoint from --bucket-endpoint, "
          + "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS) or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]";

  /** The host named in target names of buckets on AWS itself (no endpoint). */
  static final String AWS_HOST = "s3.amazonaws.com";

  public BucketLocation {
    if (location == null || settings == null) {
      throw new IllegalArgumentException("a bucket location needs a location and settings");
    }
  }

  /**
   * Parses {@code text}; {@code settings} gives the endpoint when the text names none, and the
   * profile, region and CA file; {@code credentials} (null: the profile, else the AWS SDK's chain)
   * replaces both for callers that hold keys themselves (tests, the agent).
   */
  public static BucketLocation parse(
      String text, BackendSettings settings, AwsCredentialsProvider credentials) {
    if (text == null || !S3Location.isS3(text)) {
      String shown =
          text == null ? "nothing" : text.contains("@") ? "a location with '@'" : "'" + text + "'";
      throw new RoadieException(ErrorCode.USAGE, shown + " is not a bucket location: use " + FORMS);
    }
    S3Location loc;
    try {
      loc = S3Location.parse(text);
    } catch (RoadieException e) {
      // The repository's wording names the repository's option; a bucket has its own.
      throw new RoadieException(
          e.code(),
          e.getMessage()
              .replace("--s3-endpoint", "--bucket-endpoint")
              .replace("S3 location", "bucket location"),
          e);
    }
    BackendSettings s = settings == null ? BackendSettings.DEFAULTS : settings;
    URI endpoint = loc.endpoint() != null ? loc.endpoint() : s.endpoint();
    boolean pathStyle = s.pathStyle() != null ? s.pathStyle() : endpoint != null;
    String profile = credentials != null ? null : s.profile();
    return new BucketLocation(
        loc, new S3Settings(endpoint, pathStyle, s.region(), profile, credentials, s.caFile()));
  }

  public String bucket() {
    return location.bucket();
  }

  /** The key prefix: empty, or ending with '/'. */
  public String prefix() {
    return location.prefix();
  }

  /** The server's URL, or null for AWS. */
  public URI endpoint() {
    return settings.endpoint();
  }

  /**
   * The name a backup of this location records by default: {@code
   * bucket://HOST[:PORT]/BUCKET[/PREFIX]} (the host of the endpoint, or {@value #AWS_HOST}; never
   * credentials; the prefix without its '/').
   */
  public String target() {
    return target(endpoint(), bucket(), prefix());
  }

  static String target(URI endpoint, String bucket, String prefix) {
    String host =
        endpoint == null
            ? AWS_HOST
            : endpoint.getHost() + (endpoint.getPort() >= 0 ? ":" + endpoint.getPort() : "");
    return "bucket://"
        + host
        + "/"
        + bucket
        + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
  }

  /**
   * The location as messages show it: {@code s3:http://HOST:PORT/BUCKET/PREFIX}, or {@code
   * s3://BUCKET/PREFIX} on AWS.
   */
  @Override
  public String toString() {
    String where = endpoint() == null ? S3Location.SCHEME : "s3:" + endpoint() + "/";
    return where
        + bucket()
        + (prefix().isEmpty() ? "" : "/" + prefix().substring(0, prefix().length() - 1));
  }

  /** The full key of {@code name}, a key relative to the prefix. */
  public String key(String name) {
    return prefix() + name;
  }

  /** {@code key} relative to the prefix (the key must start with it). */
  public String name(String key) {
    return key.substring(prefix().length());
  }
}
