package dev.roadie.bucket.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.core.RoadieException;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import dev.roadie.testkit.MinioServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;

/** Mirror passes and checks between buckets of one MinIO, in each way of copying and listing. */
@org.junit.jupiter.api.Tag("slow")
class BucketMirrorTest {
  static MinioServer minio;
  static S3Client s3;
  static final AtomicInteger BUCKETS = new AtomicInteger();

  /** How bytes travel and how the sides are listed. */
  enum Mode {
    /**
     * Through roadie; listings without metadata, as on any S3 server (a HEAD per object compared).
     */
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

  static MirrorReport run(Mode mode, String src, String dst, boolean delete, boolean check)
      throws Exception {
    return run(
        mode,
        src,
        dst,
        new BucketMirror.Options(delete, false, 4, 64L << 20),
        (k, key, r, n) -> {},
        check);
  }

  static MirrorReport run(
      Mode mode,
      String src,
      String dst,
      BucketMirror.Options options,
      BucketMirror.Listener l,
      boolean check)
      throws Exception {
    try (MirrorSide a = Minio.side("source", minio, src);
        MirrorSide b = Minio.side("destination", minio, dst)) {
      BucketMirror m = new BucketMirror(a, b, options, l, mode.serverSide, mode.extension);
      if (check) return m.check();
      m.createDestinationBucket();
      return m.mirror();
    }
  }

  static List<String> keys(MirrorReport r, Kind kind) {
    return r.items(kind).stream().map(MirrorReport.Item::key).sorted().toList();
  }

  /**
   * Two sides reached with the same settings share one client; closing the side that borrowed it
   * leaves it open for the other.
   */
  @Test
  void sidesWithTheSameSettingsShareOneClient() throws Exception {
    String src = newBucket("share-src");
    String dst = newBucket("share-dst");
    Minio.put(s3, src, "k", "shared");
    S3Settings settings = Minio.settings(minio);
    try (MirrorSide a =
        MirrorSide.open(
            "source", S3Location.parse("s3:" + minio.endpoint() + "/" + src), settings)) {
      try (MirrorSide b =
          MirrorSide.open(
              "destination", S3Location.parse("s3:" + minio.endpoint() + "/" + dst), settings, a)) {
        assertSame(a.s3(), b.s3());
        MirrorReport r =
            new BucketMirror(a, b, BucketMirror.Options.defaults(false), (k, key, why, n) -> {})
                .mirror();
        assertEquals(List.of("k"), keys(r, Kind.COPIED));
      }
      assertEquals("shared", Minio.get(a.s3(), dst, "k"));
      try (MirrorSide c =
          MirrorSide.open(
              "destination",
              S3Location.parse("s3:" + minio.endpoint() + "/" + dst),
              Minio.settings(minio),
              a)) {
        assertNotSame(a.s3(), c.s3());
      }
    }
  }

  // --- what a user sees at the destination ------------------------------------------------------

  /**
   * Every object of {@code src}/{@code srcPrefix} is at {@code dst}/{@code dstPrefix} with bytes,
   * headers, metadata, tags.
   */
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
      assertEquals(
          MirrorMetadata.withoutRoadie(MirrorMetadata.lower(x.metadata())),
          MirrorMetadata.withoutRoadie(MirrorMetadata.lower(y.metadata())),
          "user metadata of " + k);
      assertEquals(
          sha256(a.asByteArray()),
          MirrorMetadata.lower(y.metadata()).get(MirrorMetadata.SHA256),
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

  static final List<String> ODD_KEYS =
      List.of(
          "plain.txt",
          "with space.txt",
          "  leading spaces",
          "ünïcødé/ファイル.txt",
          "100%.txt",
          "%41%2F",
          "a+b=c&d",
          "emoji-\uD83D\uDE00",
          "private-\uE000",
          // S3 lists by UTF-8 bytes: U+E000 before U+1F600, the other way round in Java's String
          // order.
          "order-\uE000",
          "order-\uD83D\uDE00",
          "dir/",
          "dir/sub/deeper/file",
          "question?hash#",
          "tab\tand~tilde",
          // Long: near S3's 1024 bytes (MinIO allows at most 255 bytes per segment between
          // slashes).
          "long/"
              + String.join("/", java.util.Collections.nCopies(4, "\u00e9".repeat(120)))
              + "/"
              + "x".repeat(55));

  @ParameterizedTest
  @EnumSource(Mode.class)
  void oddKeysHeadersMetadataAndTagsArriveIntactAndASecondPassCopiesNothing(Mode mode)
      throws Exception {
    String src = newBucket("odd-src");
    for (String k : ODD_KEYS) Minio.put(s3, src, k, "content of " + k);
    Minio.put(s3, src, "empty", "");
    s3.putObject(
        r ->
            r.bucket(src)
                .key("described.html")
                .contentType("text/html; charset=utf-8")
                .cacheControl("max-age=60")
                .contentDisposition("attachment; filename=\"x.html\"")
                .contentEncoding("identity")
                .contentLanguage("de")
                .expires(Instant.parse("2031-01-02T03:04:05Z"))
                .metadata(
                    Map.of("owner", "alice", "note", "two words", "roadie-sha256", "not-a-hash"))
                .tagging("team=web&stage=prod%20eu"),
        RequestBody.fromString("<p>hi</p>"));
    String dst = "odd-dst-" + BUCKETS.incrementAndGet();

    MirrorReport first = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(ODD_KEYS.size() + 2, first.count(Kind.COPIED), first.toMap(false).toString());
    assertFalse(first.failed());
    assertMirrored(src, "", dst, "");
    assertEquals(Map.of("stage", "prod eu", "team", "web"), tags(dst, "described.html"));

    MirrorReport second = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(ODD_KEYS.size() + 2, second.count(Kind.UNCHANGED), second.toMap(false).toString());
    assertEquals(0, second.bytesCopied());

    // Merged in the wrong order, "order-\uE000" (now only at the destination) and
    // "order-\uD83D\uDE00"
    // would not meet: the second would be copied and then deleted as an extra.
    s3.deleteObject(r -> r.bucket(src).key("order-\uE000"));
    MirrorReport third = run(mode, "s3://" + src, "s3://" + dst, true, false);
    assertEquals(List.of("order-\uE000"), keys(third, Kind.DELETED), third.toMap(false).toString());
    assertEquals(
        0, third.count(Kind.COPIED) + third.count(Kind.UPDATED), third.toMap(false).toString());
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
  void aChangeOfTagsAloneIsFoundByCheckAndMirroredWithTagsWhereListingsCarryThem(Mode mode)
      throws Exception {
    String src = newBucket("tags-src");
    s3.putObject(r -> r.bucket(src).key("k").tagging("a=1"), RequestBody.fromString("x"));
    s3.putObject(r -> r.bucket(src).key("untag").tagging("b=1"), RequestBody.fromString("x"));
    String dst = "tags-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);
    // S3 keeps an object's ETag and time when only its tags change.
    s3.putObjectTagging(
        r ->
            r.bucket(src)
                .key("k")
                .tagging(t -> t.tagSet(Tag.builder().key("a").value("2 + 2").build())));
    s3.deleteObjectTagging(r -> r.bucket(src).key("untag"));

    MirrorReport check = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of("k", "untag"), keys(check, Kind.DIFFERENT), check.toMap(true).toString());
    assertEquals("tags differ", check.items(Kind.DIFFERENT).get(0).reason());

    MirrorReport plain = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(2, plain.count(Kind.UNCHANGED), plain.toMap(true).toString());
    MirrorReport again =
        run(
            mode,
            "s3://" + src,
            "s3://" + dst,
            new BucketMirror.Options(false, false, 4, 64L << 20, true, null),
            (k, key, r, n) -> {},
            false);
    if (mode.extension) {
      // MinIO's listings carry the tags: the mirror sets them, and nothing else.
      assertEquals(List.of("k", "untag"), keys(again, Kind.UPDATED), again.toMap(true).toString());
      assertEquals("tags changed at the source", again.items(Kind.UPDATED).get(0).reason());
      assertEquals(0, again.bytesCopied());
      assertEquals(Map.of("a", "2 + 2"), tags(dst, "k"));
      assertEquals(Map.of(), tags(dst, "untag"));
      MirrorReport equal = run(mode, "s3://" + src, "s3://" + dst, false, true);
      assertEquals(2, equal.count(Kind.UNCHANGED), equal.toMap(true).toString());
    } else {
      // Listings without tags: the change travels with the object's next one.
      assertEquals(2, again.count(Kind.UNCHANGED), again.toMap(true).toString());
    }

    s3.putObject(r -> r.bucket(src).key("k").tagging("a=3"), RequestBody.fromString("y"));
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("k"), keys(r, Kind.UPDATED), r.toMap(false).toString());
    assertEquals(Map.of("a", "3"), tags(dst, "k"));
  }

  /**
   * Writes {@code key} with a user metadata value that is not ASCII, sent as UTF-8 bytes (as some
   * clients do; MinIO keeps them so, and shows them RFC 2047-encoded in HEAD and GET). The header
   * is signed by a presigned URL, and the request written by hand to send the value as UTF-8.
   */
  static void putWithUtf8Metadata(String bucket, String key, String name, String value)
      throws Exception {
    try (S3Presigner p =
        S3Presigner.builder()
            .endpointOverride(minio.endpoint())
            .region(Region.of(minio.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
            .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
            .build()) {
      PresignedPutObjectRequest put =
          p.presignPutObject(
              b ->
                  b.signatureDuration(Duration.ofMinutes(5))
                      .putObjectRequest(
                          o -> o.bucket(bucket).key(key).metadata(Map.of(name, value))));
      java.net.URL url = put.url();
      String file = url.getFile();
      try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
        java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
        req.writeBytes(
            ("PUT " + file + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort() + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(("x-amz-meta-" + name + ": ").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        req.writeBytes(
            "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(req.toByteArray());
        socket.getOutputStream().flush();
        String response =
            new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void userMetadataThatIsNotAsciiIsCopiedAndTheCopyChecksEqual(Mode mode) throws Exception {
    String src = newBucket("utf8-src");
    putWithUtf8Metadata(src, "k", "name", "J\u00fcrgen \u65e5\u672c");
    String shown = s3.headObject(r -> r.bucket(src).key("k")).metadata().get("name");
    assertEquals("J\u00fcrgen \u65e5\u672c", MirrorMetadata.decodedValue(shown), shown);
    String dst = "utf8-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(shown, s3.headObject(r -> r.bucket(dst).key("k")).metadata().get("name"));

    MirrorReport again = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(1, again.count(Kind.UNCHANGED), again.toMap(false).toString());
    // The listing with metadata shows the source's value as stored (UTF-8) and the copy's as it
    // was written (the encoded form): the same value.
    MirrorReport check = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of(), keys(check, Kind.DIFFERENT), check.toMap(true).toString());
    assertEquals(1, check.count(Kind.UNCHANGED));

    // Another value is still a difference.
    putWithUtf8Metadata(dst, "k", "name", "J\u00fcrgen \u65e5");
    check = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of("k"), keys(check, Kind.DIFFERENT), check.toMap(true).toString());
  }

  @Test
  void encodedWordsDecodeAndOtherTextStaysAsItIs() {
    assertEquals("caf\u00e9 au lait", MirrorMetadata.decodedValue("=?utf-8?q?caf=C3=A9_au_lait?="));
    assertEquals("\u00e9l\u00e8ve", MirrorMetadata.decodedValue("=?UTF-8?B?w6lsw6h2ZQ==?="));
    // White space between two encoded words is dropped, other text kept.
    assertEquals("ab", MirrorMetadata.decodedValue("=?UTF-8?q?a?= =?UTF-8?q?b?="));
    assertEquals("x a y", MirrorMetadata.decodedValue("x =?ISO-8859-1?q?a?= y"));
    assertEquals("=?nope?q?a?=", MirrorMetadata.decodedValue("=?nope?q?a?="));
    assertEquals("a=?b", MirrorMetadata.decodedValue("a=?b"));
    assertEquals("plain", MirrorMetadata.decodedValue("plain"));
  }

  /** Two different 128-byte messages with one MD5 (Wang and Yu's published collision). */
  static final byte[] COLLISION_A =
      HexFormat.of()
          .parseHex(
              "d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89"
                  + "55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b"
                  + "d8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0"
                  + "e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70");

  static final byte[] COLLISION_B =
      HexFormat.of()
          .parseHex(
              "d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89"
                  + "55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b"
                  + "d8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0"
                  + "e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70");

  @ParameterizedTest
  @EnumSource(Mode.class)
  void anOverwriteWithOtherBytesOfTheSameMd5IsCopiedAgain(Mode mode) throws Exception {
    String src = newBucket("md5-src");
    s3.putObject(r -> r.bucket(src).key("k"), RequestBody.fromBytes(COLLISION_A));
    String dst = "md5-dst-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + dst, false, false);
    // A later second: the identity recorded with the copy has the source's time in whole seconds.
    Thread.sleep(1100);

    s3.putObject(r -> r.bucket(src).key("k"), RequestBody.fromBytes(COLLISION_B));
    String srcEtag = s3.headObject(r -> r.bucket(src).key("k")).eTag();
    assertEquals(
        srcEtag,
        s3.headObject(r -> r.bucket(dst).key("k")).eTag(),
        "the same size and ETag (MD5) as the copy");
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(List.of("k"), keys(r, Kind.UPDATED), r.toMap(false).toString());
    assertEquals(
        HexFormat.of().formatHex(COLLISION_B),
        HexFormat.of().formatHex(s3.getObjectAsBytes(b -> b.bucket(dst).key("k")).asByteArray()));
    assertMirrored(src, "", dst, "");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theSameBytesWrittenLaterByAnotherToolAreNotCopiedAgain(Mode mode) throws Exception {
    String src = newBucket("etag-src");
    Minio.put(s3, src, "k", "same bytes");
    Minio.put(s3, src, "older", "written after its copy");
    Minio.put(s3, src, "other", "source bytes");
    String dst = newBucket("etag-dst");
    Minio.put(s3, dst, "older", "written after its copy");
    Thread.sleep(1100); // later, also where listings give whole seconds
    Minio.put(
        s3, dst, "k", "same bytes"); // as mc mirror or aws s3 sync would have: no roadie metadata
    // Other bytes of the same size written by another tool after the source: its identity is asked.
    Minio.put(s3, dst, "other", "others bytes");
    Minio.put(
        s3, src, "older", "written after its copy"); // the source is newer than the destination's

    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, false);
    assertEquals(1, r.count(Kind.UNCHANGED), r.toMap(false).toString());
    assertEquals(List.of("older", "other"), keys(r, Kind.UPDATED), r.toMap(false).toString());
    Map<String, String> reasons = new java.util.TreeMap<>();
    r.items(Kind.UPDATED).forEach(i -> reasons.put(i.key(), i.reason()));
    assertEquals(
        Map.of(
            "older", "changed at the source",
            "other", "no content hash recorded at the destination"),
        reasons);
    assertFalse(
        s3.headObject(b -> b.bucket(dst).key("k")).metadata().containsKey(MirrorMetadata.SHA256),
        "left as it was");
  }

  @Test
  void aPlainListingThatSwitchesToMetadataListsEveryKeyOnceInOrder() throws Exception {
    String b = newBucket("switch");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3300; i++) expected.add(String.format("k/%05d", i));
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(16);
    for (String k : expected) pool.execute(() -> Minio.put(s3, b, k, k));
    pool.shutdown();
    assertTrue(pool.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES));
    try (MirrorSide side = Minio.side("destination", minio, "s3://" + b)) {
      BucketLister lister = new BucketLister(side, true, false);
      List<String> keys = new ArrayList<>();
      int plain = 0;
      int withMetadata = 0;
      try (BucketLister.Listing l = lister.list()) {
        while (l.hasNext()) {
          ListingEntry e = l.next();
          keys.add(e.key());
          if (e.hasMetadata()) withMetadata++;
          else plain++;
          if (keys.size() == 10) lister.preferMetadata();
        }
      }
      assertEquals(expected, keys);
      // Pages of 1,000, fetched one ahead: the fourth at the latest is asked with metadata.
      assertTrue(
          plain >= 1000 && withMetadata >= 300,
          plain + " plain, " + withMetadata + " with metadata");
    }
  }

  /**
   * A change of the source's metadata alone (a copy onto itself) keeps its ETag, and within the
   * second of its previous write also the recorded time's whole seconds; written after the
   * destination's copy, it is never taken as current, also where the destination was listed with
   * its recorded identity.
   */
  @Test
  void aSourceWrittenAfterItsCopyIsNeverCurrent() {
    Instant written = Instant.parse("2026-12-07T10:00:00.100Z");
    Instant copied = written.plusMillis(300);
    Map<String, String> recorded =
        Map.of(
            MirrorMetadata.SHA256, "a".repeat(64),
            MirrorMetadata.SOURCE_ETAG, "e",
            MirrorMetadata.SOURCE_MTIME, Long.toString(written.getEpochSecond()));
    ListingEntry dst = new ListingEntry("k", 3, "f", copied, recorded, null, null);
    ListingEntry before = new ListingEntry("k", 3, "e", written, null, null, null);
    ListingEntry after = new ListingEntry("k", 3, "e", copied.plusMillis(200), null, null, null);
    assertTrue(BucketMirror.current(before, dst));
    assertFalse(BucketMirror.current(after, dst));
  }

  @Test
  void aMissingSourceBucketLeavesNoDestinationBucketBehind() throws Exception {
    String dst = "never-made-" + BUCKETS.incrementAndGet();
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> run(Mode.STREAMED, "s3://no-such-source", "s3://" + dst, false, false));
    assertTrue(e.getMessage().contains("the bucket no-such-source does not exist"), e.getMessage());
    assertEquals(
        404,
        assertThrows(
                software.amazon.awssdk.services.s3.model.S3Exception.class,
                () -> s3.headBucket(r -> r.bucket(dst)))
            .statusCode());
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
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> run(Mode.STREAMED, "s3://" + src + "/typo", "s3://" + dst, true, false));
    assertTrue(e.getMessage().contains("--allow-empty-source"), e.getMessage());
    assertEquals(List.of("precious"), list(dst, ""));

    MirrorReport r =
        run(
            Mode.STREAMED,
            "s3://" + src + "/typo",
            "s3://" + dst,
            new BucketMirror.Options(true, true, 2, 64L << 20),
            (k, key, x, n) -> {},
            false);
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

    MirrorReport r =
        run(Mode.SERVER_SIDE, "s3://" + src + "/in", "s3://" + dst + "/copy/of/in/", true, false);
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
    String upload =
        s3.createMultipartUpload(
                r ->
                    r.bucket(src)
                        .key("big.bin")
                        .contentType("application/x-big")
                        .metadata(Map.of("origin", "parts"))
                        .tagging("size=big"))
            .uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    int partSize = 5 * 1024 * 1024;
    for (int off = 0, n = 1; off < data.length; off += partSize, n++) {
      int len = Math.min(partSize, data.length - off);
      int part = n;
      int from = off;
      String etag =
          s3.uploadPart(
                  r -> r.bucket(src).key("big.bin").uploadId(upload).partNumber(part),
                  RequestBody.fromBytes(java.util.Arrays.copyOfRange(data, from, from + len)))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
    }
    s3.completeMultipartUpload(
        r -> r.bucket(src).key("big.bin").uploadId(upload).multipartUpload(u -> u.parts(parts)));
    assertTrue(
        s3.headObject(r -> r.bucket(src).key("big.bin")).eTag().contains("-5"),
        "uploaded in 5 parts");
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
    BucketMirror.Listener deleteC =
        (kind, key, reason, bytes) -> {
          if (key.equals("a")) s3.deleteObject(x -> x.bucket(src).key("c"));
        };
    MirrorReport r =
        run(
            mode,
            "s3://" + src,
            "s3://" + dst,
            new BucketMirror.Options(false, false, 1, 64L << 20),
            deleteC,
            false);
    assertEquals(List.of("a", "b"), keys(r, Kind.COPIED), r.toMap(false).toString());
    assertEquals(List.of("c"), keys(r, Kind.SKIPPED));
    assertEquals(
        "deleted from the source after it was listed", r.items(Kind.SKIPPED).get(0).reason());
    assertFalse(r.failed());
    assertEquals(List.of("a", "b"), list(dst, ""));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void checkFindsEveryKindOfDifferenceAndChangesNothing(Mode mode) throws Exception {
    String src = newBucket("chk-src");
    for (String k :
        List.of("same", "resized", "samesize", "recopied", "meta", "tagged", "missing")) {
      s3.putObject(
          r -> r.bucket(src).key(k).tagging("t=1"), RequestBody.fromString("value of " + k));
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
    s3.putObject(
        r -> r.bucket(dst).key("recopied").tagging("t=1"),
        RequestBody.fromString("value of recopied"));
    s3.copyObject(
        r ->
            r.sourceBucket(dst)
                .sourceKey("meta")
                .destinationBucket(dst)
                .destinationKey("meta")
                .metadataDirective(MetadataDirective.REPLACE)
                .metadata(Map.of("added", "yes")));
    s3.putObjectTagging(
        r ->
            r.bucket(dst)
                .key("tagged")
                .tagging(t -> t.tagSet(Tag.builder().key("t").value("2").build())));

    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, false, true);
    assertEquals(List.of("missing"), keys(r, Kind.MISSING), r.toMap(true).toString());
    assertEquals(List.of("extra"), keys(r, Kind.EXTRA));
    assertEquals(
        List.of("meta", "resized", "samesize", "tagged"),
        keys(r, Kind.DIFFERENT),
        r.toMap(true).toString());
    assertEquals(List.of(), keys(r, Kind.FAILED));
    // Rewritten at the destination by someone else, with the same bytes: equal.
    assertEquals(2, r.count(Kind.UNCHANGED), r.toMap(true).toString());
    assertTrue(r.differs());
    assertEquals("longer than before", Minio.get(s3, dst, "resized"), "a check changes nothing");
    assertEquals("value of samesize", Minio.get(s3, dst, "samesize"), "a check changes nothing");
  }

  static String storageClass(String bucket, String key) {
    String c = s3.headObject(r -> r.bucket(bucket).key(key)).storageClassAsString();
    return c == null ? "STANDARD" : c;
  }

  /**
   * --storage-class: every object the mirror writes gets it, by each way of writing (a server-side
   * copy, a single PUT, a multipart upload with its hash recorded by a copy onto itself); a second
   * pass rewrites nothing; without it each copy keeps its source's class.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void aStorageClassGivenIsThatOfEveryCopy(Mode mode) throws Exception {
    String src = newBucket("class-src");
    Minio.put(s3, src, "plain", "standard at the source");
    s3.putObject(
        r -> r.bucket(src).key("rrs").storageClass("REDUCED_REDUNDANCY"),
        RequestBody.fromString("reduced at the source"));
    byte[] big = new byte[(int) ObjectCopier.SINGLE_PUT_MAX + (1 << 20)];
    new Random(5).nextBytes(big);
    s3.putObject(r -> r.bucket(src).key("big"), RequestBody.fromBytes(big));

    String dst = "class-dst-" + BUCKETS.incrementAndGet();
    BucketMirror.Options rrs =
        new BucketMirror.Options(false, false, 4, 64L << 20, false, "REDUCED_REDUNDANCY");
    MirrorReport r = run(mode, "s3://" + src, "s3://" + dst, rrs, (k, key, why, n) -> {}, false);
    assertEquals(3, r.count(Kind.COPIED), r.toMap(true).toString());
    for (String key : List.of("plain", "rrs", "big")) {
      assertEquals("REDUCED_REDUNDANCY", storageClass(dst, key), key);
    }
    assertTrue(
        Arrays.equals(big, s3.getObjectAsBytes(b -> b.bucket(dst).key("big")).asByteArray()));
    r = run(mode, "s3://" + src, "s3://" + dst, rrs, (k, key, why, n) -> {}, false);
    assertEquals(3, r.count(Kind.UNCHANGED), r.toMap(true).toString());
    // A check does not take the storage class for a difference.
    assertFalse(run(mode, "s3://" + src, "s3://" + dst, false, true).differs());

    String own = "class-own-" + BUCKETS.incrementAndGet();
    run(mode, "s3://" + src, "s3://" + own, false, false);
    assertEquals("STANDARD", storageClass(own, "plain"));
    assertEquals("REDUCED_REDUNDANCY", storageClass(own, "rrs"));
  }

  /**
   * A storage class the destination does not offer stops the pass at its first refusals, for good
   * (not as a server out of reach): running it again would fail object after object the same way.
   */
  @Test
  void aStorageClassTheServerDoesNotOfferStopsThePassForGood() throws Exception {
    String src = newBucket("badclass-src");
    for (int i = 0; i < 40; i++) Minio.put(s3, src, "k" + i, "object " + i);
    String dst = "badclass-dst-" + BUCKETS.incrementAndGet();
    BucketMirror.Options ia =
        new BucketMirror.Options(false, false, 2, 64L << 20, false, "STANDARD_IA");
    MirrorReport r =
        run(Mode.SERVER_SIDE, "s3://" + src, "s3://" + dst, ia, (k, key, why, n) -> {}, false);
    assertTrue(r.stoppedForGood(), r.toMap(true).toString());
    assertTrue(r.stoppedBy().contains("does not offer storage class STANDARD_IA"), r.stoppedBy());
    assertTrue(r.stoppedBy().contains("--storage-class"), r.stoppedBy());
    long failed = r.count(Kind.FAILED);
    assertTrue(failed >= 1 && failed <= 2, "failed " + failed + ": " + r.toMap(true));
    assertEquals(0, r.count(Kind.COPIED));
    assertTrue(s3.listObjectsV2(b -> b.bucket(dst)).contents().isEmpty());
  }
}
