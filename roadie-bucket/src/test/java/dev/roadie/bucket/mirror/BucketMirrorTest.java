package dev.roadie.bucket.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.core.RoadieException;
import dev.roadie.testkit.MinioServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;

/** Mirror passes and checks between buckets of one MinIO, in each way of copying and listing. */
@org.junit.jupiter.api.Tag("slow")
class BucketMirrorTest {
  static MinioServer minio;
  static S3Client s3;
  static final AtomicInteger BUCKETS = new AtomicInteger();

  /** How bytes travel and how the sides are listed. */
  enum Mode {
    /** Through roadie; listings without metadata, as on any S3 server (a HEAD per object compared). */
    STREAMED(false, false),
    /** The server copies; MinIO's listing with metadata and tags. */
    SERVER_SIDE(true, true);

    final boolean serverSide;
    final boolean extension;

    Mode(boolean serverSide, boolean extension) {
      this.serverSide = serverSide;
      this.extension = extension;
    }
  }

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

  static String newBucket(String name) {
    String b = name + "-" + BUCKETS.incrementAndGet();
    s3.createBucket(r -> r.bucket(b));
    return b;
  }

  static MirrorReport run(Mode mode, String src, String dst, boolean delete, boolean check) throws Exception {
    return run(mode, src, dst, new BucketMirror.Options(delete, false, 4, 64L << 20), (k, key, r, n) -> { }, check);
  }

  static MirrorReport run(Mode mode, String src, String dst, BucketMirror.Options options, BucketMirror.Listener l,
      boolean check) throws Exception {
    try (MirrorSide a = Minio.side("source", minio, src); MirrorSide b = Minio.side("destination", minio, dst)) {
      BucketMirror m = new BucketMirror(a, b, options, l, mode.serverSide, mode.extension);
      if (check) return m.check();
      m.createDestinationBucket();
      return m.mirror();
    }
  }

  static List<String> keys(MirrorReport r, Kind kind) {
    return r.items(kind).stream().map(MirrorReport.Item::key).sorted().toList();
  }

  // --- what a user sees at the destination ------------------------------------------------------

  /** Every object of {@code src}/{@code srcPrefix} is at {@code dst}/{@code dstPrefix} with bytes, headers, metadata, tags. */
  static void assertMirrored(String src, String srcPrefix, String dst, String dstPrefix) {
    List<String> srcKeys = list(src, srcPrefix);
    List<String> dstKeys = list(dst, dstPrefix);
    assertEquals(srcKeys, dstKeys, "the same keys");
    for (String k : srcKeys) {
      var a = s3.getObjectAsBytes(r -> r.bucket(src).key(srcPrefix + k));
      var b = s3.getObjectAsBytes(r -> r.bucket(dst).key(dstPrefix + k));
      assertEquals(a.asByteBuffer(), b.asByteBuffer(), "bytes of " + k);
      GetObjectResponse x = a.response();
      GetObjectResponse y = b.response();
      assertEquals(x.contentType(), y.contentType(), "Content-Type of " + k);
      assertEquals(x.cacheControl(), y.cacheControl(), "Cache-Control of " + k);
      assertEquals(x.contentDisposition(), y.contentDisposition(), "Content-Disposition of " + k);
      assertEquals(x.contentEncoding(), y.contentEncoding(), "Content-Encoding of " + k);
      assertEquals(x.contentLanguage(), y.contentLanguage(), "Content-Language of " + k);
      assertEquals(x.expires(), y.expires(), "Expires of " + k);
      assertEquals(MirrorMetadata.withoutRoadie(MirrorMetadata.lower(x.metadata())),
          MirrorMetadata.withoutRoadie(MirrorMetadata.lower(y.metadata())), "user metadata of " + k);
      assertEquals(sha256(a.asByteArray()), MirrorMetadata.lower(y.metadata()).get(MirrorMetadata.SHA256),
          "the recorded SHA-256 of " + k);
      assertEquals(tags(src, srcPrefix + k), tags(dst, dstPrefix + k), "tags of " + k);
    }
  }

  static List<String> list(String bucket, String prefix) {
    List<String> keys = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents()) {
      keys.add(o.key().substring(prefix.length()));
    }
    return keys;
  }

  static Map<String, String> tags(String bucket, String key) {
    return s3.getObjectTagging(r -> r.bucket(bucket).key(key)).tagSet().stream()
        .collect(Collectors.toMap(Tag::key, Tag::value, (x, y) -> y, TreeMap::new));
  }

  static String sha256(byte[] b) throws RuntimeException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static final List<String> ODD_KEYS = List.of(
      "plain.txt", "with space.txt", "  leading spaces", "ünïcødé/ファイル.txt", "100%.txt", "%41%2F", "a+b=c&d",
      "emoji-\uD83D\uDE00", "private-\uE000",
      // S3 lists by UTF-8 bytes: U+E000 before U+1F600, the other way round in Java's String order.
      "order-\uE000", "order-\uD83D\uDE00", "dir/", "dir/sub/deeper/file", "question?hash#", "tab\tand~tilde",
            // Long: near S3's 1024 bytes (MinIO allows at most 255 bytes per segment between slashes).
      "long/" + String.join("/", java.util.Collections.nCopies(4, "\u00e9".repeat(120))) + "/" + "x".repeat(55));

  @ParameterizedTest
  @EnumSource(Mode.class)
  void oddKeysHeadersMetadataAndTagsArriveIntactAndASecondPassCopiesNothing(Mode mode) throws Exception {
    String src = newBucket("odd-src");
    for (String k : ODD_KEYS) Minio.put(s3, src, k, "content of " + k);
    Minio.put(s3, src, "empty", "");
    s3.putObject(r -> r.bucket(src).key("described.html").contentType("text/html; charset=utf-8")
        .cacheControl("max-age=60").contentDisposition("attachment; filename=\"x.html\"").contentEncoding("identity")
        .contentLanguage("de").expires(Instant.parse("2031-01-02T03:04:05Z"))
        .metadata(Map.of("owner", "alice", "note", "two words", "roadie-sha256", "not-a-hash"))
        .tagging("team=web&stage=prod%20eu"), RequestBody.fromString("<p>hi</p>"));
    String dst = "odd-dst-" + BUCKETS.incrementAndGet();

    MirrorReport first = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(ODD_KEYS.size() + 2, first.count(Kind.COPIED), first.toMap(false).toString());
    assertFalse(first.failed());
    assertMirrored(src, "", dst, "");
    assertEquals(Map.of("stage", "prod eu", "team", "web"), tags(dst, "described.html"));

    MirrorReport second = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(ODD_KEYS.size() + 2, second.count(Kind.UNCHANGED), second.toMap(false).toString());
    assertEquals(0, second.bytesCopied());

    // Merged in the wrong order, "order-\uE000" (now only at the destination) and "order-\uD83D\uDE00"
    // would not meet: the second would be copied and then deleted as an extra.
    s3.deleteObject(r -> r.bucket(src).key("order-\uE000"));
    MirrorReport third = run(mode, "s3://" + src, "s3://" + dst, true, false);
    assertEquals(List.of("order-\uE000"), keys(third, Kind.DELETED), third.toMap(false).toString());
    assertEquals(0, third.count(Kind.COPIED) + third.count(Kind.UPDATED), third.toMap(false).toString());
    assertMirrored(src, "", dst, "");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSameSizeChangeIsCopiedAgain(Mode mode) throws Exception {
    String src = newBucket("same-src");
    Minio.put(s3, src, "k", "version-1");
    Minio.put(s3, src, "other", "stays");
    String dst = "same-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);

    Minio.put(s3, src, "k", "version-2"); // same size, new bytes
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("k"), keys(r, Kind.UPDATED), r.toMap(false).toString());
    assertEquals("changed at the source", r.items(Kind.UPDATED).get(0).reason());
    assertEquals(1, r.count(Kind.UNCHANGED));
    assertEquals("version-2", Minio.get(s3, dst, "k"));
    assertMirrored(src, "", dst, "");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aChangeOfTagsAloneIsFoundByCheckAndTravelsWithTheNextChangeOfTheObject(Mode mode) throws Exception {
    String src = newBucket("tags-src");
    s3.putObject(r -> r.bucket(src).key("k").tagging("a=1"), RequestBody.fromString("x"));
    String dst = "tags-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);
    // S3 keeps an object's ETag and time when only its tags change.
    s3.putObjectTagging(r -> r.bucket(src).key("k").tagging(t -> t.tagSet(Tag.builder().key("a").value("2").build())));

    MirrorReport check = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of("k"), keys(check, Kind.DIFFERENT), check.toMap(true).toString());
    assertEquals("tags differ", check.items(Kind.DIFFERENT).get(0).reason());

    s3.putObject(r -> r.bucket(src).key("k").tagging("a=3"), RequestBody.fromString("y"));
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("k"), keys(r, Kind.UPDATED), r.toMap(false).toString());
    assertEquals(Map.of("a", "3"), tags(dst, "k"));
  }

  @Test
  void extraObjectsAreKeptAndReportedWithoutDeleteAndRemovedWithIt() throws Exception {
    String src = newBucket("del-src");
    Minio.put(s3, src, "keep", "1");
    String dst = newBucket("del-dst");
    Minio.put(s3, dst, "extra-1", "x");
    Minio.put(s3, dst, "z/extra-2", "y");

    MirrorReport without = run(Mode.STREAMED, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("extra-1", "z/extra-2"), keys(without, Kind.EXTRA));
    assertEquals(0, without.count(Kind.DELETED));
    assertEquals(List.of("extra-1", "keep", "z/extra-2"), list(dst, ""));

    MirrorReport with = run(Mode.STREAMED, "s3://" + src, "s3://" + dst, true, false);
    assertEquals(List.of("extra-1", "z/extra-2"), keys(with, Kind.DELETED));
    assertEquals(List.of("keep"), list(dst, ""));
  }

  @Test
  void deleteRefusesToEmptyTheDestinationWhenTheSourceListsNothing() throws Exception {
    String src = newBucket("empty-src");
    String dst = newBucket("full-dst");
    Minio.put(s3, dst, "precious", "1");
    RoadieException e = assertThrows(RoadieException.class,
        () -> run(Mode.STREAMED, "s3://" + src + "/typo", "s3://" + dst, true, false));
    assertTrue(e.getMessage().contains("--allow-empty-source"), e.getMessage());
    assertEquals(List.of("precious"), list(dst, ""));

    MirrorReport r = run(Mode.STREAMED, "s3://" + src + "/typo", "s3://" + dst,
        new BucketMirror.Options(true, true, 2, 64L << 20), (k, key, x, n) -> { }, false);
    assertEquals(1, r.count(Kind.DELETED));
    assertEquals(List.of(), list(dst, ""));
  }

  @Test
  void aPrefixMirrorsIntoAnotherPrefixAndLeavesTheRestAlone() throws Exception {
    String src = newBucket("pfx-src");
    Minio.put(s3, src, "in/a", "1");
    Minio.put(s3, src, "in/b/c", "2");
    Minio.put(s3, src, "out", "3");
    Minio.put(s3, src, "inside-not", "4");
    String dst = newBucket("pfx-dst");
    Minio.put(s3, dst, "other/x", "untouched");
    Minio.put(s3, dst, "copy/of/in/stale", "old");

    MirrorReport r = run(Mode.SERVER_SIDE, "s3://" + src + "/in", "s3://" + dst + "/copy/of/in/", true, false);
    assertEquals(List.of("a", "b/c"), keys(r, Kind.COPIED));
    assertEquals(List.of("stale"), keys(r, Kind.DELETED));
    assertEquals(List.of("copy/of/in/a", "copy/of/in/b/c", "other/x"), list(dst, ""));
    assertMirrored(src, "in/", dst, "copy/of/in/");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aMultipartObjectIsCopiedWholeWithItsHash(Mode mode) throws Exception {
    String src = newBucket("mp-src");
    byte[] data = new byte[21 * 1024 * 1024 + 12345];
    new Random(7).nextBytes(data);
    String upload = s3.createMultipartUpload(r -> r.bucket(src).key("big.bin").contentType("application/x-big")
        .metadata(Map.of("origin", "parts")).tagging("size=big")).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    int partSize = 5 * 1024 * 1024;
    for (int off = 0, n = 1; off < data.length; off += partSize, n++) {
      int len = Math.min(partSize, data.length - off);
      int part = n;
      int from = off;
      String etag = s3.uploadPart(r -> r.bucket(src).key("big.bin").uploadId(upload).partNumber(part),
          RequestBody.fromBytes(java.util.Arrays.copyOfRange(data, from, from + len))).eTag();
      parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
    }
    s3.completeMultipartUpload(r -> r.bucket(src).key("big.bin").uploadId(upload).multipartUpload(u -> u.parts(parts)));
    assertTrue(s3.headObject(r -> r.bucket(src).key("big.bin")).eTag().contains("-5"), "uploaded in 5 parts");
    String dst = "mp-dst-" + BUCKETS.incrementAndGet();

    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("big.bin"), keys(r, Kind.COPIED), r.toMap(false).toString());
    assertEquals(data.length, r.bytesCopied());
    assertMirrored(src, "", dst, "");
    MirrorReport again = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(1, again.count(Kind.UNCHANGED), again.toMap(false).toString());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anObjectDeletedAfterTheListingIsSkippedNotFailed(Mode mode) throws Exception {
    String src = newBucket("gone-src");
    Minio.put(s3, src, "a", "1");
    Minio.put(s3, src, "b", "2");
    Minio.put(s3, src, "c", "3");
    String dst = "gone-dst-" + BUCKETS.incrementAndGet();
    // One object at a time, in key order: when "a" is done, "c" has been listed and not copied yet.
    BucketMirror.Listener deleteC = (kind, key, reason, bytes) -> {
      if (key.equals("a")) s3.deleteObject(x -> x.bucket(src).key("c"));
    };
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, new BucketMirror.Options(false, false, 1, 64L << 20),
        deleteC, false);
    assertEquals(List.of("a", "b"), keys(r, Kind.COPIED), r.toMap(false).toString());
    assertEquals(List.of("c"), keys(r, Kind.SKIPPED));
    assertEquals("deleted from the source after it was listed", r.items(Kind.SKIPPED).get(0).reason());
    assertFalse(r.failed());
    assertEquals(List.of("a", "b"), list(dst, ""));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void checkFindsEveryKindOfDifferenceAndChangesNothing(Mode mode) throws Exception {
    String src = newBucket("chk-src");
    for (String k : List.of("same", "resized", "samesize", "recopied", "meta", "tagged", "missing")) {
      s3.putObject(r -> r.bucket(src).key(k).tagging("t=1"), RequestBody.fromString("value of " + k));
    }
    String dst = "chk-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);
    MirrorReport clean = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertFalse(clean.differs(), clean.toMap(true).toString());
    assertEquals(7, clean.count(Kind.UNCHANGED));

    s3.deleteObject(r -> r.bucket(dst).key("missing"));
    Minio.put(s3, dst, "extra", "only here");
    Minio.put(s3, dst, "resized", "longer than before");
    Minio.put(s3, src, "samesize", "VALUE OF samesize"); // the source changes, same size
    s3.putObject(r -> r.bucket(dst).key("recopied").tagging("t=1"), RequestBody.fromString("value of recopied"));
    s3.copyObject(r -> r.sourceBucket(dst).sourceKey("meta").destinationBucket(dst).destinationKey("meta")
        .metadataDirective(MetadataDirective.REPLACE).metadata(Map.of("added", "yes")));
    s3.putObjectTagging(r -> r.bucket(dst).key("tagged").tagging(t -> t.tagSet(Tag.builder().key("t").value("2").build())));

    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of("missing"), keys(r, Kind.MISSING), r.toMap(true).toString());
    assertEquals(List.of("extra"), keys(r, Kind.EXTRA));
    assertEquals(List.of("meta", "resized", "samesize", "tagged"), keys(r, Kind.DIFFERENT), r.toMap(true).toString());
    assertEquals(List.of(), keys(r, Kind.FAILED));
    // Rewritten at the destination by someone else, with the same bytes: equal.
    assertEquals(2, r.count(Kind.UNCHANGED), r.toMap(true).toString());
    assertTrue(r.differs());
    assertEquals("longer than before", Minio.get(s3, dst, "resized"), "a check changes nothing");
    assertEquals("value of samesize", Minio.get(s3, dst, "samesize"), "a check changes nothing");
  }
}
