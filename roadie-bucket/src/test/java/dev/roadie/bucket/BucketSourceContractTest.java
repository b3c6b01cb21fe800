package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.SourceContractTest;
import dev.roadie.testkit.MinioServer;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The source contract for buckets, against MinIO: a bucket restores into a fresh bucket equal to
 * the original, verify finds a damaged copy. Verification gets no options here, so the bucket's
 * credentials come from the AWS SDK's default chain (its system properties, set for this class).
 */
@Tag("slow")
class BucketSourceContractTest extends SourceContractTest {
  static MinioServer minio;
  static S3Client s3;
  static final AtomicInteger buckets = new AtomicInteger();
  private String original;

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = TestBuckets.client(minio);
    System.setProperty("aws.accessKeyId", minio.accessKey());
    System.setProperty("aws.secretAccessKey", minio.secretKey());
    System.setProperty("aws.region", minio.region());
  }

  @AfterAll
  static void stop() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("aws.region");
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  @Override
  protected String kind() {
    return BucketSource.KIND;
  }

  @Override
  protected BackupRequest.Options original() {
    if (original == null) {
      original = "original-" + buckets.incrementAndGet();
      s3.createBucket(b -> b.bucket(original));
      java.util.Random r = new java.util.Random(7);
      for (int i = 0; i < 40; i++) {
        byte[] data = TestBuckets.bytes(r, i * 997);
        int n = i;
        s3.putObject(
            b ->
                b.bucket(original)
                    .key("dir" + (n % 3) + "/object-" + n)
                    .metadata(Map.of("n", "" + n))
                    .tagging(n % 4 == 0 ? "kind=quarter" : null),
            RequestBody.fromBytes(data));
      }
    }
    return new BucketBackupOptions(TestBuckets.location(minio, original), false, false);
  }

  @Override
  protected Destination freshDestination() {
    return new Destination.Server(TestBuckets.url(minio, "copy-" + buckets.incrementAndGet()));
  }

  @Override
  protected RestoreRequest.Options restoreOptions() {
    return TestBuckets.restoreOptions(minio, null, false);
  }

  private static String bucketOf(Destination copy) {
    String url = ((Destination.Server) copy).url();
    return url.substring(url.lastIndexOf('/') + 1);
  }

  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    TestBuckets.assertSame(
        TestBuckets.state(s3, original, ""), TestBuckets.state(s3, bucketOf(copy), ""), "the copy");
  }

  @Override
  protected void damage(Destination copy) {
    s3.putObject(
        b -> b.bucket(bucketOf(copy)).key("dir1/object-7"),
        RequestBody.fromString("not the original"));
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Stream(OutputStream.nullOutputStream());
  }

  /**
   * Objects by key with their size and metadata; the root lists the prefixes with their object
   * counts.
   */
  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) throws Exception {
    assertEquals(40, all.size());
    assertTrue(all.stream().allMatch(e -> e.type().equals("object") && e.current()));
    Entry seven =
        all.stream().filter(e -> e.path().equals("dir1/object-7")).findFirst().orElseThrow();
    assertEquals(7L * 997, seven.size());
    assertEquals(Map.of("n", "7"), seven.details().get("metadata"));
    List<Entry> top = new java.util.ArrayList<>();
    browser.list("").forEachRemaining(top::add);
    assertEquals(List.of("dir0/", "dir1/", "dir2/"), top.stream().map(Entry::path).toList());
    assertEquals(14L, ((Number) top.get(0).details().get("objects")).longValue());
    assertEquals("prefix", top.get(0).type());
    List<Entry> one = new java.util.ArrayList<>();
    browser.list("dir1/object-7").forEachRemaining(one::add);
    assertEquals(List.of(seven), one, "a key lists its object");
    List<Entry> dir = new java.util.ArrayList<>();
    browser.list("dir1").forEachRemaining(dir::add);
    assertEquals(13, dir.size(), "a prefix given without its '/' lists what lies below it");
  }
}
