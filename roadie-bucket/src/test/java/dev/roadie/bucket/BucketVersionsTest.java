package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import dev.roadie.testkit.MinioServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * A versioned bucket backed up with every version and delete marker: the snapshot records each, in
 * the server's order; a restore brings back the current objects; the next backup reads only new
 * versions.
 */
@Tag("slow")
class BucketVersionsTest {
  @TempDir Path tmp;

  static void versioned(S3Client s3, String bucket) {
    s3.createBucket(b -> b.bucket(bucket));
    s3.putBucketVersioning(
        b ->
            b.bucket(bucket)
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
  }

  @Test
  void everyVersionAndDeleteMarkerIsRecordedAndTheCurrentObjectsRestore() throws Exception {
    try (MinioServer minio = MinioServer.start();
        S3Client s3 = TestBuckets.client(minio);
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      versioned(s3, "vers");
      for (String v : List.of("one", "two", "three")) put(s3, "k1", v);
      put(s3, "k2", "deleted later");
      s3.deleteObject(b -> b.bucket("vers").key("k2"));
      put(s3, "k3", "before the marker");
      s3.deleteObject(b -> b.bucket("vers").key("k3"));
      put(s3, "k3", "after the marker");
      s3.putObject(
          b -> b.bucket("vers").key("k4").tagging("t=1").metadata(Map.of("m", "v")),
          RequestBody.fromString("x"));

      BucketBackupOptions all =
          new BucketBackupOptions(TestBuckets.location(minio, "vers"), true, false);
      SnapshotRef first = Sources.backup(BackupRequest.of(repo, BucketSource.KIND, all)).snapshot();
      BucketMetadata m = SourceMetadata.of(first.snapshot(), BucketMetadata.class);
      assertEquals(3L, m.objects(), "k1, k3, k4 are current");
      assertEquals(7L, m.versions());
      assertEquals(2L, m.deleteMarkers());
      assertEquals(
          listed(s3), recorded(repo, first), "every version and marker, in the server's order");
      assertTrue(
          Sources.summary(first.snapshot()).startsWith("3 objects (7 versions, 2 delete markers)"));

      Sources.restore(
          new RestoreRequest(
              repo,
              first,
              new Destination.Server(TestBuckets.url(minio, "current")),
              TestBuckets.restoreOptions(minio, null, false),
              null));
      Map<String, TestBuckets.ObjectState> restored = TestBuckets.state(s3, "current", "");
      assertEquals(List.of("k1", "k3", "k4"), new ArrayList<>(restored.keySet()));
      TestBuckets.assertSame(
          TestBuckets.state(s3, "vers", ""),
          restored,
          "the current objects, with metadata and tags");

      put(s3, "k1", "four");
      SnapshotRef second =
          Sources.backup(BackupRequest.of(repo, BucketSource.KIND, all)).snapshot();
      BucketMetadata m2 = SourceMetadata.of(second.snapshot(), BucketMetadata.class);
      assertEquals(7L, m2.unchangedObjects(), "the versions recorded before are not read again");
      assertEquals(4L, second.snapshot().stats().bytesRead());
      assertEquals(
          listed(s3), recorded(repo, second), "the older versions of k1 are no longer the latest");

      SnapshotRef plain =
          Sources.backup(
                  BackupRequest.of(
                      repo,
                      BucketSource.KIND,
                      new BucketBackupOptions(TestBuckets.location(minio, "vers"), false, false)))
              .snapshot();
      BucketMetadata p = SourceMetadata.of(plain.snapshot(), BucketMetadata.class);
      assertEquals(3L, p.objects());
      assertEquals(0L, p.deleteMarkers());
      assertEquals(
          null, plain.snapshot().parent(), "a snapshot without versions is no parent of one with");
    }
  }

  @Test
  void eachVersionUploadedInPartsRecordsItsOwnParts() throws Exception {
    try (MinioServer minio = MinioServer.start();
        S3Client s3 = TestBuckets.client(minio);
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      versioned(s3, "vers");
      java.util.Random r = new java.util.Random(4);
      long mib = 1 << 20;
      TestBuckets.uploadInParts(s3, "vers", "k", TestBuckets.bytes(r, 17 << 20), 5, 5, 7);
      String etag =
          TestBuckets.uploadInParts(s3, "vers", "k", TestBuckets.bytes(r, 12 << 20), 6, 5, 1);

      BucketBackupOptions all =
          new BucketBackupOptions(TestBuckets.location(minio, "vers"), true, false);
      SnapshotRef snap = Sources.backup(BackupRequest.of(repo, BucketSource.KIND, all)).snapshot();
      List<List<Long>> parts = new ArrayList<>();
      try (ObjectPages.Reader rd = new ObjectPages.Reader(repo, Id.parse(snap.snapshot().tree()))) {
        while (rd.hasNext()) parts.add(SnapshotObject.of(rd.next()).partSizes());
      }
      assertEquals(
          List.of(List.of(6 * mib, 5 * mib, mib), List.of(5 * mib, 5 * mib, 7 * mib)),
          parts,
          "the newest version first, each with the parts it was uploaded in");

      Sources.restore(
          new RestoreRequest(
              repo,
              snap,
              new Destination.Server(TestBuckets.url(minio, "current")),
              TestBuckets.restoreOptions(minio, null, false),
              null));
      TestBuckets.assertSame(
          TestBuckets.state(s3, "vers", ""),
          TestBuckets.state(s3, "current", ""),
          "the current version, with its ETag");
      assertEquals(etag, TestBuckets.state(s3, "current", "").get("k").etag());
    }
  }

  private static void put(S3Client s3, String key, String content) {
    s3.putObject(b -> b.bucket("vers").key(key), RequestBody.fromString(content));
  }

  /** key, version, latest, marker of every entry as the server lists them. */
  private static List<String> listed(S3Client s3) {
    List<String> out = new ArrayList<>();
    List<ListedObject> all = new ArrayList<>();
    for (ListObjectVersionsResponse r : s3.listObjectVersionsPaginator(b -> b.bucket("vers"))) {
      for (ObjectVersion v : r.versions()) {
        all.add(
            new ListedObject(
                v.key(),
                v.size(),
                null,
                v.lastModified(),
                null,
                v.versionId(),
                v.isLatest(),
                false));
      }
      for (DeleteMarkerEntry d : r.deleteMarkers()) {
        all.add(
            new ListedObject(
                d.key(), 0, null, d.lastModified(), null, d.versionId(), d.isLatest(), true));
      }
    }
    all.sort(
        java.util.Comparator.comparing(ListedObject::key)
            .thenComparing(ListedObject::lastModified, java.util.Comparator.reverseOrder()));
    for (ListedObject o : all)
      out.add(o.key() + " " + o.versionId() + " " + o.latest() + " " + o.deleteMarker());
    return out;
  }

  private static List<String> recorded(Repository repo, SnapshotRef s) throws Exception {
    List<String> out = new ArrayList<>();
    try (ObjectPages.Reader r = new ObjectPages.Reader(repo, Id.parse(s.snapshot().tree()))) {
      while (r.hasNext()) {
        SnapshotObject o = SnapshotObject.of(r.next());
        out.add(o.name() + " " + o.versionId() + " " + o.latest() + " " + o.deleteMarker());
      }
    }
    return out;
  }
}
