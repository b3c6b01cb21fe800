package dev.roadie.bucket.mirror;

import dev.roadie.core.tls.PemCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;

/**
 * Signed (SigV4) GET requests to a bucket for the MinIO extensions the SDK does not model: the
 * listing that carries metadata and tags, and the stream of bucket notifications. Only for an
 * S3-compatible endpoint addressed path-style; credentials and region are the side's client's.
 */
final class SignedHttp {
  private final MirrorSide side;
  private final URI endpoint;
  private final String region;
  private final IdentityProvider<? extends AwsCredentialsIdentity> credentials;
  private final HttpClient http;

  private SignedHttp(MirrorSide side, URI endpoint, String region,
      IdentityProvider<? extends AwsCredentialsIdentity> credentials, HttpClient http) {
    this.side = side;
    this.endpoint = endpoint;
    this.region = region;
    this.credentials = credentials;
    this.http = http;
  }

  /** For {@code side}, or null when it is AWS itself or addressed by virtual host (no MinIO there). */
  static SignedHttp of(MirrorSide side) {
    if (side.settings().endpoint() == null || !side.settings().pathStyle()) return null;
    S3ServiceClientConfiguration config = side.s3().serviceClientConfiguration();
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5));
    if (side.settings().caFile() != null) {
      try {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, PemCertificates.trustManagers(side.settings().caFile(), side.describe()), null);
        b.sslContext(tls);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return new SignedHttp(side, side.settings().endpoint(), config.region().id(), config.credentialsProvider(), b.build());
  }

  /**
   * GET of the bucket with {@code query}; the response body as a stream, whatever the status.
   * {@code timeout} bounds the wait for the response's headers (null: none, for a stream that
   * stays open).
   *
   * @throws HttpTimeoutException when the response's headers did not come within {@code timeout}
   * @throws SdkClientException when the server cannot be reached (transient, as the SDK's own)
   */
  HttpResponse<InputStream> get(Map<String, List<String>> query, Duration timeout)
      throws InterruptedException, HttpTimeoutException {
    SdkHttpFullRequest.Builder req = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).uri(endpoint)
        .encodedPath(basePath() + "/" + side.bucket());
    query.forEach(req::putRawQueryParameter);
    AwsCredentialsIdentity identity = credentials.resolveIdentity().join();
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(identity).request(req.build())
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
        .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false));
    HttpRequest.Builder hr = HttpRequest.newBuilder(signed.request().getUri()).GET();
    if (timeout != null) hr.timeout(timeout);
    signed.request().forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("Host")) values.forEach(v -> hr.header(name, v));
    });
    try {
      return http.send(hr.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw e;
    } catch (IOException e) {
      throw SdkClientException.builder().message("Unable to execute HTTP request: " + e).cause(e).build();
    }
  }

  private String basePath() {
    String p = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /** The body of an error response, for its S3 error code and message. */
  static String readError(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      byte[] b = in.readNBytes(16 * 1024);
      return new String(b, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
