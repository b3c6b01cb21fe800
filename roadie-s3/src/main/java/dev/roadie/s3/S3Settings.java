package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.backend.ServerSideEncryption;
import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * How to reach one S3 service; immutable, checked when made, read by {@link S3Clients#create}.
 *
 * @param endpoint null means AWS itself (region from the SDK's chain, a bucket followed to its
 *     region); otherwise an S3-compatible server (MinIO, Ceph, s3proxy)
 * @param pathStyle buckets addressed as {@code http://host/BUCKET/KEY} (what S3-compatible servers
 *     expect) rather than as {@code BUCKET.host}
 * @param region null: the {@code aws.region} property or {@code AWS_REGION}, then the profile's,
 *     then (on AWS only) instance metadata, else {@code us-east-1}
 * @param profile a profile of the shared AWS config and credentials files (their places as the SDK
 *     reads them: {@code ~/.aws/…}, {@code AWS_CONFIG_FILE}, {@code AWS_SHARED_CREDENTIALS_FILE})
 *     for credentials and region; null: the SDK's default chain (environment, web identity, {@code
 *     AWS_PROFILE}, container and instance roles)
 * @param credentials fixed credentials instead of a profile or the default chain; null: none
 * @param caFile PEM certificates of the authorities trusted for https instead of the JVM's trust
 *     store; null: the JVM's
 * @param signPayload let the SDK sign request bodies on plain-http endpoints as it does by default
 *     (aws-chunked, a SHA-256 and an HMAC per 128 KiB), for a server that refuses {@code
 *     UNSIGNED-PAYLOAD}; false: unsigned ({@link UnsignedPayloadAuthScheme})
 * @param sse server-side encryption asked of S3 for every object written; null: none asked
 */
public record S3Settings(
    URI endpoint,
    boolean pathStyle,
    String region,
    String profile,
    AwsCredentialsProvider credentials,
    Path caFile,
    boolean signPayload,
    ServerSideEncryption sse) {

  public S3Settings {
    // The same rules as any backend's endpoint, region, profile and CA file.
    new BackendSettings(endpoint, pathStyle, region, profile, caFile);
    if (profile != null && credentials != null) {
      throw new IllegalArgumentException("credentials come from a profile or a provider, not both");
    }
    if (caFile != null && endpoint != null && "http".equalsIgnoreCase(endpoint.getScheme())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a CA file (--s3-ca-file) is for https endpoints, and "
              + endpoint
              + " is plain http: use https://, or leave the CA file out");
    }
  }

  /** Bodies unsigned. */
  public S3Settings(
      URI endpoint,
      boolean pathStyle,
      String region,
      String profile,
      AwsCredentialsProvider credentials,
      Path caFile) {
    this(endpoint, pathStyle, region, profile, credentials, caFile, false, null);
  }

  /** No server-side encryption asked for. */
  public S3Settings(
      URI endpoint,
      boolean pathStyle,
      String region,
      String profile,
      AwsCredentialsProvider credentials,
      Path caFile,
      boolean signPayload) {
    this(endpoint, pathStyle, region, profile, credentials, caFile, signPayload, null);
  }

  /** The same with request bodies signed or not. */
  public S3Settings withSignedPayload(boolean sign) {
    return new S3Settings(endpoint, pathStyle, region, profile, credentials, caFile, sign, sse);
  }

  /** An S3-compatible server at {@code endpoint}, path-style, with fixed credentials. */
  public static S3Settings of(URI endpoint, String region, AwsCredentialsProvider credentials) {
    return new S3Settings(endpoint, endpoint != null, region, null, credentials, null);
  }

  /**
   * The settings of a repository at {@code location}: the location's own endpoint if it names one,
   * else the one in {@code settings}; path-style with an endpoint unless {@code settings} says.
   */
  public static S3Settings of(S3Location location, BackendSettings settings) {
    URI endpoint = location.endpoint() != null ? location.endpoint() : settings.endpoint();
    boolean pathStyle = settings.pathStyle() != null ? settings.pathStyle() : endpoint != null;
    return new S3Settings(
        endpoint,
        pathStyle,
        settings.region(),
        settings.profile(),
        null,
        settings.caFile(),
        settings.signPayload(),
        settings.sse());
  }
}
