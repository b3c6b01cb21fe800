package dev.roadie.bucket;

import dev.roadie.core.tls.PemCertificates;
import dev.roadie.s3.LazyS3Client;
import dev.roadie.s3.S3Clients;
import dev.roadie.s3.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.protocol.MarshallLocation;
import software.amazon.awssdk.core.protocol.MarshallingType;
import software.amazon.awssdk.core.traits.TimestampFormatTrait;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.S3Response;
import software.amazon.awssdk.utils.DateUtils;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * The requests a bucket backup or a mirror makes per object and per listing page: GETs of content
 * and of listing pages, and HEADs, server-side copies and deletes of objects and the HEAD of the
 * bucket. On an S3-compatible endpoint they are sent directly over the JDK's HTTP connection (kept
 * alive and pooled), signed by the SDK's own SigV4 signer with the settings' credentials and
 * region; elsewhere (AWS itself, whose region and endpoint the SDK works out per bucket, or behind
 * a proxy) by the SDK's client, which is then made on first use ({@link LazyS3Client}). Each SDK
 * request costs a lot of CPU in its pipeline (marshalling, endpoint rules, interceptors, the Apache
 * client) for what is here a request with a few headers, which at thousands of objects outweighed
 * roadie's own work on their bytes; and a command whose requests all go directly never builds the
 * client.
 *
 * <p>Each behaves as the SDK's operation of the same name does, so that callers handle both alike:
 * the same response objects from the response headers, the same request headers (a copy sends every
 * header field of its request as the SDK marshals it), the same exceptions ({@link S3Exception}
 * with the status and the error code and message of the body; {@link SdkClientException} with the
 * I/O or TLS failure as its cause), retries by the SDK's own strategy ({@value
 * S3Clients#MAX_ATTEMPTS} attempts with backoff, for 5xx, throttling and I/O faults), the same
 * timeouts, the CA file of {@code --bucket-ca-file}, path-style or virtual-host addressing; a
 * redirect is an error, not followed. A GET's stream aborted part-way drops its connection.
 */
public final class ObjectRequests {
  private static final int ERROR_BODY_MAX = 64 * 1024;
  private static final Pattern DNS_BUCKET = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

  private final LazyS3Client client;
  private final boolean direct;
  private final URI endpoint;
  private final boolean pathStyle;
  private final String region;
  private final IdentityProvider<? extends AwsCredentialsIdentity> credentials;
  private final RetryStrategy retries = S3Clients.retryStrategy();
  private final SSLSocketFactory tls;
  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

  private ObjectRequests(LazyS3Client client) {
    S3Settings settings = client.settings();
    this.client = client;
    this.direct = settings.endpoint() != null && !proxied();
    this.endpoint = settings.endpoint();
    this.pathStyle = settings.pathStyle();
    this.region = client.region().id();
    this.credentials = client.credentials();
    this.tls = tlsFactory(settings);
  }

  /** Requests with the client of {@code client}'s settings, which is made only when needed. */
  public static ObjectRequests of(LazyS3Client client) {
    return new ObjectRequests(client);
  }

  /** The SDK's client, for requests not sent directly. */
  private S3Client s3() {
    return client.get();
  }

  /**
   * The TLS sockets for an https endpoint with a CA file of its own ({@code --bucket-ca-file});
   * null: the JVM's trust store.
   */
  private static SSLSocketFactory tlsFactory(S3Settings settings) {
    if (settings.caFile() == null) return null;
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          null,
          PemCertificates.trustManagers(
              settings.caFile(),
              settings.endpoint() != null ? settings.endpoint().toString() : "S3"),
          null);
      return ctx.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A proxy configured for the JVM or in the environment: the SDK's client knows how to use it
   * (from either), the JDK's connection only from the JVM's properties. The environment is read
   * here, below the command line, because the SDK's client reads the same variables where it
   * connects: the direct GET must step aside exactly when that client would use a proxy.
   */
  private static boolean proxied() {
    for (String p : List.of("http.proxyHost", "https.proxyHost", "socksProxyHost")) {
      if (System.getProperty(p) != null) return true;
    }
    for (String v : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")) {
      if (System.getenv(v) != null) return true;
    }
    return false;
  }

  /** Whether GETs bypass the SDK's pipeline (for tests). */
  boolean direct() {
    return direct;
  }

  /**
   * Starts reading {@code key} of {@code bucket} (its version {@code versionId} when not null),
   * only if its ETag is still {@code ifMatch} (quoted) when that is not null; as the SDK's {@code
   * getObject}.
   */
  public ResponseInputStream<GetObjectResponse> get(
      String bucket, String key, String versionId, String ifMatch) {
    if (!direct || !addressable(bucket)) {
      return s3().getObject(b -> b.bucket(bucket).key(key).versionId(versionId).ifMatch(ifMatch));
    }
    URI uri = uri(bucket, key, versionId);
    return retrying(identity -> attempt(uri, ifMatch, identity));
  }

  /**
   * A ListObjectsV2 page of {@code bucket} under {@code prefix}, from {@code token} (or, on the
   * first page, after {@code startAfter} when not null): read lean ({@link ListingXml}) where GETs
   * are direct, else by the SDK's client; the same values either way.
   */
  public ListingXml.Page listObjects(
      String bucket, String prefix, String token, String startAfter) {
    if (listsDirect(bucket)) {
      return ListingXml.objects(listObjectsBody(bucket, prefix, token, startAfter, false));
    }
    ListObjectsV2Response r =
        s3().listObjectsV2(
                b ->
                    b.bucket(bucket)
                        .prefix(prefix)
                        .continuationToken(token)
                        .startAfter(token == null ? startAfter : null));
    List<ListedObject> out = new ArrayList<>(r.contents().size());
    for (S3Object o : r.contents()) {
      out.add(
          new ListedObject(
              o.key(),
              o.size() == null ? 0 : o.size(),
              ListedObject.unquote(o.eTag()),
              o.lastModified(),
              standardIsNull(o.storageClassAsString()),
              null,
              true,
              false));
    }
    return new ListingXml.Page(
        out, next(r.isTruncated(), r.nextContinuationToken(), "a continuation token"), null);
  }

  /** Whether listings of {@code bucket} are asked for directly, not by the SDK's client. */
  public boolean listsDirect(String bucket) {
    return direct && addressable(bucket);
  }

  /**
   * The body of the ListObjectsV2 page that {@link #listObjects} would read, for a caller that
   * reads it itself with {@link ListingXml#objects}; only where {@link #listsDirect}. With {@code
   * withMetadata}, MinIO's listing with metadata (its entries then carry their tags: {@link
   * ListedObject#tags}); a server that does not offer it ignores the parameter, or refuses the
   * request.
   */
  public byte[] listObjectsBody(
      String bucket, String prefix, String token, String startAfter, boolean withMetadata) {
    if (!listsDirect(bucket)) throw new IllegalStateException("listings go through the SDK");
    Map<String, String> q = listQuery("list-type", "2", prefix, withMetadata);
    if (token != null) {
      q.put("continuation-token", token);
    } else if (startAfter != null) {
      q.put("start-after", startAfter);
    }
    return getBucket(bucket, q);
  }

  /**
   * A ListObjectVersions page of {@code bucket} under {@code prefix}, from the two markers (null
   * for the first page): versions and delete markers, read as {@link #listObjects} reads.
   */
  public ListingXml.Page listVersions(
      String bucket, String prefix, String keyMarker, String versionMarker) {
    return listVersions(bucket, prefix, keyMarker, versionMarker, false);
  }

  /** {@link #listVersions}, with {@code withMetadata} as {@link #listObjects} takes it. */
  public ListingXml.Page listVersions(
      String bucket, String prefix, String keyMarker, String versionMarker, boolean withMetadata) {
    if (listsDirect(bucket)) {
      Map<String, String> q = listQuery("versions", "", prefix, withMetadata);
      if (keyMarker != null) q.put("key-marker", keyMarker);
      if (versionMarker != null) q.put("version-id-marker", versionMarker);
      return ListingXml.versions(getBucket(bucket, q));
    }
    ListObjectVersionsResponse r =
        s3().listObjectVersions(
                b ->
                    b.bucket(bucket)
                        .prefix(prefix)
                        .keyMarker(keyMarker)
                        .versionIdMarker(versionMarker));
    List<ListedObject> out = new ArrayList<>(r.versions().size() + r.deleteMarkers().size());
    for (ObjectVersion o : r.versions()) {
      out.add(
          new ListedObject(
              o.key(),
              o.size() == null ? 0 : o.size(),
              ListedObject.unquote(o.eTag()),
              o.lastModified(),
              standardIsNull(o.storageClassAsString()),
              o.versionId(),
              Boolean.TRUE.equals(o.isLatest()),
              false));
    }
    for (DeleteMarkerEntry d : r.deleteMarkers()) {
      out.add(
          new ListedObject(
              d.key(),
              0,
              null,
              d.lastModified(),
              null,
              d.versionId(),
              Boolean.TRUE.equals(d.isLatest()),
              true));
    }
    String next = next(r.isTruncated(), r.nextKeyMarker(), "a next key marker");
    return new ListingXml.Page(out, next, next == null ? null : r.nextVersionIdMarker());
  }

  /**
   * A listing of at most one key of {@code bucket} under {@code prefix}, read and dropped: whether
   * these credentials may list it (else the SDK's exception, with the server's reason).
   */
  public void probeList(String bucket, String prefix) {
    if (listsDirect(bucket)) {
      Map<String, String> q = listQuery("list-type", "2", prefix, false);
      q.put("max-keys", "1");
      getBucket(bucket, q);
      return;
    }
    s3().listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1));
  }

  /**
   * Whether {@code bucket} exists and may be looked up, as the SDK's {@code headBucket}: returns,
   * or throws its {@link S3Exception} (404: no such bucket; 403 without a reason, a HEAD's answer
   * having no body).
   */
  public void headBucket(String bucket) {
    if (!direct || !addressable(bucket)) {
      s3().headBucket(b -> b.bucket(bucket));
      return;
    }
    URI uri = uri(bucket, Map.of());
    retrying(identity -> send(SdkHttpMethod.HEAD, uri, Map.of(), identity));
  }

  /**
   * The headers of {@code key} (its version {@code versionId} when not null), as the SDK's {@code
   * headObject}.
   */
  public HeadObjectResponse headObject(String bucket, String key, String versionId) {
    if (!direct || !addressable(bucket)) {
      return s3().headObject(b -> b.bucket(bucket).key(key).versionId(versionId));
    }
    URI uri = uri(bucket, key, versionId);
    return retrying(
        identity -> {
          Reply r = send(SdkHttpMethod.HEAD, uri, Map.of(), identity);
          return (HeadObjectResponse)
              response(r.connection(), r.status(), HeadObjectResponse.builder());
        });
  }

  /**
   * Deletes {@code key} (a delete marker in a versioned bucket), as the SDK's {@code deleteObject}.
   */
  public void deleteObject(String bucket, String key) {
    if (!direct || !addressable(bucket)) {
      s3().deleteObject(b -> b.bucket(bucket).key(key));
      return;
    }
    URI uri = uri(bucket, key, null);
    retrying(identity -> send(SdkHttpMethod.DELETE, uri, Map.of(), identity));
  }

  /**
   * Has the server copy an object, as the SDK's {@code copyObject} with {@code request} (its source
   * given by bucket, key and version): every header field of the request is sent as the SDK
   * marshals it. A copy that fails after its 200 status (S3 then sends an error document as the
   * body) is an {@link S3Exception} of status 500, retried as one.
   */
  public void copyObject(CopyObjectRequest request) {
    if (!direct
        || !addressable(request.destinationBucket())
        || request.sourceBucket() == null
        || request.copySource() != null) {
      s3().copyObject(request);
      return;
    }
    URI uri = uri(request.destinationBucket(), request.destinationKey(), null);
    Map<String, List<String>> headers = headerFields(request);
    headers.put("x-amz-copy-source", List.of(copySource(request)));
    retrying(
        identity -> {
          Reply r = send(SdkHttpMethod.PUT, uri, headers, identity);
          String body = new String(r.body(), StandardCharsets.UTF_8);
          if (ERROR_DOCUMENT.matcher(body).lookingAt()) {
            throw failure(500, body, r.connection());
          }
          return null;
        });
  }

  /** An XML document whose root element is an S3 error. */
  private static final Pattern ERROR_DOCUMENT =
      Pattern.compile("\\s*(<\\?xml[^>]*\\?>\\s*)?<Error[\\s>]");

  /**
   * The request's header fields as the SDK marshals them: strings as they are, numbers and booleans
   * as text, times in the field's format (HTTP dates unless it says otherwise), maps (user
   * metadata) as one header per entry under the field's prefix.
   */
  private static Map<String, List<String>> headerFields(SdkPojo request) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (SdkField<?> f : request.sdkFields()) {
      if (f.location() != MarshallLocation.HEADER) continue;
      Object v = f.getValueOrDefault(request);
      if (v == null) continue;
      String name = f.locationName();
      if (v instanceof Map<?, ?> map) {
        map.forEach((k, value) -> out.put(name + k, List.of(String.valueOf(value))));
      } else if (v instanceof Instant i) {
        TimestampFormatTrait trait = f.getTrait(TimestampFormatTrait.class);
        TimestampFormatTrait.Format format =
            trait == null ? TimestampFormatTrait.Format.RFC_822 : trait.format();
        out.put(
            name,
            List.of(
                switch (format) {
                  case ISO_8601 -> DateUtils.formatIso8601Date(i);
                  case UNIX_TIMESTAMP -> DateUtils.formatUnixTimestampInstant(i);
                  default -> DateUtils.formatRfc822Date(i);
                }));
      } else {
        out.put(name, List.of(String.valueOf(v)));
      }
    }
    return out;
  }

  /** The copy's source as the SDK names it: bucket/key[?versionId=], each part URL-encoded. */
  private static String copySource(CopyObjectRequest request) {
    String source =
        SdkHttpUtils.urlEncodeIgnoreSlashes(request.sourceBucket())
            + "/"
            + SdkHttpUtils.urlEncodeIgnoreSlashes(request.sourceKey());
    return request.sourceVersionId() == null
        ? source
        : source + "?versionId=" + SdkHttpUtils.urlEncodeIgnoreSlashes(request.sourceVersionId());
  }

  /**
   * The query of a listing: {@code name=value} first (the kind of listing), keys percent-encoded in
   * the response, then the prefix.
   */
  private static Map<String, String> listQuery(
      String name, String value, String prefix, boolean withMetadata) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put(name, value);
    q.put("encoding-type", "url");
    if (!prefix.isEmpty()) q.put("prefix", prefix);
    if (withMetadata) q.put("metadata", "true");
    return q;
  }

  /**
   * Where the next page starts, or null at the end; a truncated page that does not say where is
   * refused, as {@link ListingXml} refuses it, rather than taken as the end of the listing.
   */
  private static String next(Boolean truncated, String next, String what) {
    if (!Boolean.TRUE.equals(truncated)) return null;
    if (next == null || next.isEmpty())
      throw SdkClientException.create(
          "listing response unreadable: a truncated page without " + what);
    return next;
  }

  private static String standardIsNull(String storageClass) {
    return storageClass == null || "STANDARD".equals(storageClass) ? null : storageClass;
  }

  /**
   * The body of a GET of {@code bucket} itself with {@code query} (a listing page), read whole
   * within each attempt and retried as {@link #get}.
   */
  private byte[] getBucket(String bucket, Map<String, String> query) {
    URI uri = uri(bucket, query);
    return retrying(identity -> send(SdkHttpMethod.GET, uri, Map.of(), identity).body());
  }

  /** The bucket's URL with {@code query}, addressed as the SDK addresses the bucket itself. */
  URI uri(String bucket, Map<String, String> query) {
    StringBuilder q = new StringBuilder();
    query.forEach(
        (name, value) ->
            q.append(q.isEmpty() ? "?" : "&")
                .append(SdkHttpUtils.urlEncode(name))
                .append('=')
                .append(SdkHttpUtils.urlEncode(value)));
    String host = endpoint.getRawAuthority();
    String target = pathStyle ? host + "/" + bucket : bucket + "." + host;
    return URI.create(endpoint.getScheme() + "://" + target + q);
  }

  /** {@code attempt} until it succeeds or the client's retry strategy gives up. */
  private <T> T retrying(java.util.function.Function<AwsCredentialsIdentity, T> attempt) {
    AwsCredentialsIdentity identity = identity();
    AcquireInitialTokenResponse first =
        retries.acquireInitialToken(AcquireInitialTokenRequest.create("s3"));
    RetryToken token = first.token();
    pause(first.delay());
    while (true) {
      try {
        T result = attempt.apply(identity);
        retries.recordSuccess(RecordSuccessRequest.create(token));
        return result;
      } catch (SdkException e) {
        RefreshRetryTokenResponse next;
        try {
          next =
              retries.refreshRetryToken(
                  RefreshRetryTokenRequest.builder().token(token).failure(e).build());
        } catch (TokenAcquisitionFailedException notRetried) {
          throw e;
        }
        token = next.token();
        pause(next.delay());
      }
    }
  }

  /**
   * Sends {@code method} to {@code uri} with {@code headers} (signed with them; a PUT with an empty
   * body, the copy) and returns the answer of a 2xx status, its body not yet read; any other status
   * is the S3 error its body carries.
   */
  private Reply open(
      SdkHttpMethod method,
      URI uri,
      Map<String, List<String>> headers,
      AwsCredentialsIdentity identity) {
    SdkHttpFullRequest.Builder req = SdkHttpFullRequest.builder().method(method).uri(uri);
    headers.forEach(req::putHeader);
    HttpURLConnection c = null;
    try {
      c = connect(identity, req.build(), uri, (int) S3Clients.SOCKET_TIMEOUT.toMillis());
      c.setInstanceFollowRedirects(false);
      if (method == SdkHttpMethod.PUT) {
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(0);
        c.getOutputStream().close();
      }
      int status = c.getResponseCode();
      if (status / 100 != 2) throw failure(c, status);
      return new Reply(c, status, null);
    } catch (IOException e) {
      if (c != null) c.disconnect();
      throw ioFailure(e);
    }
  }

  /** {@link #open}, with the body read whole (the connection goes back to the pool). */
  private Reply send(
      SdkHttpMethod method,
      URI uri,
      Map<String, List<String>> headers,
      AwsCredentialsIdentity identity) {
    Reply r = open(method, uri, headers, identity);
    try (InputStream in = r.connection().getInputStream()) {
      return new Reply(r.connection(), r.status(), in.readAllBytes());
    } catch (IOException e) {
      r.connection().disconnect();
      throw ioFailure(e);
    }
  }

  /** A 2xx answer: its connection, status and, once read, body. */
  private record Reply(HttpURLConnection connection, int status, byte[] body) {}

  /**
   * Whether the lean path addresses {@code bucket} as the SDK would: path-style always; by virtual
   * host only a bucket name that is one DNS label (others the SDK's endpoint rules treat apart).
   */
  private boolean addressable(String bucket) {
    return pathStyle || DNS_BUCKET.matcher(bucket).matches();
  }

  /**
   * A connection (not yet sent) for the GET {@code request}, signed with these credentials (also
   * for requests other than object GETs: the mirror's MinIO listing and event stream). {@code
   * readMillis} bounds the wait for the response and then for each read of its body.
   */
  public HttpURLConnection signedConnection(SdkHttpFullRequest request, int readMillis)
      throws IOException {
    return connect(identity(), request, request.getUri(), readMillis);
  }

  /**
   * A connection (not yet sent) to {@code url} for {@code request} (to the same URL) signed with
   * SigV4 for S3 in this client's region (payload unsigned: these are GETs), its signed headers set
   * but Host, which the connection sets from the URL the signature covers; TLS sockets of the CA
   * file when there is one.
   */
  private HttpURLConnection connect(
      AwsCredentialsIdentity identity, SdkHttpFullRequest request, URI url, int readMillis)
      throws IOException {
    SignedRequest signed =
        signer.sign(
            r ->
                r.identity(identity)
                    .request(request)
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false));
    HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
    c.setRequestMethod(request.method().name());
    if (tls != null && c instanceof HttpsURLConnection https) https.setSSLSocketFactory(tls);
    c.setConnectTimeout((int) S3Clients.CONNECT_TIMEOUT.toMillis());
    c.setReadTimeout(readMillis);
    // Caches "on": roadie installs no response cache, so nothing is cached either way, but a
    // connection told not to use caches adds Cache-Control: no-cache and Pragma: no-cache to the
    // request, which a copy would store as the object's own Cache-Control.
    c.setUseCaches(true);
    signed
        .request()
        .forEachHeader(
            (name, values) -> {
              if (!name.equalsIgnoreCase("Host"))
                values.forEach(v -> c.addRequestProperty(name, v));
            });
    return c;
  }

  /** The object's URL as the SDK builds it (an endpoint is scheme://HOST[:PORT], no path). */
  URI uri(String bucket, String key, String versionId) {
    String encodedKey = SdkHttpUtils.urlEncodeIgnoreSlashes(key);
    String host = endpoint.getRawAuthority();
    String target =
        pathStyle ? host + "/" + bucket + "/" + encodedKey : bucket + "." + host + "/" + encodedKey;
    String query = versionId == null ? "" : "?versionId=" + SdkHttpUtils.urlEncode(versionId);
    return URI.create(endpoint.getScheme() + "://" + target + query);
  }

  private AwsCredentialsIdentity identity() {
    try {
      return credentials.resolveIdentity().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SdkException s) throw s;
      throw SdkClientException.create("Unable to load credentials: " + e.getCause(), e.getCause());
    }
  }

  private ResponseInputStream<GetObjectResponse> attempt(
      URI uri, String ifMatch, AwsCredentialsIdentity identity) {
    Reply r =
        open(
            SdkHttpMethod.GET,
            uri,
            ifMatch == null ? Map.of() : Map.of("If-Match", List.of(ifMatch)),
            identity);
    HttpURLConnection c = r.connection();
    try {
      GetObjectResponse response =
          (GetObjectResponse) response(c, r.status(), GetObjectResponse.builder());
      return new ResponseInputStream<>(
          response, AbortableInputStream.create(c.getInputStream(), c::disconnect), Duration.ZERO);
    } catch (IOException e) {
      c.disconnect();
      throw ioFailure(e);
    }
  }

  /** An I/O failure of a request as the SDK's client reports it (retried unless interrupted). */
  private static SdkClientException ioFailure(IOException e) {
    if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
      return SdkClientException.create("interrupted", e);
    }
    return SdkClientException.builder()
        .message("Unable to execute HTTP request: " + e.getMessage())
        .cause(e)
        .build();
  }

  /**
   * The response headers as the SDK unmarshals them into the response {@code b} builds (a {@link
   * GetObjectResponse} or {@link HeadObjectResponse}).
   */
  private static <B extends S3Response.Builder & SdkPojo> S3Response response(
      HttpURLConnection c, int status, B b) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    c.getHeaderFields()
        .forEach(
            (name, values) -> {
              if (name != null) headers.merge(name, values, (first, later) -> first);
            });
    for (SdkField<?> f : b.sdkFields()) {
      if (f.location() != MarshallLocation.HEADER) continue;
      String name = f.locationName();
      if (f.marshallingType() == MarshallingType.MAP) {
        Map<String, String> map = new java.util.HashMap<>();
        headers.forEach(
            (h, values) -> {
              if (h.regionMatches(true, 0, name, 0, name.length())) {
                map.put(h.substring(name.length()), String.join(",", values));
              }
            });
        f.set(b, map);
        continue;
      }
      List<String> values = headers.get(name);
      if (values == null || values.isEmpty()) continue;
      String v = values.get(0);
      try {
        Object value = convert(f, v);
        if (value != null) f.set(b, value);
      } catch (RuntimeException e) {
        // A header the SDK would not parse either: left out, as the SDK leaves it.
      }
    }
    SdkHttpResponse.Builder http = SdkHttpResponse.builder().statusCode(status);
    headers.forEach(http::putHeader);
    try {
      http.statusText(c.getResponseMessage());
    } catch (IOException e) {
      // the status line was read already
    }
    return (S3Response) b.sdkHttpResponse(http.build()).build();
  }

  private static Object convert(SdkField<?> f, String v) {
    MarshallingType<?> t = f.marshallingType();
    if (t == MarshallingType.STRING) return v;
    if (t == MarshallingType.INTEGER) return Integer.valueOf(v.trim());
    if (t == MarshallingType.LONG) return Long.valueOf(v.trim());
    if (t == MarshallingType.BOOLEAN) return Boolean.valueOf(v.trim());
    if (t == MarshallingType.INSTANT) {
      TimestampFormatTrait trait = f.getTrait(TimestampFormatTrait.class);
      TimestampFormatTrait.Format format =
          trait == null ? TimestampFormatTrait.Format.RFC_822 : trait.format();
      Instant i =
          switch (format) {
            case ISO_8601 -> DateUtils.parseIso8601Date(v);
            case UNIX_TIMESTAMP -> DateUtils.parseUnixTimestampInstant(v);
            case UNIX_TIMESTAMP_MILLIS -> DateUtils.parseUnixTimestampMillisInstant(v);
            default -> Times.httpDate(v);
          };
      return i;
    }
    return null;
  }

  private static final Pattern CODE = Pattern.compile("<Code>(.*?)</Code>", Pattern.DOTALL);
  private static final Pattern MESSAGE =
      Pattern.compile("<Message>(.*?)</Message>", Pattern.DOTALL);

  /** The S3 error of a response other than 2xx, as the SDK makes it. */
  private static S3Exception failure(HttpURLConnection c, int status) throws IOException {
    String body = "";
    InputStream err = c.getErrorStream();
    if (err != null) {
      try (InputStream in = err) {
        body = new String(in.readNBytes(ERROR_BODY_MAX), StandardCharsets.UTF_8);
      }
    }
    S3Exception e = failure(status, body, c);
    c.disconnect();
    return e;
  }

  /** The S3 error of status {@code status} with the error document {@code body}. */
  private static S3Exception failure(int status, String body, HttpURLConnection c) {
    String code = xmlText(CODE, body);
    String message = xmlText(MESSAGE, body);
    SdkHttpResponse.Builder http = SdkHttpResponse.builder().statusCode(status);
    c.getHeaderFields()
        .forEach(
            (name, values) -> {
              if (name != null) http.putHeader(name, values);
            });
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .requestId(c.getHeaderField("x-amz-request-id"))
            .extendedRequestId(c.getHeaderField("x-amz-id-2"))
            .message(message)
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode(code)
                    .errorMessage(message)
                    .serviceName("S3")
                    .sdkHttpResponse(http.build())
                    .build())
            .build();
  }

  private static String xmlText(Pattern p, String body) {
    Matcher m = p.matcher(body);
    if (!m.find()) return null;
    return m.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }

  private static void pause(Duration d) {
    if (d == null || d.isZero() || d.isNegative()) return;
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SdkClientException.create("interrupted while waiting to retry", e);
    }
  }
}
