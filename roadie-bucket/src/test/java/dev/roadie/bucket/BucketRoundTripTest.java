package dev.roadie.bucket;

import static dev.roadie.bucket.TestBuckets.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.json.Json;
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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.Tagging;

/**
 * A bucket of a few thousand objects (empty, tiny, medium, one multipart object over 64 MiB, nested
 * prefixes, odd keys, headers, user metadata, tags) backed up, changed by about 1% (overwrites,
 * deletes, additions, same-size changes, metadata changes), backed up again; each snapshot restored
 * into a new bucket and compared object by object with the bucket as it was at that time.
 */
@Tag("slow")
class BucketRoundTripTest {
  static final int SMALL = 3000;

  /** 1,024 bytes, the longest key S3 allows (MinIO on a drive keeps each segment to 255 bytes). */
  static final String LONG_KEY = "long/" + ("y".repeat(200) + "/").repeat(4) + "z".repeat(215);

  static final List<String> ODD_KEYS =
      List.of(
          "with space.txt",
          "ünïcödé/日本語.txt",
          "percent%41%.txt",
          "plus+sign.txt",
          "emoji😀/x.txt",
          "bracket[1]*?.txt",
          "a",
          "a-b",
          "folder/",
          LONG_KEY,
          "deep/" + "seg/".repeat(60) + "leaf");

  @TempDir static Path tmp;
  static MinioServer minio;
  static S3Client s3;
  static Repository repo;
  static SnapshotRef first;
  static SnapshotRef second;
  static Map<String, TestBuckets.ObjectState> before;
  static Map<String, TestBuckets.ObjectState> after;
  static long changedBytes;
  static int changedObjects;
  static String multipartKey = "big/multipart.bin";

  @BeforeAll
  static void backUpTwice() throws Exception {
    minio = MinioServer.start();
    s3 = TestBuckets.client(minio);
    s3.createBucket(b -> b.bucket("src"));
    fill(new Random(1));
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 16 << 20);
    before = TestBuckets.state(s3, "src", "");
    first = backup(false);
    change(new Random(2));
    after = TestBuckets.state(s3, "src", "");
    // The second through a bucket opened and listed before the backup starts, as the CLI does.
    second = backup(true);
  }

  @AfterAll
  static void stop() throws Exception {
    if (repo != null) repo.close();
    if (s3 != null) s3.close();
    if (minio != null) minio.close();
  }

  static SnapshotRef backup(boolean prepared) throws Exception {
    BucketLocation where = TestBuckets.location(minio, "src");
    try (PreparedBucket p = prepared ? PreparedBucket.start(where, false) : null) {
      BackupResult r =
          Sources.backup(
              BackupRequest.of(
                  repo, BucketSource.KIND, new BucketBackupOptions(where, false, false, p)));
      assertEquals(List.of(), r.warnings());
      return r.snapshot();
    }
  }

  static void put(
      String key, byte[] data, java.util.function.Consumer<PutObjectRequest.Builder> more) {
    PutObjectRequest.Builder b = PutObjectRequest.builder().bucket("src").key(key);
    more.accept(b);
    s3.putObject(b.build(), RequestBody.fromBytes(data));
  }

  static void fill(Random r) throws Exception {
    Instant expires = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < SMALL; i++) {
        int n = i;
        byte[] data = bytes(r, i % 50 == 0 ? 0 : 1 + r.nextInt(4096));
        fs.add(
            pool.submit(
                () ->
                    put(
                        "d" + (n % 10) + "/s" + (n % 7) + "/o" + n + ".bin",
                        data,
                        b -> {
                          if (n % 100 == 1) {
                            b.contentType("text/plain")
                                .cacheControl("max-age=60")
                                .contentDisposition("attachment; filename=\"o.txt\"")
                                .contentEncoding("identity")
                                .contentLanguage("de")
                                .expires(expires)
                                .metadata(Map.of("owner", "team-a", "n", String.valueOf(n)));
                          }
                          if (n % 150 == 2) {
                            b.tagging(
                                Tagging.builder()
                                    .tagSet(
                                        software.amazon.awssdk.services.s3.model.Tag.builder()
                                            .key("env")
                                            .value("prod")
                                            .build(),
                                        software.amazon.awssdk.services.s3.model.Tag.builder()
                                            .key("i")
                                            .value(String.valueOf(n))
                                            .build())
                                    .build());
                          }
                        })));
      }
      for (int i = 0; i < 40; i++) {
        byte[] data = bytes(r, 100_000 + r.nextInt(2_000_000));
        String key = "medium/m" + i + ".bin";
        fs.add(pool.submit(() -> put(key, data, b -> b.contentType("application/octet-stream"))));
      }
      for (String k : ODD_KEYS) {
        byte[] data = k.endsWith("/") ? new byte[0] : ("odd " + k).getBytes(StandardCharsets.UTF_8);
        fs.add(pool.submit(() -> put(k, data, b -> b.metadata(Map.of("odd", "yes")))));
      }
      for (Future<?> f : fs) f.get();
    }
    // Over 64 MiB, uploaded in 8 MiB parts: its ETag is no MD5 of the content.
    byte[] big = bytes(r, (65 << 20) + 123);
    String id =
        s3.createMultipartUpload(
                b ->
                    b.bucket("src")
                        .key(multipartKey)
                        .contentType("video/mp4")
                        .metadata(Map.of("camera", "front")))
            .uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    for (int p = 0, off = 0; off < big.length; p++, off += 8 << 20) {
      int len = Math.min(8 << 20, big.length - off);
      int number = p + 1;
      String etag =
          s3.uploadPart(
                  b -> b.bucket("src").key(multipartKey).uploadId(id).partNumber(number),
                  RequestBody.fromBytes(java.util.Arrays.copyOfRange(big, off, off + len)))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    }
    s3.completeMultipartUpload(
        b -> b.bucket("src").key(multipartKey).uploadId(id).multipartUpload(m -> m.parts(parts)));
  }

  /**
   * About 1% of the objects: overwritten, deleted, added, changed at the same size, metadata
   * replaced, tags alone set, changed and removed (which changes neither ETag nor time).
   */
  static void change(Random r) {
    s3.putObjectTagging(
        b ->
            b.bucket("src")
                .key("d1/s4/o11.bin")
                .tagging(
                    t ->
                        t.tagSet(
                            software.amazon.awssdk.services.s3.model.Tag.builder()
                                .key("team")
                                .value("b c")
                                .build(),
                            software.amazon.awssdk.services.s3.model.Tag.builder()
                                .key("x")
                                .value("1+2=3")
                                .build())));
    s3.putObjectTagging(
        b ->
            b.bucket("src")
                .key("d2/s5/o152.bin")
                .tagging(
                    t ->
                        t.tagSet(
                            software.amazon.awssdk.services.s3.model.Tag.builder()
                                .key("env")
                                .value("staging")
                                .build())));
    s3.deleteObjectTagging(b -> b.bucket("src").key("d2/s1/o302.bin"));
    for (int i = 0; i < 10; i++) {
      byte[] data = bytes(r, 5000 + i);
      put("d3/s" + (3 * 17 % 7) + "/o" + (3 + 10 * i * 7) + ".bin", data, b -> {});
    }
    for (int i = 0; i < 8; i++) {
      int n = 5 + 70 * i;
      s3.deleteObject(
          b -> b.bucket("src").key("d" + (n % 10) + "/s" + (n % 7) + "/o" + n + ".bin"));
    }
    for (int i = 0; i < 8; i++) {
      put("new/n" + i + ".bin", bytes(r, 1000 * (i + 1)), b -> b.metadata(Map.of("added", "yes")));
    }
    for (int i = 0; i < 6; i++) {
      int n = 7 + 70 * i;
      String key = "d" + (n % 10) + "/s" + (n % 7) + "/o" + n + ".bin";
      long size = s3.headObject(b -> b.bucket("src").key(key)).contentLength();
      put(key, bytes(r, (int) size), b -> {});
    }
    put("medium/m3.bin", bytes(r, 1_500_000), b -> b.contentType("application/x-changed"));
    for (String key : List.of("d1/s1/o1.bin", "d2/s2/o2.bin")) {
      s3.copyObject(
          b ->
              b.sourceBucket("src")
                  .sourceKey(key)
                  .destinationBucket("src")
                  .destinationKey(key)
                  .metadataDirective(MetadataDirective.REPLACE)
                  .metadata(Map.of("changed", "metadata"))
                  .contentType("text/csv"));
    }
  }

  static RestoreResult restore(SnapshotRef snap, String bucket, String include, boolean deleteExtra)
      throws Exception {
    return TestBuckets.restore(
        repo, snap, minio, bucket, TestBuckets.restoreOptions(minio, include, deleteExtra));
  }

  static VerifyResult verify(SnapshotRef snap, Destination d) throws Exception {
    return Sources.verify(
        new VerifyRequest(repo, snap, d, TestBuckets.restoreOptions(minio, null, false)));
  }

  @Test
  void theSecondBackupReadsOnlyWhatChanged() {
    BucketMetadata a = SourceMetadata.of(first.snapshot(), BucketMetadata.class);
    BucketMetadata b = SourceMetadata.of(second.snapshot(), BucketMetadata.class);
    assertEquals(before.size(), a.objects());
    assertEquals(after.size(), b.objects());
    assertEquals(0L, a.unchangedObjects());
    assertEquals(0L, b.skippedOrZero());
    assertEquals(first.id().hex(), second.snapshot().parent());
    Map<String, TestBuckets.ObjectState> changed = new HashMap<>(after);
    changed
        .entrySet()
        .removeIf(
            e ->
                before.containsKey(e.getKey())
                    && before.get(e.getKey()).etag().equals(e.getValue().etag())
                    && before.get(e.getKey()).headers().equals(e.getValue().headers()));
    long changedSize = changed.values().stream().mapToLong(TestBuckets.ObjectState::size).sum();
    assertEquals(
        after.size() - changed.size(), b.unchangedObjects(), "objects taken from the parent");
    assertEquals(
        changedSize, second.snapshot().stats().bytesRead(), "only changed objects are read");
    assertTrue(
        second.snapshot().stats().bytesAdded() < changedSize + (2 << 20),
        "stored: "
            + second.snapshot().stats().bytesAdded()
            + " for "
            + changedSize
            + " changed bytes");
  }

  @Test
  void eachSnapshotRestoresIntoANewBucketAsTheBucketWasThen() throws Exception {
    RestoreResult ra = restore(first, "restored-a", null, false);
    assertTrue(ra.notes().contains("created the bucket restored-a"), ra.notes().toString());
    TestBuckets.assertSame(before, TestBuckets.state(s3, "restored-a", ""), "first snapshot");
    restore(second, "restored-b", null, false);
    TestBuckets.assertSame(after, TestBuckets.state(s3, "restored-b", ""), "second snapshot");
    VerifyResult v = verify(second, new Destination.Server(TestBuckets.url(minio, "restored-b")));
    assertTrue(v.matches(), v.differences().toString());
    assertEquals(after.size(), v.checked());
    VerifyResult wrong =
        verify(first, new Destination.Server(TestBuckets.url(minio, "restored-b")));
    assertFalse(wrong.matches(), "the second snapshot's copy is not the first's");
  }

  @Test
  void restoringOverAnOlderCopyWritesOnlyWhatDiffersAndDeletesExtrasOnlyWhenAsked()
      throws Exception {
    restore(first, "restored-c", null, false);
    RestoreResult kept = restore(second, "restored-c", null, false);
    Map<String, Long> counts = counts(kept);
    long differing =
        after.entrySet().stream().filter(e -> !e.getValue().equals(before.get(e.getKey()))).count();
    assertEquals(
        differing,
        counts.get("objects written") + counts.getOrDefault("re-tagged", 0L),
        kept.toString());
    assertEquals(after.size() - differing, counts.get("unchanged"), kept.toString());
    long extra = before.keySet().stream().filter(k -> !after.containsKey(k)).count();
    assertTrue(
        kept.notes().stream()
            .anyMatch(n -> n.startsWith(extra + " objects under") && n.contains("left in place")),
        kept.notes().toString());
    Map<String, TestBuckets.ObjectState> withExtras = new TreeMap<>(after);
    before.forEach((k, v) -> withExtras.putIfAbsent(k, v));
    TestBuckets.assertSame(
        withExtras, TestBuckets.state(s3, "restored-c", ""), "without --delete-extra");

    RestoreResult cleaned = restore(second, "restored-c", null, true);
    assertEquals(0L, counts(cleaned).get("objects written"), cleaned.toString());
    assertEquals(extra, counts(cleaned).get("extra deleted"), cleaned.toString());
    TestBuckets.assertSame(after, TestBuckets.state(s3, "restored-c", ""), "with --delete-extra");
  }

  @Test
  void includeRestoresOnlyMatchingNamesUnderAnotherPrefixAndDeletesOnlyAmongThem()
      throws Exception {
    restore(second, "restored-d/under/p", "d1/**", false);
    Map<String, TestBuckets.ObjectState> d1 = new TreeMap<>(after);
    d1.keySet().removeIf(k -> !k.startsWith("d1/"));
    TestBuckets.assertSame(d1, TestBuckets.state(s3, "restored-d", "under/p/"), "d1/** only");
    s3.putObject(b -> b.bucket("restored-d").key("under/p/d1/extra"), RequestBody.fromString("x"));
    s3.putObject(
        b -> b.bucket("restored-d").key("under/p/other/extra"), RequestBody.fromString("x"));
    s3.putObject(b -> b.bucket("restored-d").key("outside"), RequestBody.fromString("x"));
    restore(second, "restored-d/under/p", "d1", true);
    Map<String, TestBuckets.ObjectState> now = TestBuckets.state(s3, "restored-d", "");
    assertFalse(
        now.containsKey("under/p/d1/extra"), "an extra object the pattern matches is deleted");
    assertTrue(
        now.containsKey("under/p/other/extra"), "an extra object outside the pattern is left");
    assertTrue(now.containsKey("outside"), "an object outside the prefix is left");
  }

  @Test
  void aPrefixThatMakesAKeyTooLongIsRefusedBeforeAnythingIsWritten() {
    RoadieException e =
        assertThrows(
            RoadieException.class, () -> restore(second, "restored-e/under/prefix", null, false));
    assertEquals(ErrorCode.USAGE, e.code());
    assertTrue(
        e.getMessage().contains("'" + LONG_KEY + "'") && e.getMessage().contains("1,024"),
        e.getMessage());
    assertFalse(
        s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals("restored-e")),
        "nothing written");
  }

  @Test
  void aDirectoryRestoreWritesEveryObjectAsAFileWithItsMetadataBeside() throws Exception {
    Path dir = tmp.resolve("dir");
    RestoreResult r =
        Sources.restore(
            new RestoreRequest(repo, second, new Destination.Directory(dir), null, null));
    assertEquals(after.size(), counts(r).get("objects"));
    assertEquals("odd a-b", Files.readString(dir.resolve("a-b")), "a plain name is its path");
    assertEquals("odd a", Files.readString(dir.resolve("a")));
    // "folder/" ends with an empty segment: it goes under its encoded name
    String encoded = FileNames.encode("folder/");
    assertEquals(0, Files.size(dir.resolve(encoded)));
    assertTrue(
        r.notes().stream().anyMatch(n -> n.contains("'folder/' as " + encoded)),
        r.notes().toString());
    assertEquals(Files.readString(dir.resolve("with space.txt")), "odd with space.txt");
    assertEquals(Files.readString(dir.resolve(LONG_KEY)), "odd " + LONG_KEY);
    assertEquals(Files.readString(dir.resolve("ünïcödé/日本語.txt")), "odd ünïcödé/日本語.txt");
    assertEquals(
        after.get(multipartKey).sha256(),
        TestBuckets.sha(Files.readAllBytes(dir.resolve(multipartKey))));
    List<String> lines = Files.readAllLines(dir.resolve(FileNames.SIDECAR));
    assertEquals(after.size(), lines.size());
    Map<?, ?> line =
        lines.stream()
            .map(l -> read(l))
            .filter(m -> "d1/s1/o1.bin".equals(m.get("name")))
            .findFirst()
            .orElseThrow();
    assertEquals(Map.of("changed", "metadata"), line.get("metadata"));
    assertEquals("text/csv", line.get("contentType"));
    Instant modified = Instant.parse((String) line.get("lastModified"));
    assertEquals(modified, Files.getLastModifiedTime(dir.resolve("d1/s1/o1.bin")).toInstant());

    VerifyResult good = verify(second, new Destination.Directory(dir));
    assertTrue(good.matches(), good.differences().toString());
    Files.write(dir.resolve("d2/s2/o2.bin"), new byte[] {1, 2, 3});
    VerifyResult bad = verify(second, new Destination.Directory(dir));
    assertEquals(1, bad.differences().size(), bad.differences().toString());
  }

  @Test
  void objectsUploadedInPartsOfDifferentSizesAreRestoredWithTheirETags() throws Exception {
    s3.createBucket(b -> b.bucket("parts-src"));
    Random r = new Random(3);
    long mib = 1 << 20;
    // Parts as boto3 and other clients may cut them: each its own size.
    byte[] mixed = bytes(r, 19 << 20);
    byte[] longLast = bytes(r, 17 << 20);
    byte[] uniform = bytes(r, 7 << 20);
    Map<String, String> etags = new TreeMap<>();
    etags.put(
        "mixed.bin", TestBuckets.uploadInParts(s3, "parts-src", "mixed.bin", mixed, 6, 5, 7, 1));
    etags.put(
        "long-last.bin",
        TestBuckets.uploadInParts(s3, "parts-src", "long-last.bin", longLast, 5, 5, 7));
    etags.put(
        "uniform.bin", TestBuckets.uploadInParts(s3, "parts-src", "uniform.bin", uniform, 5, 2));
    assertEquals(
        TestBuckets.multipartEtag(mixed, 6 * mib, 5 * mib, 7 * mib, mib), etags.get("mixed.bin"));
    Map<String, TestBuckets.ObjectState> original = TestBuckets.state(s3, "parts-src", "");

    BucketLocation where = TestBuckets.location(minio, "parts-src");
    BackupResult b =
        Sources.backup(
            BackupRequest.of(
                repo, BucketSource.KIND, new BucketBackupOptions(where, false, false)));
    assertEquals(List.of(), b.warnings());
    SnapshotRef snap = b.snapshot();
    Map<String, Map<String, Object>> meta = new TreeMap<>();
    try (SnapshotEntries entries = new SnapshotEntries(repo, snap, KeyPattern.ALL)) {
      while (entries.hasNext()) {
        SnapshotEntries.Entry e = entries.next();
        meta.put(e.object().name(), ObjectBrowser.entry(e.node()).details());
      }
    }
    assertEquals(6 * mib, ((Number) meta.get("mixed.bin").get("partSize")).longValue());
    assertEquals(
        List.of(6 * mib, 5 * mib, 7 * mib, mib),
        ((List<?>) meta.get("mixed.bin").get("partSizes"))
            .stream().map(x -> ((Number) x).longValue()).toList(),
        "every part of a layout the first part does not tell");
    assertEquals(
        List.of(5 * mib, 5 * mib, 7 * mib),
        ((List<?>) meta.get("long-last.bin").get("partSizes"))
            .stream().map(x -> ((Number) x).longValue()).toList());
    assertEquals(5 * mib, ((Number) meta.get("uniform.bin").get("partSize")).longValue());
    assertFalse(meta.get("uniform.bin").containsKey("partSizes"), "a uniform layout: its first");

    restore(snap, "parts-restored", null, false);
    Map<String, TestBuckets.ObjectState> copy = TestBuckets.state(s3, "parts-restored", "");
    TestBuckets.assertSame(original, copy, "restored in the original's parts");
    copy.forEach((k, v) -> assertEquals(etags.get(k), v.etag(), k));
    RestoreResult again = restore(snap, "parts-restored", null, false);
    assertEquals(3L, counts(again).get("unchanged"), again.toString());
    assertEquals(0L, counts(again).get("objects written"), again.toString());

    // A snapshot of before part sizes were recorded: the first part's length alone. The object
    // comes back whole, in parts of that length.
    SnapshotRef old;
    try (dev.roadie.core.repo.BackupWriter w =
        new dev.roadie.core.repo.BackupWriter(repo, new dev.roadie.core.repo.Progress())) {
      ObjectPages.Writer pages = new ObjectPages.Writer(w);
      dev.roadie.core.repo.Content c =
          w.writeStream(
              new java.io.ByteArrayInputStream(mixed), dev.roadie.core.chunk.ChunkerParams.LARGE);
      SnapshotObject o =
          new SnapshotObject(
              "mixed.bin",
              false,
              mixed.length,
              etags.get("mixed.bin"),
              Instant.parse("2024-05-06T07:08:09.123Z"),
              null,
              true,
              original.get("mixed.bin").sha256(),
              null,
              null,
              6 * mib,
              null);
      assertFalse(o.meta().containsKey("partSizes"));
      pages.add(o.toNode(c));
      BucketMetadata m =
          new BucketMetadata(
              where.toString(),
              "parts-src",
              "",
              false,
              1L,
              (long) mixed.length,
              1L,
              0L,
              0L,
              0L,
              0L,
              null);
      BackupRequest request =
          BackupRequest.of(repo, BucketSource.KIND, new BucketBackupOptions(where, false, false));
      dev.roadie.core.Id id =
          w.commit(request.draft("bucket://old/parts-src", List.of(), pages.finish(), null, m));
      old = repo.readSnapshot(id);
    }
    restore(old, "parts-old", null, false);
    TestBuckets.ObjectState back = TestBuckets.read(s3, "parts-old", "mixed.bin");
    assertEquals(original.get("mixed.bin").sha256(), back.sha256(), "the bytes");
    assertEquals(TestBuckets.multipartEtag(mixed, 6 * mib, 6 * mib, 6 * mib, mib), back.etag());
  }

  private static Map<?, ?> read(String line) {
    try {
      return Json.MAPPER.readValue(line, Map.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Long> counts(RestoreResult r) {
    Map<String, Long> plural = new HashMap<>();
    for (RestoreResult.Count c : r.counts()) plural.put(c.many(), c.value());
    return plural;
  }
}
