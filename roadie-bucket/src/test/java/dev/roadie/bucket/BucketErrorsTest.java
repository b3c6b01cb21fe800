package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.testkit.MinioServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What goes wrong with buckets, each with a message that names the bucket and the object, and
 * nothing half-done left looking complete: a missing bucket, wrong credentials, a user who may not
 * list or not read, objects deleted or changed while they are read, a destination that refuses
 * writes part-way.
 */
@Tag("slow")
class BucketErrorsTest {
  @TempDir static Path shared;
  @TempDir Path tmp;
  static MinioServer minio;
  static S3Client s3;
  Repository repo;

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    s3 = TestBuckets.client(minio);
    s3.createBucket(b -> b.bucket("data"));
    for (int i = 0; i < 30; i++) {
      int n = i;
      s3.putObject(
          b -> b.bucket("data").key((n < 15 ? "ok/" : "other/") + "o" + n),
          RequestBody.fromString("object " + n));
    }
    // Users with narrow policies.
    mc(
        "admin",
        "policy",
        "create",
        "t",
        "list-only",
        policy(
            shared,
            "s3:ListBucket",
            "arn:aws:s3:::data",
            "s3:GetBucketLocation",
            "arn:aws:s3:::data"));
    mc(
        "admin",
        "policy",
        "create",
        "t",
        "read-only",
        policy(shared, "s3:GetObject", "arn:aws:s3:::data/*"));
    mc(
        "admin",
        "policy",
        "create",
        "t",
        "write-ok-only",
        policy(
            shared,
            "s3:ListBucket",
            "arn:aws:s3:::dest",
            "s3:GetObject",
            "arn:aws:s3:::dest/*",
            "s3:PutObject",
            "arn:aws:s3:::dest/ok/*"));
    mc(
        "admin",
        "policy",
        "create",
        "t",
        "no-tags",
        policy(
            shared,
            "s3:ListBucket",
            "arn:aws:s3:::tagged",
            "s3:GetObject",
            "arn:aws:s3:::tagged/*"));
    for (String user : List.of("list-only", "read-only", "write-ok-only", "no-tags")) {
      mc("admin", "user", "add", "t", user, user + "-secret-key");
      mc("admin", "policy", "attach", "t", user, "--user", user);
    }
  }

  @AfterAll
  static void stop() {
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  @BeforeEach
  void open() throws Exception {
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterEach
  void close() throws Exception {
    BucketBackup.beforeRead = key -> {};
    repo.close();
  }

  static Path policy(Path dir, String... actionResourcePairs) throws Exception {
    StringBuilder statements = new StringBuilder();
    for (int i = 0; i < actionResourcePairs.length; i += 2) {
      if (i > 0) statements.append(',');
      statements
          .append("{\"Effect\":\"Allow\",\"Action\":[\"")
          .append(actionResourcePairs[i])
          .append("\"],\"Resource\":[\"")
          .append(actionResourcePairs[i + 1])
          .append("\"]}");
    }
    Path p = Files.createTempFile(dir, "policy", ".json");
    Files.writeString(p, "{\"Version\":\"2012-10-17\",\"Statement\":[" + statements + "]}");
    return p;
  }

  static void mc(Object... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(MinioServer.mc().toString()));
    for (Object a : args) cmd.add(a.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(minio.mcEnv("t", shared.resolve("mc")));
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), cmd + ": " + out);
  }

  static AwsCredentialsProvider user(String name) {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(name, name + "-secret-key"));
  }

  BucketLocation location(String bucket, AwsCredentialsProvider credentials) {
    return BucketLocation.parse(
        TestBuckets.url(minio, bucket),
        new BackendSettings(null, null, minio.region(), null, null),
        credentials);
  }

  BackupResult backup(BucketLocation where) throws Exception {
    return Sources.backup(
        BackupRequest.of(repo, BucketSource.KIND, new BucketBackupOptions(where, false, false)));
  }

  /**
   * The failure of a backup of {@code where}, which leaves no snapshot; the same when the bucket is
   * opened and listed before the backup starts ({@link PreparedBucket}, as the CLI does).
   */
  RoadieException backupFails(BucketLocation where) throws Exception {
    RoadieException e = assertThrows(RoadieException.class, () -> backup(where));
    assertEquals(List.of(), repo.snapshots(null), "no snapshot: " + e.getMessage());
    try (PreparedBucket p = PreparedBucket.start(where, false)) {
      RoadieException prepared =
          assertThrows(
              RoadieException.class,
              () ->
                  Sources.backup(
                      BackupRequest.of(
                          repo,
                          BucketSource.KIND,
                          new BucketBackupOptions(where, false, false, p))));
      assertEquals(e.getMessage(), prepared.getMessage());
    }
    assertEquals(List.of(), repo.snapshots(null), "no snapshot: " + e.getMessage());
    return e;
  }

  /**
   * A bucket prepared on a server that never answers does not hold up the command that gives it up
   * (say, on a wrong repository password): closing it does not wait for the requests' retries.
   */
  @Test
  void aPreparedBucketIsGivenUpWithoutWaitingForItsServer() throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
      BucketLocation where =
          BucketLocation.parse(
              "s3:http://127.0.0.1:" + silent.getLocalPort() + "/data",
              new BackendSettings(null, null, minio.region(), null, null),
              TestBuckets.credentials(minio));
      long start = System.nanoTime();
      PreparedBucket p = PreparedBucket.start(where, false);
      Thread.sleep(200); // its first request is sent and waits for an answer
      p.close();
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 2000, "closed after " + millis + " ms");
    }
  }

  @Test
  void aMissingBucketIsNamedAndNoSnapshotIsWritten() throws Exception {
    RoadieException e = backupFails(location("no-such-bucket", TestBuckets.credentials(minio)));
    assertTrue(e.getMessage().contains("the bucket no-such-bucket does not exist"), e.getMessage());
  }

  @Test
  void wrongCredentialsAreNamedWithoutTheSecret() throws Exception {
    AwsCredentialsProvider wrong =
        StaticCredentialsProvider.create(
            AwsBasicCredentials.create(minio.accessKey(), "not-the-secret"));
    RoadieException e = backupFails(location("data", wrong));
    assertTrue(
        e.getMessage().contains("s3:" + minio.endpoint() + "/data")
            && e.getMessage().contains("credentials"),
        e.getMessage());
    assertFalse(e.getMessage().contains("not-the-secret"));
  }

  @Test
  void aUserWhoMayNotListIsToldSo() throws Exception {
    RoadieException e = backupFails(location("data", user("read-only")));
    assertTrue(
        e.getMessage().contains("S3 refused to list the bucket")
            && e.getMessage().contains("/data"),
        e.getMessage());
  }

  /**
   * MinIO's listing with metadata leaves the tags out for a user who may not read them: an
   * unchanged object backed up by such a user keeps the tags its parent recorded, rather than none.
   */
  @Test
  void aUserWhoMayNotReadTagsKeepsTheRecordedTagsOfUnchangedObjects() throws Exception {
    s3.createBucket(b -> b.bucket("tagged"));
    s3.putObject(
        b -> b.bucket("tagged").key("t").tagging("team=a"), RequestBody.fromString("tagged"));
    s3.putObject(b -> b.bucket("tagged").key("u"), RequestBody.fromString("untagged"));
    backup(TestBuckets.location(minio, "tagged"));
    SnapshotRef second = backup(location("tagged", user("no-tags"))).snapshot();
    Map<String, Map<String, String>> tags = new java.util.TreeMap<>();
    try (ObjectPages.Reader r = new ObjectPages.Reader(repo, Id.parse(second.snapshot().tree()))) {
      while (r.hasNext()) {
        SnapshotObject o = SnapshotObject.of(r.next());
        tags.put(o.name(), o.tags());
      }
    }
    assertEquals(Map.of("t", Map.of("team", "a"), "u", Map.of()), tags);
  }

  @Test
  void aUserWhoMayListButNotReadFailsTheBackupNamingTheObject() throws Exception {
    RoadieException e = backupFails(location("data", user("list-only")));
    assertTrue(
        e.getMessage().contains("S3 refused to read object 'ok/o0'")
            || e.getMessage().matches("(?s).*S3 refused to read object '[a-z]+/o\\d+'.*"),
        e.getMessage());
    assertTrue(e.getMessage().contains("lack the permission"), e.getMessage());
  }

  @Test
  void objectsDeletedOrChangingWhileReadAreRecordedAsSkippedAndTheSnapshotSaysItIsIncomplete()
      throws Exception {
    s3.putObject(b -> b.bucket("data").key("victim"), RequestBody.fromString("to be deleted"));
    s3.putObject(b -> b.bucket("data").key("changes-once"), RequestBody.fromString("first"));
    s3.putObject(b -> b.bucket("data").key("changes-always"), RequestBody.fromString("first"));
    AtomicInteger writes = new AtomicInteger();
    BucketBackup.beforeRead =
        key -> {
          switch (key) {
            case "victim" -> s3.deleteObject(b -> b.bucket("data").key(key));
            case "changes-once" -> {
              if (writes.getAndIncrement() == 0)
                s3.putObject(b -> b.bucket("data").key(key), RequestBody.fromString("second"));
            }
            case "changes-always" ->
                s3.putObject(
                    b -> b.bucket("data").key(key),
                    RequestBody.fromString("again " + System.nanoTime()));
            default -> {}
          }
        };
    try {
      BackupResult r = backup(location("data", TestBuckets.credentials(minio)));
      BucketMetadata m = SourceMetadata.of(r.snapshot().snapshot(), BucketMetadata.class);
      assertEquals(2L, m.skippedCount());
      assertEquals(
          List.of(
              new BucketMetadata.Skipped(
                  "changes-always", null, "changed while it was read (3 attempts)"),
              new BucketMetadata.Skipped("victim", null, "deleted while the backup ran")),
          m.skipped());
      assertTrue(Sources.summary(r.snapshot().snapshot()).endsWith("INCOMPLETE: 2 not captured"));
      assertTrue(
          r.warnings().stream().anyMatch(w -> w.contains("'victim': deleted while the backup ran")),
          r.warnings().toString());
      assertTrue(
          r.warnings().stream()
              .anyMatch(w -> w.startsWith("the snapshot is incomplete: 2 objects")),
          r.warnings().toString());

      Path dir = tmp.resolve("restored");
      Sources.restore(
          new RestoreRequest(repo, r.snapshot(), new Destination.Directory(dir), null, null));
      assertEquals(
          "second",
          Files.readString(dir.resolve("changes-once")),
          "the object as it was when read again");
      assertFalse(Files.exists(dir.resolve("victim")));
      assertFalse(Files.exists(dir.resolve("changes-always")));
    } finally {
      s3.deleteObject(b -> b.bucket("data").key("changes-once"));
      s3.deleteObject(b -> b.bucket("data").key("changes-always"));
    }
  }

  static String storageClass(String bucket, String key) {
    String c = s3.headObject(b -> b.bucket(bucket).key(key)).storageClassAsString();
    return c == null ? "STANDARD" : c;
  }

  RestoreResult restoreInClass(SnapshotRef snap, String bucket, String storageClass)
      throws Exception {
    return TestBuckets.restore(
        repo, snap, minio, bucket, TestBuckets.restoreOptions(minio, null, false, storageClass));
  }

  /**
   * A restore into a server that does not offer the recorded storage class (a snapshot of AWS S3
   * restored into MinIO) names the class and the way out; with a storage class given every object
   * is written in it, a second restore finds them equal, and a restore in another class rewrites
   * them.
   */
  @Test
  void aStorageClassTheDestinationDoesNotOfferIsNamedAndOneGivenIsWritten() throws Exception {
    s3.createBucket(b -> b.bucket("classes"));
    s3.putObject(b -> b.bucket("classes").key("std"), RequestBody.fromString("standard"));
    s3.putObject(
        b -> b.bucket("classes").key("rrs").storageClass("REDUCED_REDUNDANCY"),
        RequestBody.fromString("reduced"));
    SnapshotRef snap = backup(location("classes", TestBuckets.credentials(minio))).snapshot();

    restoreInClass(snap, "classes-as-is", null);
    assertEquals("STANDARD", storageClass("classes-as-is", "std"));
    assertEquals("REDUCED_REDUNDANCY", storageClass("classes-as-is", "rrs"));

    RoadieException e =
        assertThrows(
            RoadieException.class, () -> restoreInClass(snap, "classes-ia", "STANDARD_IA"));
    assertTrue(
        e.getMessage().contains("the server does not offer storage class STANDARD_IA"),
        e.getMessage());
    assertTrue(e.getMessage().contains("restore with --storage-class"), e.getMessage());

    restoreInClass(snap, "classes-std", "STANDARD");
    assertEquals("STANDARD", storageClass("classes-std", "rrs"));
    RestoreResult r = restoreInClass(snap, "classes-std", "STANDARD");
    assertEquals(
        2,
        r.counts().stream()
            .filter(c -> c.one().equals("unchanged"))
            .findFirst()
            .orElseThrow()
            .value(),
        r.counts().toString());
    VerifyResult v =
        Sources.verify(
            new VerifyRequest(
                repo,
                snap,
                new Destination.Server(TestBuckets.url(minio, "classes-std")),
                TestBuckets.restoreOptions(minio, null, false, "STANDARD")));
    assertTrue(v.matches(), v.differences().toString());

    restoreInClass(snap, "classes-std", "REDUCED_REDUNDANCY");
    assertEquals("REDUCED_REDUNDANCY", storageClass("classes-std", "std"));
    assertEquals(
        "standard",
        s3.getObjectAsBytes(b -> b.bucket("classes-std").key("std")).asUtf8String(),
        "rewritten in another class, the same bytes");
  }

  @Test
  void aDestinationThatRefusesWritesPartWayLeavesOnlyCompleteObjectsAndSaysHowToFinish()
      throws Exception {
    SnapshotRef snap = backup(location("data", TestBuckets.credentials(minio))).snapshot();
    s3.createBucket(b -> b.bucket("dest"));
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                Sources.restore(
                    new RestoreRequest(
                        repo,
                        snap,
                        new Destination.Server(TestBuckets.url(minio, "dest")),
                        new BucketRestoreOptions(
                            new BackendSettings(null, null, minio.region(), null, null),
                            user("write-ok-only"),
                            null,
                            false,
                            null),
                        null)));
    assertTrue(
        e.getMessage().matches("(?s).*S3 refused to write object 'other/o\\d+'.*"), e.getMessage());
    assertTrue(
        e.getMessage().contains("/dest") && e.getMessage().contains("run the restore again"),
        e.getMessage());
    Map<String, TestBuckets.ObjectState> original = TestBuckets.state(s3, "data", "");
    Map<String, TestBuckets.ObjectState> there = TestBuckets.state(s3, "dest", "");
    assertFalse(there.isEmpty(), "the objects it may write were written");
    there.forEach((k, v) -> assertEquals(original.get(k).sha256(), v.sha256(), k + " is complete"));
    assertTrue(there.keySet().stream().allMatch(k -> k.startsWith("ok/")));

    // With credentials that may write, the same restore finishes the job.
    Sources.restore(
        new RestoreRequest(
            repo,
            snap,
            new Destination.Server(TestBuckets.url(minio, "dest")),
            TestBuckets.restoreOptions(minio, null, false),
            null));
    TestBuckets.assertSame(original, TestBuckets.state(s3, "dest", ""), "finished");
  }
}
