package dev.roadie.bucket.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.testkit.MinioServer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Mirror passes between buckets of one MinIO. */
@Tag("slow")
class BucketMirrorTest {
  static MinioServer minio;
  static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = Minio.client(minio);
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  static MirrorReport mirror(String src, String dst, boolean delete) throws InterruptedException {
    try (MirrorSide a = Minio.side("source", minio, src); MirrorSide b = Minio.side("destination", minio, dst)) {
      BucketMirror m = new BucketMirror(a, b, BucketMirror.Options.defaults(delete), (k, key, r, n) -> { });
      m.createDestinationBucket();
      return m.mirror();
    }
  }

  @Test
  void mirrorsOnceThenFindsNothingToDo() throws Exception {
    s3.createBucket(b -> b.bucket("smoke-src"));
    Minio.put(s3, "smoke-src", "a.txt", "alpha");
    Minio.put(s3, "smoke-src", "dir/b.txt", "beta");
    MirrorReport first = mirror("s3://smoke-src", "s3://smoke-dst", false);
    assertEquals(2, first.count(Kind.COPIED), first.toMap(false).toString());
    assertEquals("alpha", Minio.get(s3, "smoke-dst", "a.txt"));
    HeadObjectResponse h = s3.headObject(b -> b.bucket("smoke-dst").key("a.txt"));
    System.err.println(h.metadata());
    MirrorReport second = mirror("s3://smoke-src", "s3://smoke-dst", false);
    assertEquals(2, second.count(Kind.UNCHANGED), second.toMap(false).toString());
  }
}
