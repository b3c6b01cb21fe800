package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * How to reach S3. {@code endpoint} null means AWS itself (virtual-host addressing, region from the
 * SDK's chain); otherwise an S3-compatible server (MinIO, s3proxy, Ceph) addressed path-style.
 * {@code region} null means the SDK's default chain (AWS_REGION, profile), else {@code us-east-1}.
 * {@code credentials} null means the SDK's default chain (environment, profile, web identity,
 * container and instance roles).
 */
public record S3Settings(URI endpoint, String region, AwsCredentialsProvider credentials) {
  /** Set by the CLI's {@code --s3-endpoint}; wins over the environment. */
  public static final String ENDPOINT_PROPERTY = "roadie.s3.endpoint";

  /**
   * The endpoint from {@code -Droadie.s3.endpoint} (the CLI's {@code --s3-endpoint}), else
   * {@code AWS_ENDPOINT_URL_S3}, else {@code AWS_ENDPOINT_URL}; the rest from the SDK's chains.
   */
  public static S3Settings fromEnvironment() {
    String endpoint = System.getProperty(ENDPOINT_PROPERTY);
    String from = "--s3-endpoint";
    if (blank(endpoint)) {
      endpoint = System.getenv("AWS_ENDPOINT_URL_S3");
      from = "AWS_ENDPOINT_URL_S3";
    }
    if (blank(endpoint)) {
      endpoint = System.getenv("AWS_ENDPOINT_URL");
      from = "AWS_ENDPOINT_URL";
    }
    return new S3Settings(blank(endpoint) ? null : parseEndpoint(endpoint, from), null, null);
  }

  static URI parseEndpoint(String text, String from) {
    URI uri;
    try {
      uri = URI.create(text.trim());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getUserInfo() != null) {
      throw new RoadieException(ErrorCode.USAGE, from + ": the S3 endpoint must be an http:// or https:// URL "
          + "such as http://minio:9000 (no credentials in it)");
    }
    return uri;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
