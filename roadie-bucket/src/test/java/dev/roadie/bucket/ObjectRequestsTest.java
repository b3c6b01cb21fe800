package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.BackendSettings;
import dev.roadie.s3.FaultProxy;
import dev.roadie.s3.LazyS3Client;
import dev.roadie.s3.S3Clients;
import dev.roadie.s3.S3Settings;
import dev.roadie.s3.TestPki;
import dev.roadie.testkit.MinioServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * The direct requests against the SDK's own on a real MinIO: GETs (the same response fields, bytes,
 * exceptions and messages, the same URLs, retries of 503s and connection resets), HEADs, copies and
 * deletes.
 */
@Tag("slow")
class ObjectRequestsTest {
  static MinioServer minio;
  static S3Client s3;

  static final List<String> KEYS = new ArrayList<>(BucketRoundTripTest.ODD_KEYS);

  static {
    KEYS.addAll(List.of("tilde~paren()'!", "semi;colon,comma=equals&amp?q#hash", "%2F%20"));
  }

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = TestBuckets.client(minio);
    s3.createBucket(b -> b.bucket("data"));
    for (String k : KEYS) {
      s3.putObject(b -> b.bucket("data").key(k), RequestBody.fromString("content of " + k));
    }
    s3.putObject(
        b ->
            b.bucket("data")
                .key("headers")
                .contentType("text/csv; charset=utf-8")
                .cacheControl("max-age=60")
                .contentDisposition("attachment; filename=\"a b.csv\"")
                .contentEncoding("identity")
                .contentLanguage("de-CH")
                .expires(Instant.parse("2031-02-03T04:05:06Z"))
                .websiteRedirectLocation("/elsewhere")
                .storageClass(StorageClass.REDUCED_REDUNDANCY)
                .metadata(Map.of("Owner", "Ann", "lower-case", "v", "MiXeD-Key", "a, b"))
                .tagging("team=storage&tier=gold"),
        RequestBody.fromString("a,b\n1,2\n"));
    s3.createBucket(b -> b.bucket("versioned"));
    s3.putBucketVersioning(
        b ->
            b.bucket("versioned")
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
    s3.putObject(b -> b.bucket("versioned").key("v"), RequestBody.fromString("first"));
    s3.putObject(b -> b.bucket("versioned").key("v"), RequestBody.fromString("second"));
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  static S3Settings settings(URI endpoint, String secret) {
    return new S3Settings(
        endpoint,
        true,
        minio.region(),
        null,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(minio.accessKey(), secret)),
        null);
  }

  record Got(GetObjectResponse response, byte[] bytes) {}

  static Got read(ResponseInputStream<GetObjectResponse> in) throws Exception {
    try (in) {
      return new Got(in.response(), in.readAllBytes());
    }
  }

  @Test
  void readsWhatTheSdkReads() throws Exception {
    S3Settings settings = settings(minio.endpoint(), minio.secretKey());
    try (S3Client client = S3Clients.create(settings)) {
      ObjectRequests gets = ObjectRequests.of(new LazyS3Client(settings));
      assertTrue(gets.direct());
      List<String> keys = new ArrayList<>(KEYS);
      keys.add("headers");
      for (String k : keys) {
        Got sdk = read(client.getObject(b -> b.bucket("data").key(k)));
        Got direct = read(gets.get("data", k, null, null));
        assertArrayEquals(sdk.bytes(), direct.bytes(), k);
        assertTrue(
            sdk.response().equalsBySdkFields(direct.response()), k + ": " + direct.response());
        assertEquals(ObjectHeaders.of(sdk.response()), ObjectHeaders.of(direct.response()), k);
      }
      GetObjectResponse h = read(gets.get("data", "headers", null, null)).response();
      assertEquals("Ann", ObjectHeaders.of(h).metadata().get("owner"), "" + h.metadata());
      assertEquals(2, h.tagCount());
      assertEquals("Mon, 03 Feb 2031 04:05:06 GMT", h.expiresString());

      // A version by its id, and If-Match.
      String older =
          client.listObjectVersions(b -> b.bucket("versioned")).versions().stream()
              .filter(v -> !v.isLatest())
              .findFirst()
              .orElseThrow()
              .versionId();
      Got v = read(gets.get("versioned", "v", older, null));
      assertEquals("first", new String(v.bytes(), StandardCharsets.UTF_8));
      assertEquals(older, v.response().versionId());
      String etag = h.eTag();
      assertEquals(8, read(gets.get("data", "headers", null, etag)).bytes().length);
    }
  }

  @Test
  void headsCopiesAndDeletesAsTheSdk() throws Exception {
    S3Settings settings = settings(minio.endpoint(), minio.secretKey());
    S3Settings wrong = settings(minio.endpoint(), "not-the-secret");
    try (S3Client client = S3Clients.create(settings)) {
      ObjectRequests direct = ObjectRequests.of(new LazyS3Client(settings));
      client.createBucket(b -> b.bucket("copies"));
      List<String> keys = new ArrayList<>(KEYS);
      keys.add("headers");
      for (String k : keys) {
        HeadObjectResponse sdkHead = client.headObject(b -> b.bucket("data").key(k));
        HeadObjectResponse head = direct.headObject("data", k, null);
        assertTrue(sdkHead.equalsBySdkFields(head), k + ": " + head);

        // A copy that replaces every header, with odd metadata, as the mirror makes it.
        for (boolean viaSdk : new boolean[] {true, false}) {
          String dst = (viaSdk ? "sdk/" : "direct/") + k;
          CopyObjectRequest.Builder copy =
              CopyObjectRequest.builder()
                  .sourceBucket("data")
                  .sourceKey(k)
                  .copySourceIfMatch(sdkHead.eTag())
                  .destinationBucket("copies")
                  .destinationKey(dst)
                  .metadataDirective(MetadataDirective.REPLACE)
                  .taggingDirective(TaggingDirective.COPY)
                  .metadata(Map.of("roadie-sha256", "00ff", "odd", "a, b; c=\"d\" ~%2F"));
          if (k.equals("headers")) {
            copy.contentType(sdkHead.contentType())
                .cacheControl(sdkHead.cacheControl())
                .contentDisposition(sdkHead.contentDisposition())
                .contentEncoding(sdkHead.contentEncoding())
                .contentLanguage(sdkHead.contentLanguage())
                .expires(sdkHead.expires())
                .websiteRedirectLocation(sdkHead.websiteRedirectLocation())
                .storageClass(sdkHead.storageClassAsString());
          }
          if (viaSdk) {
            client.copyObject(copy.build());
          } else {
            direct.copyObject(copy.build());
          }
        }
        HeadObjectResponse a = client.headObject(b -> b.bucket("copies").key("sdk/" + k));
        HeadObjectResponse b = client.headObject(b2 -> b2.bucket("copies").key("direct/" + k));
        assertEquals(ObjectHeaders.of(a), ObjectHeaders.of(b), k);
        assertEquals(a.contentType(), b.contentType(), k);
        assertEquals(a.eTag(), b.eTag(), k);
        assertEquals(a.contentLength(), b.contentLength(), k);
        assertEquals(a.tagCount(), b.tagCount(), k);
        assertEquals(
            client.getObjectTagging(t -> t.bucket("copies").key("sdk/" + k)).tagSet(),
            client.getObjectTagging(t -> t.bucket("copies").key("direct/" + k)).tagSet(),
            k);

        direct.deleteObject("copies", "direct/" + k);
        assertThrows(
            S3Exception.class, () -> client.headObject(h -> h.bucket("copies").key("direct/" + k)));
      }

      // Failures: the copy's precondition, its missing source, a missing object or bucket.
      CopyObjectRequest stale =
          CopyObjectRequest.builder()
              .sourceBucket("data")
              .sourceKey("a")
              .copySourceIfMatch("\"0123456789abcdef0123456789abcdef\"")
              .destinationBucket("copies")
              .destinationKey("stale")
              .build();
      assertSameFailure(
          assertThrows(S3Exception.class, () -> client.copyObject(stale)),
          assertThrows(S3Exception.class, () -> direct.copyObject(stale)));
      CopyObjectRequest gone =
          stale.toBuilder().sourceKey("missing").copySourceIfMatch(null).build();
      assertSameFailure(
          assertThrows(S3Exception.class, () -> client.copyObject(gone)),
          assertThrows(S3Exception.class, () -> direct.copyObject(gone)));
      for (String[] c : new String[][] {{"data", "missing"}, {"no-such-bucket", "k"}}) {
        S3Exception sdk =
            assertThrows(S3Exception.class, () -> client.headObject(h -> h.bucket(c[0]).key(c[1])));
        S3Exception ours =
            assertThrows(S3Exception.class, () -> direct.headObject(c[0], c[1], null));
        assertEquals(sdk.statusCode(), ours.statusCode(), c[1]);
      }
      // Deleting what is not there succeeds, as S3 answers it.
      client.deleteObject(d -> d.bucket("copies").key("never"));
      direct.deleteObject("copies", "never");

      // The bucket itself: there, missing, refused credentials; and a listing probe.
      direct.headBucket("data");
      direct.probeList("data", "");
      assertEquals(
          assertThrows(S3Exception.class, () -> client.headBucket(h -> h.bucket("nothing-here")))
              .statusCode(),
          assertThrows(S3Exception.class, () -> direct.headBucket("nothing-here")).statusCode());
      assertEquals(
          "NoSuchBucket",
          assertThrows(S3Exception.class, () -> direct.probeList("nothing-here", ""))
              .awsErrorDetails()
              .errorCode());
      ObjectRequests refused = ObjectRequests.of(new LazyS3Client(wrong));
      assertEquals(
          403, assertThrows(S3Exception.class, () -> refused.headBucket("data")).statusCode());
      assertEquals(
          "SignatureDoesNotMatch",
          assertThrows(S3Exception.class, () -> refused.probeList("data", ""))
              .awsErrorDetails()
              .errorCode());
    }
  }

  /**
   * A copy that replaces the metadata without a Content-Type gets the server's default type, as
   * through the SDK: the JDK's connection adds no type of its own.
   */
  @Test
  void aCopyWithoutContentTypeGetsTheServersDefault() {
    S3Settings settings = settings(minio.endpoint(), minio.secretKey());
    try (S3Client client = S3Clients.create(settings)) {
      ObjectRequests direct = ObjectRequests.of(new LazyS3Client(settings));
      client.createBucket(b -> b.bucket("typeless"));
      CopyObjectRequest.Builder copy =
          CopyObjectRequest.builder()
              .sourceBucket("data")
              .sourceKey("headers")
              .destinationBucket("typeless")
              .metadataDirective(MetadataDirective.REPLACE);
      client.copyObject(copy.destinationKey("sdk").build());
      direct.copyObject(copy.destinationKey("direct").build());
      assertEquals(
          client.headObject(h -> h.bucket("typeless").key("sdk")).contentType(),
          client.headObject(h -> h.bucket("typeless").key("direct")).contentType());
    }
  }

  @Test
  void failsAsTheSdkFails() throws Exception {
    S3Settings settings = settings(minio.endpoint(), minio.secretKey());
    S3Settings wrong = settings(minio.endpoint(), "not-the-secret");
    try (S3Client client = S3Clients.create(settings);
        S3Client wrongClient = S3Clients.create(wrong)) {
      ObjectRequests gets = ObjectRequests.of(new LazyS3Client(settings));
      ObjectRequests wrongGets = ObjectRequests.of(new LazyS3Client(wrong));
      String[][] cases = {
        {"data", "missing", null}, // 404 NoSuchKey
        {"no-such-bucket", "k", null}, // 404 NoSuchBucket
        {"data", "a", "\"0123456789abcdef0123456789abcdef\""}, // 412
      };
      for (String[] c : cases) {
        S3Exception sdk =
            assertThrows(
                S3Exception.class,
                () -> client.getObject(b -> b.bucket(c[0]).key(c[1]).ifMatch(c[2])).close());
        S3Exception direct =
            assertThrows(S3Exception.class, () -> gets.get(c[0], c[1], null, c[2]).close());
        assertSameFailure(sdk, direct);
      }
      S3Exception sdk =
          assertThrows(
              S3Exception.class,
              () -> wrongClient.getObject(b -> b.bucket("data").key("a")).close());
      S3Exception direct =
          assertThrows(S3Exception.class, () -> wrongGets.get("data", "a", null, null).close());
      assertSameFailure(sdk, direct);
      assertEquals("SignatureDoesNotMatch", direct.awsErrorDetails().errorCode());

      // The messages users see are the same.
      BucketLocation where =
          BucketLocation.parse(
              TestBuckets.url(minio, "data"),
              new BackendSettings(null, null, minio.region(), null, null),
              TestBuckets.credentials(minio));
      try (Bucket bucket = Bucket.open(where)) {
        assertEquals(
            bucket.fail("read", "object 'a'", sdk).getMessage(),
            bucket.fail("read", "object 'a'", direct).getMessage());
      }
    }
  }

  static void assertSameFailure(S3Exception sdk, S3Exception direct) {
    assertEquals(sdk.statusCode(), direct.statusCode());
    assertEquals(sdk.awsErrorDetails().errorCode(), direct.awsErrorDetails().errorCode());
    assertEquals(sdk.awsErrorDetails().errorMessage(), direct.awsErrorDetails().errorMessage());
  }

  @Test
  void retriesSlowDownsAndResetsThenGivesUpAsTheSdk() throws Exception {
    try (FaultProxy proxy = new FaultProxy(minio.endpoint().getPort())) {
      S3Settings settings = settings(URI.create(proxy.endpoint()), minio.secretKey());
      try (S3Client client = S3Clients.create(settings)) {
        ObjectRequests gets = ObjectRequests.of(new LazyS3Client(settings));
        // Two 503 SlowDown, then a reset connection, then the answer.
        List<FaultProxy.Fault> faults =
            List.of(FaultProxy.Fault.SLOW_DOWN, FaultProxy.Fault.SLOW_DOWN, FaultProxy.Fault.RESET);
        proxy.policy(
            r -> r.seq() <= faults.size() ? faults.get((int) r.seq() - 1) : FaultProxy.Fault.NONE);
        Got got = read(gets.get("data", "a", null, null));
        assertEquals("content of a", new String(got.bytes(), StandardCharsets.UTF_8));
        assertEquals(4, proxy.count("GET"));

        // Always 503: as many attempts as the SDK makes, then its failure.
        proxy.policy(r -> FaultProxy.Fault.SLOW_DOWN);
        long before = proxy.count("GET");
        S3Exception e =
            assertThrows(S3Exception.class, () -> gets.get("data", "a", null, null).close());
        assertEquals(503, e.statusCode());
        assertEquals("SlowDown", e.awsErrorDetails().errorCode());
        assertEquals(S3Clients.MAX_ATTEMPTS, proxy.count("GET") - before);
      }
    }
  }

  @Test
  void anUnreachableServerIsAClientFailureWithItsCause() {
    URI closed = URI.create("http://127.0.0.1:1");
    S3Settings settings = settings(closed, minio.secretKey());
    try (S3Client client = S3Clients.create(settings)) {
      SdkException e =
          assertThrows(
              SdkClientException.class,
              () ->
                  ObjectRequests.of(new LazyS3Client(settings))
                      .get("data", "a", null, null)
                      .close());
      assertInstanceOf(java.net.ConnectException.class, e.getCause(), e.toString());
    }
  }

  @Test
  void overHttpsTrustsTheCaFileAndFailsAsTlsWithAnother(@TempDir Path tmp) throws Exception {
    TestPki pki = TestPki.create(tmp.resolve("pki"));
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.copy(pki.serverCert(), certs.resolve("public.crt"));
    Files.copy(pki.serverKey(), certs.resolve("private.key"));
    try (MinioServer tls = MinioServer.start(certs, null)) {
      assertEquals("https", tls.endpoint().getScheme());
      var creds =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(tls.accessKey(), tls.secretKey()));
      S3Settings trusted =
          new S3Settings(tls.endpoint(), true, tls.region(), null, creds, pki.caCert());
      try (S3Client client = S3Clients.create(trusted)) {
        client.createBucket(b -> b.bucket("secure"));
        client.putObject(b -> b.bucket("secure").key("k"), RequestBody.fromString("over tls"));
        ObjectRequests gets = ObjectRequests.of(new LazyS3Client(trusted));
        assertTrue(gets.direct());
        Got got = read(gets.get("secure", "k", null, null));
        assertEquals("over tls", new String(got.bytes(), StandardCharsets.UTF_8));
      }
      BucketLocation where =
          BucketLocation.parse(
              "s3:" + tls.endpoint() + "/secure",
              new BackendSettings(null, null, tls.region(), null, pki.otherCaCert()),
              creds);
      try (Bucket bucket = Bucket.open(where)) {
        SdkException e =
            assertThrows(
                SdkClientException.class, () -> bucket.requests().get("secure", "k", null, null));
        String message = bucket.fail("read", "object 'k'", e).getMessage();
        assertTrue(message.contains("TLS failed"), message);
        assertTrue(message.contains("--bucket-ca-file"), message);
      }
    }
  }

  /** The form servers send (RFC 9110's IMF-fixdate). */
  static final java.time.format.DateTimeFormatter HTTP_DATE =
      java.time.format.DateTimeFormatter.ofPattern(
          "EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);

  @Test
  void readsHttpDatesAsTheSdk() {
    java.util.Random r = new java.util.Random(42);
    List<String> dates = new ArrayList<>(List.of("Sun, 06 Nov 1994 08:49:37 GMT"));
    for (int i = 0; i < 20_000; i++) {
      Instant t = Instant.ofEpochSecond(r.nextLong(-2_000_000_000L, 8_000_000_000L));
      dates.add(HTTP_DATE.format(t.atOffset(java.time.ZoneOffset.UTC)));
      dates.add(ObjectHeaders.httpDate(t)); // the JDK's RFC 1123 form: days without a zero
    }
    // Forms that are no HTTP date.
    dates.addAll(
        List.of(
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "1994-11-06T08:49:37Z"));
    for (String d : dates) {
      Object sdk;
      try {
        sdk = software.amazon.awssdk.utils.DateUtils.parseRfc822Date(d);
      } catch (RuntimeException e) {
        sdk = e.getClass();
      }
      Object direct;
      try {
        direct = Times.httpDate(d);
      } catch (RuntimeException e) {
        direct = e.getClass();
      }
      assertEquals(sdk, direct, d);
    }
  }

  @Test
  void addressesObjectsAsTheSdk() {
    for (boolean pathStyle : new boolean[] {true, false}) {
      for (String endpoint : List.of("http://s3.example:9000", "https://example.com")) {
        S3Settings settings =
            new S3Settings(
                URI.create(endpoint),
                pathStyle,
                "eu-west-3",
                null,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")),
                null);
        AtomicReference<URI> sent = new AtomicReference<>();
        try (S3Client client =
            S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .forcePathStyle(pathStyle)
                .region(Region.EU_WEST_3)
                .credentialsProvider(settings.credentials())
                .overrideConfiguration(
                    c ->
                        c.addExecutionInterceptor(
                            new ExecutionInterceptor() {
                              @Override
                              public void beforeTransmission(
                                  Context.BeforeTransmission context, ExecutionAttributes a) {
                                sent.set(context.httpRequest().getUri());
                                throw new IllegalStateException("not sent");
                              }
                            }))
                .build()) {
          ObjectRequests gets = ObjectRequests.of(new LazyS3Client(settings));
          // A listing: the bucket itself, and the same query.
          assertThrows(
              IllegalStateException.class,
              () ->
                  client.listObjectsV2(
                      b -> b.bucket("bucket-1").prefix("a b/ü+%").continuationToken("t/+=")));
          URI listing =
              gets.uri(
                  "bucket-1",
                  Map.of("list-type", "2", "prefix", "a b/ü+%", "continuation-token", "t/+="));
          assertEquals(
              sent.get().getScheme()
                  + "://"
                  + sent.get().getRawAuthority()
                  + sent.get().getRawPath(),
              listing.getScheme() + "://" + listing.getRawAuthority() + listing.getRawPath(),
              endpoint + " " + pathStyle);
          assertEquals(
              new java.util.TreeSet<>(List.of(sent.get().getRawQuery().split("&"))),
              new java.util.TreeSet<>(List.of(listing.getRawQuery().split("&"))),
              endpoint + " " + pathStyle);
          for (String key : KEYS) {
            for (String version : new String[] {null, "3/L4kqtJl+cp"}) {
              assertThrows(
                  IllegalStateException.class,
                  () -> client.getObject(b -> b.bucket("bucket-1").key(key).versionId(version)));
              assertEquals(
                  sent.get(),
                  gets.uri("bucket-1", key, version),
                  endpoint + " " + pathStyle + " " + key);
            }
          }
        }
      }
    }
  }
}
