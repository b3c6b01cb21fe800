package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.Sources;
import dev.roadie.testkit.MinioServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;

/** MinIO clients, locations and bucket contents for the bucket tests. */
final class TestBuckets {
  private TestBuckets() {}

  static AwsCredentialsProvider credentials(MinioServer minio) {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(minio.accessKey(), minio.secretKey()));
  }

  static S3Client client(MinioServer minio) {
    return client(minio.endpoint(), minio.region(), credentials(minio));
  }

  static S3Client client(URI endpoint, String region, AwsCredentialsProvider credentials) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .forcePathStyle(true)
        .region(Region.of(region))
        .credentialsProvider(credentials)
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
        .build();
  }

  /** {@code s3:http://HOST:PORT/BUCKET[/PREFIX]} on {@code minio}. */
  static String url(MinioServer minio, String bucketAndPrefix) {
    return "s3:" + minio.endpoint() + "/" + bucketAndPrefix;
  }

  static BucketLocation location(MinioServer minio, String bucketAndPrefix) {
    return BucketLocation.parse(
        url(minio, bucketAndPrefix),
        new BackendSettings(null, null, minio.region(), null, null),
        credentials(minio));
  }

  /** Restores {@code snap} of {@code repo} into {@code bucket} of {@code minio}. */
  static RestoreResult restore(
      Repository repo,
      SnapshotRef snap,
      MinioServer minio,
      String bucket,
      BucketRestoreOptions options)
      throws IOException {
    return Sources.restore(
        new RestoreRequest(repo, snap, new Destination.Server(url(minio, bucket)), options, null));
  }

  static BucketRestoreOptions restoreOptions(
      MinioServer minio, String include, boolean deleteExtra) {
    return restoreOptions(minio, include, deleteExtra, null);
  }

  static BucketRestoreOptions restoreOptions(
      MinioServer minio, String include, boolean deleteExtra, String storageClass) {
    return new BucketRestoreOptions(
        new BackendSettings(null, null, minio.region(), null, null),
        credentials(minio),
        include,
        deleteExtra,
        storageClass);
  }

  /**
   * What a user sees of one object: its bytes' SHA-256, size, ETag, headers, user metadata and
   * tags.
   */
  record ObjectState(
      String sha256, long size, String etag, ObjectHeaders headers, Map<String, String> tags) {}

  /**
   * Every object of {@code bucket} (under {@code prefix}), read in parallel, by key relative to the
   * prefix.
   */
  static Map<String, ObjectState> state(S3Client s3, String bucket, String prefix)
      throws Exception {
    List<String> keys = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents())
      keys.add(o.key());
    Map<String, ObjectState> out = new TreeMap<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<ObjectState>> fs = new ArrayList<>();
      for (String k : keys) fs.add(pool.submit(() -> read(s3, bucket, k)));
      for (int i = 0; i < keys.size(); i++)
        out.put(keys.get(i).substring(prefix.length()), fs.get(i).get());
    }
    return out;
  }

  static ObjectState read(S3Client s3, String bucket, String key) throws IOException {
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key))) {
      String sha = Sha256.of(in);
      GetObjectResponse r = in.response();
      Map<String, String> tags = new TreeMap<>();
      if (r.tagCount() != null && r.tagCount() > 0) {
        for (Tag t : s3.getObjectTagging(b -> b.bucket(bucket).key(key)).tagSet())
          tags.put(t.key(), t.value());
      }
      return new ObjectState(
          sha, r.contentLength(), ListedObject.unquote(r.eTag()), ObjectHeaders.of(r), tags);
    }
  }

  /**
   * Asserts that {@code copy} holds exactly the objects of {@code original}, alike in all a user
   * sees.
   */
  static void assertSame(
      Map<String, ObjectState> original, Map<String, ObjectState> copy, String what) {
    assertEquals(original.keySet(), copy.keySet(), what + ": the keys");
    for (Map.Entry<String, ObjectState> e : original.entrySet()) {
      ObjectState a = e.getValue();
      ObjectState b = copy.get(e.getKey());
      String k = what + ": '" + e.getKey() + "'";
      assertEquals(a.sha256(), b.sha256(), k + " bytes");
      assertEquals(a.size(), b.size(), k + " size");
      assertTrue(
          a.headers().sameAs(b.headers()), k + " headers: " + a.headers() + " vs " + b.headers());
      // Exactly the user metadata the original had: nothing of roadie's added.
      assertEquals(a.headers().metadata(), b.headers().metadata(), k + " user metadata");
      assertEquals(a.headers().contentType(), b.headers().contentType(), k + " content type");
      assertEquals(a.tags(), b.tags(), k + " tags");
      assertEquals(a.etag(), b.etag(), k + " ETag");
    }
  }

  static byte[] bytes(java.util.Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  static String sha(byte[] b) throws IOException {
    try (InputStream in = new java.io.ByteArrayInputStream(b)) {
      return Sha256.of(in);
    }
  }

  /**
   * Uploads {@code data} as {@code key} of {@code bucket} in parts of {@code mib} MiB each (the
   * last taking the rest) and returns its ETag.
   */
  static String uploadInParts(S3Client s3, String bucket, String key, byte[] data, int... mib) {
    String id = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    int off = 0;
    for (int i = 0; i < mib.length; i++) {
      int len = i == mib.length - 1 ? data.length - off : mib[i] << 20;
      int number = i + 1;
      byte[] part = java.util.Arrays.copyOfRange(data, off, off + len);
      String etag =
          s3.uploadPart(
                  b -> b.bucket(bucket).key(key).uploadId(id).partNumber(number),
                  RequestBody.fromBytes(part))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      off += len;
    }
    return ListedObject.unquote(
        s3.completeMultipartUpload(
                b -> b.bucket(bucket).key(key).uploadId(id).multipartUpload(m -> m.parts(parts)))
            .eTag());
  }

  /** The ETag S3 gives an upload of {@code data} in parts of these lengths. */
  static String multipartEtag(byte[] data, long... lengths) throws Exception {
    java.security.MessageDigest all = java.security.MessageDigest.getInstance("MD5");
    int off = 0;
    for (long len : lengths) {
      java.security.MessageDigest one = java.security.MessageDigest.getInstance("MD5");
      one.update(data, off, (int) len);
      all.update(one.digest());
      off += (int) len;
    }
    return java.util.HexFormat.of().formatHex(all.digest()) + "-" + lengths.length;
  }
}
