package dev.roadie.s3;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 with {@code x-amz-content-sha256: UNSIGNED-PAYLOAD} on plain-http endpoints too.
 *
 * <p>Over https the SDK already sends S3 request bodies unsigned (TLS protects them). Over plain
 * http it insists on signing the body: as aws-chunked encoding with a SHA-256 and an HMAC per 128
 * KiB chunk, which the server must parse back. For roadie that is a large share of a backup's CPU
 * on the client and more work on the server (docs/decisions/0016-s3-unsigned-payload-over-http.md),
 * and buys nothing: every blob is sealed with AES-GCM under a key the server never sees and
 * verified on every read, so a body altered in transit or at rest is detected anyway. Someone who
 * can alter plain-http traffic can also drop an upload and answer 200 in the server's place
 * (responses are not signed), which no payload hash prevents; only TLS does. The headers (method,
 * key, host, date, content length) stay signed, so nobody without the secret key can make a request
 * of their own. S3, MinIO, Ceph RGW and s3proxy accept {@code UNSIGNED-PAYLOAD} for PutObject
 * whatever the scheme.
 *
 * <p>How: the SDK's own signer signs the request as if it went over https (same host header, same
 * path and headers; the scheme is not part of the signature), with payload signing and chunked
 * encoding off; the request then goes out over http as it was. Requests on port 443 over http
 * (where the host header would differ) and https endpoints get the SDK's signer unchanged.
 */
final class UnsignedPayloadAuthScheme implements AuthScheme<AwsCredentialsIdentity> {
  private final AwsV4HttpSigner delegate = AwsV4HttpSigner.create();
  private final HttpSigner<AwsCredentialsIdentity> signer = new Signer();

  @Override
  public String schemeId() {
    return AwsV4AuthScheme.SCHEME_ID;
  }

  @Override
  public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
    return providers.identityProvider(AwsCredentialsIdentity.class);
  }

  @Override
  public HttpSigner<AwsCredentialsIdentity> signer() {
    return signer;
  }

  private final class Signer implements HttpSigner<AwsCredentialsIdentity> {
    @Override
    public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
      SdkHttpRequest http = request.request();
      int port = http.port();
      if (!"http".equals(http.protocol()) || port == 443 || request.payload().isEmpty()) {
        return delegate.sign(request);
      }
      // Port 80 is the default of http: as https it becomes 443, the default there, so the host
      // header the signer computes ("host", no port) is the one the http request carries.
      SdkHttpRequest asHttps =
          http.toBuilder().protocol("https").port(port == 80 ? 443 : port).build();
      SignRequest<? extends AwsCredentialsIdentity> unsigned =
          request.copy(
              b ->
                  b.request(asHttps)
                      .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                      .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false));
      SignedRequest signed = delegate.sign(unsigned);
      SdkHttpRequest back = signed.request().toBuilder().protocol("http").port(port).build();
      return signed.copy(b -> b.request(back));
    }

    @Override
    public CompletableFuture<AsyncSignedRequest> signAsync(
        AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
      return delegate.signAsync(request); // roadie uses the blocking client only
    }
  }
}
