package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.tls.PemCertificates;
import java.time.Duration;
import javax.net.ssl.TrustManager;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.InstanceProfileRegionProvider;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Makes the S3 clients roadie uses, each configured by its own {@link S3Settings} alone, so that
 * clients for different endpoints and credentials live side by side in one process.
 *
 * <p>HTTP client: the SDK's Apache client, faster than the URL-connection client against s3proxy,
 * GETs especially (docs/decisions/0015-s3-http-client.md). Netty (async) is excluded: the engine's
 * I/O runs on virtual threads and needs only the blocking client. For an http endpoint the client
 * gets a {@link LazyTlsSocketFactory}, so that it does not build a TLS context it will never use.
 *
 * <p>Retries: the SDK's standard strategy, {@value #MAX_ATTEMPTS} attempts in all, exponential
 * backoff with full jitter (base 100 ms, longer base for throttling such as 503 SlowDown), for 5xx,
 * throttling, and I/O faults (connection reset, lost response, timeouts). Checksums are calculated
 * and validated only when an operation requires them, and request bodies are not signed ({@link
 * UnsignedPayloadAuthScheme}; the request headers always are): what roadie stores is authenticated
 * by its own encryption.
 */
public final class S3Clients {
  public static final int MAX_ATTEMPTS = 6;
  public static final int MAX_CONNECTIONS = 32;
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The longest wait for a response, and then for each read of its body. */
  public static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

  private S3Clients() {}

  /**
   * The retries of every client: the SDK's standard strategy, {@value #MAX_ATTEMPTS} attempts, and
   * no retry quota (a backup must not stop retrying because earlier requests were retried).
   */
  public static RetryStrategy retryStrategy() {
    return AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .maxAttempts(MAX_ATTEMPTS)
        .circuitBreakerEnabled(false)
        .build();
  }

  /** A client for {@code settings}; the caller closes it. */
  public static S3Client create(S3Settings settings) {
    return create(settings, region(settings));
  }

  static S3Client create(S3Settings settings, Region region) {
    return create(settings, region, credentials(settings));
  }

  static S3Client create(S3Settings settings, Region region, AwsCredentialsProvider credentials) {
    ApacheHttpClient.Builder http =
        ApacheHttpClient.builder()
            .maxConnections(MAX_CONNECTIONS)
            .connectionTimeout(CONNECT_TIMEOUT)
            .socketTimeout(SOCKET_TIMEOUT)
            .tcpKeepAlive(true);
    if (settings.caFile() != null) {
      TrustManager[] trust =
          PemCertificates.trustManagers(
              settings.caFile(),
              settings.endpoint() != null ? settings.endpoint().toString() : "S3");
      http.tlsTrustManagersProvider(() -> trust);
    } else if (settings.endpoint() != null
        && "http".equalsIgnoreCase(settings.endpoint().getScheme())) {
      // No https connection is made to an http endpoint: do not build a TLS context at every start.
      http.socketFactory(new LazyTlsSocketFactory());
    }
    S3ClientBuilder b =
        S3Client.builder()
            .region(region)
            .credentialsProvider(credentials)
            .httpClientBuilder(http)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(c -> c.retryStrategy(retryStrategy()));
    if (!settings.signPayload()) {
      b.putAuthScheme(new UnsignedPayloadAuthScheme());
    }
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    } else if (settings.region() == null) {
      b.crossRegionAccessEnabled(true);
    }
    b.forcePathStyle(settings.pathStyle());
    return b.build();
  }

  /**
   * The credentials of {@code settings}: fixed ones, a named profile (which must exist), or the
   * default chain.
   */
  static AwsCredentialsProvider credentials(S3Settings settings) {
    if (settings.credentials() != null) return settings.credentials();
    if (settings.profile() == null) return DefaultCredentialsProvider.builder().build();
    ProfileFile profiles = ProfileFile.defaultProfileFile();
    if (profiles.profile(settings.profile()).isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no AWS profile '"
              + settings.profile()
              + "' in the shared config "
              + "and credentials files (~/.aws/config and ~/.aws/credentials, or the files AWS_CONFIG_FILE and "
              + "AWS_SHARED_CREDENTIALS_FILE name)");
    }
    return ProfileCredentialsProvider.builder()
        .profileFile(profiles)
        .profileName(settings.profile())
        .build();
  }

  static Region region(S3Settings settings) {
    if (settings.region() != null) {
      return Region.of(settings.region());
    }
    AwsProfileRegionProvider profile =
        settings.profile() != null
            ? new AwsProfileRegionProvider(ProfileFile::defaultProfileFile, settings.profile())
            : new AwsProfileRegionProvider();
    try {
      // With an endpoint (MinIO, s3proxy, Ceph), the region is only a name in the signature: asking
      // the EC2 instance metadata service for it would cost a second of every command's start.
      return settings.endpoint() != null
          ? new AwsRegionProviderChain(new SystemSettingsRegionProvider(), profile).getRegion()
          : new AwsRegionProviderChain(
                  new SystemSettingsRegionProvider(), profile, new InstanceProfileRegionProvider())
              .getRegion();
    } catch (SdkClientException e) {
      return Region.US_EAST_1;
    }
  }
}
