package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.testkit.MinioServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.utils.DateUtils;

/**
 * The lean listing ({@link ListingXml} over {@link ObjectRequests#getBucket}) gives on a real MinIO
 * exactly what the SDK's client lists: keys of every kind (odd characters, XML's own, very long),
 * sizes, ETags, times, storage classes, versions and delete markers, over several pages, with and
 * without a prefix.
 */
@Tag("slow")
class ListingXmlTest {
  static MinioServer minio;
  static S3Client s3;

  static final List<String> KEYS = new ArrayList<>(ObjectRequestsTest.KEYS);

  static {
    KEYS.addAll(List.of("xml <&>\"' chars", "tab\tand control", "p/q/r", "p/q+r", "p/q r"));
  }

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = TestBuckets.client(minio);
    s3.createBucket(b -> b.bucket("flat"));
    s3.createBucket(b -> b.bucket("versioned"));
    s3.putBucketVersioning(
        b ->
            b.bucket("versioned")
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> fs = new ArrayList<>();
      for (String k : KEYS) fs.add(pool.submit(() -> put("flat", k, "content of " + k)));
      // Over two pages of 1,000, some under a prefix.
      for (int i = 0; i < 2300; i++) {
        String k = (i % 3 == 0 ? "p/" : "") + "key-" + i;
        fs.add(pool.submit(() -> put("flat", k, k)));
      }
      fs.add(
          pool.submit(
              () ->
                  s3.putObject(
                      b -> b.bucket("flat").key("rr").storageClass(StorageClass.REDUCED_REDUNDANCY),
                      RequestBody.fromString("rr"))));
      for (Future<?> f : fs) f.get();
      fs.clear();
      // Several versions per key and delete markers, over two pages of ListObjectVersions.
      for (int i = 0; i < 600; i++) {
        String k = (i % 4 == 0 ? "p/" : "") + "v-" + i;
        fs.add(
            pool.submit(
                () -> {
                  put("versioned", k, "one");
                  put("versioned", k, "two");
                  if (k.hashCode() % 3 == 0) s3.deleteObject(b -> b.bucket("versioned").key(k));
                  return null;
                }));
      }
      for (String k : KEYS) fs.add(pool.submit(() -> put("versioned", k, "v " + k)));
      for (Future<?> f : fs) f.get();
    }
  }

  private static Object put(String bucket, String key, String content) {
    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(content));
    return null;
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  @Test
  void listsWhatTheSdkLists() {
    for (String where : List.of("flat", "flat/p", "flat/p/q", "versioned", "versioned/p")) {
      int slash = where.indexOf('/');
      String bucket = slash < 0 ? where : where.substring(0, slash);
      // A location's prefix is a folder: "p/q" lists under "p/q/".
      String prefix = TestBuckets.location(minio, where).prefix();
      for (boolean versions : List.of(false, true)) {
        List<ListedObject> lean = lean(where, versions);
        List<ListedObject> sdk = versions ? sdkVersions(bucket, prefix) : sdk(bucket, prefix);
        assertEquals(sdk, lean, where + (versions ? " with versions" : ""));
        assertTrue(!lean.isEmpty(), where);
      }
    }
    // Each kind of listing over more than one page of 1,000.
    assertTrue(lean("flat", false).size() > 2000);
    assertTrue(lean("versioned", true).size() > 1200);
    assertEquals(
        "REDUCED_REDUNDANCY",
        lean("flat", false).stream()
            .filter(o -> o.key().equals("rr"))
            .findFirst()
            .orElseThrow()
            .storageClass());
  }

  /** What {@link Bucket#list} gives, which on MinIO goes the lean way. */
  private static List<ListedObject> lean(String where, boolean versions) {
    List<ListedObject> out = new ArrayList<>();
    try (Bucket b = Bucket.open(TestBuckets.location(minio, where));
        ObjectListing l = b.list(versions)) {
      assertTrue(b.requests().direct(), "lean listing");
      l.forEachRemaining(out::add);
    }
    return out;
  }

  private static List<ListedObject> sdk(String bucket, String prefix) {
    List<ListedObject> out = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
      out.add(
          new ListedObject(
              o.key(),
              o.size(),
              ListedObject.unquote(o.eTag()),
              o.lastModified(),
              "STANDARD".equals(o.storageClassAsString()) ? null : o.storageClassAsString(),
              null,
              true,
              false));
    }
    return out;
  }

  private static List<ListedObject> sdkVersions(String bucket, String prefix) {
    List<ListedObject> out = new ArrayList<>();
    for (ListObjectVersionsResponse r :
        s3.listObjectVersionsPaginator(b -> b.bucket(bucket).prefix(prefix))) {
      for (ObjectVersion o : r.versions()) {
        out.add(
            new ListedObject(
                o.key(),
                o.size(),
                ListedObject.unquote(o.eTag()),
                o.lastModified(),
                "STANDARD".equals(o.storageClassAsString()) ? null : o.storageClassAsString(),
                o.versionId(),
                o.isLatest(),
                false));
      }
      for (DeleteMarkerEntry d : r.deleteMarkers()) {
        out.add(
            new ListedObject(
                d.key(), 0, null, d.lastModified(), null, d.versionId(), d.isLatest(), true));
      }
    }
    // Per key newest first, as ObjectListing orders them.
    out.sort(
        Comparator.comparing(ListedObject::key, Keys.ORDER)
            .thenComparing(ListedObject::lastModified, Comparator.reverseOrder())
            .thenComparing(o -> !o.latest()));
    return out;
  }

  @Test
  void readsTimesAsTheSdkDoes() {
    for (String t :
        List.of(
            "2026-12-07T03:30:01.123Z",
            "2026-12-07T03:30:01Z",
            "2026-12-07T03:30:01.1Z",
            "2026-12-07T03:30:01.123456789Z",
            "2024-02-29T23:59:59.999Z",
            "1970-01-01T00:00:00.000Z",
            "2026-12-07T03:30:01.000+0000",
            "2026-12-07T03:30:01+02:00")) {
      assertEquals(DateUtils.parseIso8601Date(t), Times.iso8601(t), t);
    }
    for (String odd : List.of("2026-02-30T00:00:00Z", "2026-12-07T25:00:00Z", "2026-12-07")) {
      assertEquals(
          outcome(() -> DateUtils.parseIso8601Date(odd)), outcome(() -> Times.iso8601(odd)), odd);
    }
  }

  private static String outcome(java.util.function.Supplier<java.time.Instant> parse) {
    try {
      return String.valueOf(parse.get());
    } catch (RuntimeException e) {
      return "fails";
    }
  }

  @Test
  void keysAreDecodedOnlyWhenTheServerSaysItEncodedThem() {
    String page =
        "<ListBucketResult>%s<IsTruncated>false</IsTruncated><Contents><Key>a+b%%41</Key>"
            + "<Size>1</Size><LastModified>2026-12-07T03:30:01.123Z</LastModified></Contents>"
            + "</ListBucketResult>";
    assertEquals(
        "a bA",
        ListingXml.objects(
                String.format(page, "<EncodingType>url</EncodingType>")
                    .getBytes(StandardCharsets.UTF_8))
            .objects()
            .getFirst()
            .key());
    // A server that ignored encoding-type=url sent the key as it is.
    assertEquals(
        "a+b%41",
        ListingXml.objects(String.format(page, "").getBytes(StandardCharsets.UTF_8))
            .objects()
            .getFirst()
            .key());
  }

  @Test
  void aPageCutShortOrTruncatedWithoutItsTokenIsRefused() {
    byte[] cut =
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>"
            .getBytes(StandardCharsets.UTF_8);
    assertThrows(SdkClientException.class, () -> ListingXml.objects(cut));
    byte[] noToken =
        ("<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key><Size>1</Size>"
                + "<LastModified>2026-12-07T03:30:01.123Z</LastModified></Contents></ListBucketResult>")
            .getBytes(StandardCharsets.UTF_8);
    assertThrows(SdkClientException.class, () -> ListingXml.objects(noToken));
    byte[] noMarker =
        "<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>"
            .getBytes(StandardCharsets.UTF_8);
    assertThrows(SdkClientException.class, () -> ListingXml.versions(noMarker));
  }

  /**
   * MinIO's listing with metadata: every object has its UserMetadata and, with tags, UserTags
   * (form-encoded); delete markers have neither. A plain page tells no tags.
   */
  @Test
  void tagsAreReadWhereTheListingCarriesMetadata() {
    String page =
        "<ListVersionsResult><IsTruncated>false</IsTruncated>"
            + "<DeleteMarker><Key>a</Key><LastModified>2026-12-07T03:30:01.123Z</LastModified>"
            + "<IsLatest>true</IsLatest><VersionId>m</VersionId></DeleteMarker>"
            + "<Version><Key>a</Key><Size>3</Size><ETag>&#34;e&#34;</ETag>"
            + "<LastModified>2026-12-07T03:30:00.123Z</LastModified>"
            + "<UserMetadata><content-type>text/plain</content-type></UserMetadata>"
            + "<UserTags>x=1&amp;y=a+b&amp;z=%2B%3D%26</UserTags>"
            + "<IsLatest>false</IsLatest><VersionId>v1</VersionId></Version>"
            + "<Version><Key>b</Key><Size>3</Size><ETag>&#34;e&#34;</ETag>"
            + "<LastModified>2026-12-07T03:30:00.123Z</LastModified>"
            + "<UserMetadata><content-type>text/plain</content-type></UserMetadata>"
            + "<IsLatest>true</IsLatest><VersionId>v2</VersionId></Version>"
            + "</ListVersionsResult>";
    List<ListedObject> objects =
        ListingXml.versions(page.getBytes(StandardCharsets.UTF_8)).objects();
    assertEquals(null, objects.get(0).tags());
    assertEquals(Map.of("x", "1", "y", "a b", "z", "+=&"), objects.get(1).tags());
    assertEquals(Map.of(), objects.get(2).tags());
    String plain =
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size>"
            + "<LastModified>2026-12-07T03:30:01.123Z</LastModified></Contents></ListBucketResult>";
    assertEquals(
        null,
        ListingXml.objects(plain.getBytes(StandardCharsets.UTF_8)).objects().getFirst().tags());
  }

  @Test
  void theNextTokenIsFoundWithoutReadingThePageOnlyWhereItNeedsNoDecoding() {
    assertEquals(
        "dG9r/+=",
        ListingXml.nextToken(
            "<ListBucketResult><NextContinuationToken>dG9r/+=</NextContinuationToken><Contents>"
                .getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        null,
        ListingXml.nextToken(
            "<ListBucketResult><NextContinuationToken>a&amp;b</NextContinuationToken>"
                .getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        null,
        ListingXml.nextToken(
            "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a%3CNext</Key>"
                .getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        null, ListingXml.nextToken("<NextContinuationToken>".getBytes(StandardCharsets.UTF_8)));
    // After the entries (where other servers may send it): not looked for.
    assertEquals(
        null,
        ListingXml.nextToken(
            "<ListBucketResult><Contents><Key>a</Key></Contents><NextContinuationToken>t</NextContinuationToken>"
                .getBytes(StandardCharsets.UTF_8)));
  }
}
