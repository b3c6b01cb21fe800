package dev.roadie.bucket.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.s3.S3Location;
import dev.roadie.testkit.MinioServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code mirror --watch}: a change reaches the destination within seconds by notification (the full
 * compare is set far off, so only a notification can bring it), and the watch outlives its
 * destination going away and coming back.
 */
@Tag("slow")
class MirrorWatchTest {
  /**
   * How long a notified change may take to arrive; it takes well under a second on an idle machine.
   */
  static final Duration SOON = Duration.ofSeconds(60);

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

  static boolean exists(S3Client c, String bucket, String key) {
    try {
      c.headObject(r -> r.bucket(bucket).key(key));
      return true;
    } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
      return false;
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      // 503: a server just restarted answers so until it has started; not there yet either.
      if (e.statusCode() == 404 || e.statusCode() == 503) return false;
      throw e;
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + SOON.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(what + " did not happen within " + SOON);
      Thread.sleep(100);
    }
  }

  /** A watch running on its own thread; closing it stops it (also when an assertion failed). */
  static final class Running implements AutoCloseable {
    final MirrorWatch watch;
    final List<String> log = new CopyOnWriteArrayList<>();
    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    private final Future<MirrorReport> result;

    Running(BucketMirror mirror, Duration fullEvery) {
      watch =
          new MirrorWatch(
              mirror, new MirrorWatch.Options(fullEvery, Duration.ofSeconds(1)), log::add);
      result = thread.submit(watch::run);
    }

    void awaitLog(String start) throws InterruptedException {
      await(
          "a log line '" + start + "…' (log: " + log + ")",
          () -> log.stream().anyMatch(l -> l.startsWith(start)));
    }

    long count(String start) {
      return log.stream().filter(l -> l.startsWith(start)).count();
    }

    MirrorReport stop() throws Exception {
      watch.stop();
      return result.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      watch.stop();
      thread.shutdownNow();
    }
  }

  @Test
  void aPutAndADeleteReachTheDestinationWithinSecondsByNotification() throws Exception {
    s3.createBucket(r -> r.bucket("watched"));
    Minio.put(s3, "watched", "dir/first", "1");
    try (MirrorSide src = Minio.side("source", minio, "s3://watched/dir");
        MirrorSide dst = Minio.side("destination", minio, "s3://watching/copy");
        // The full compare is an hour away: only a notification brings a change sooner.
        Running w =
            new Running(
                new BucketMirror(
                    src, dst, BucketMirror.Options.defaults(true), (k, key, r, n) -> {}),
                Duration.ofHours(1))) {
      await("the first pass", () -> exists(s3, "watching", "copy/first"));
      w.awaitLog("listening for changes of the source s3://watched/dir");

      Minio.put(s3, "watched", "dir/second file+%41", "2");
      await("the put", () -> exists(s3, "watching", "copy/second file+%41"));
      assertEquals("2", Minio.get(s3, "watching", "copy/second file+%41"));
      // Tags alone: neither ETag nor time changes, the notification says so.
      s3.putObjectTagging(
          r ->
              r.bucket("watched")
                  .key("dir/second file+%41")
                  .tagging(
                      t ->
                          t.tagSet(
                              software.amazon.awssdk.services.s3.model.Tag.builder()
                                  .key("stage")
                                  .value("done")
                                  .build())));
      await(
          "the tags",
          () ->
              s3.getObjectTagging(r -> r.bucket("watching").key("copy/second file+%41"))
                      .tagSet()
                      .size()
                  == 1);
      s3.deleteObject(r -> r.bucket("watched").key("dir/first"));
      await("the delete", () -> !exists(s3, "watching", "copy/first"));
      Minio.put(s3, "watched", "elsewhere", "outside the prefix");

      long t = System.nanoTime();
      MirrorReport total = w.stop();
      assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(10), "stops promptly");
      assertEquals(2, total.count(MirrorReport.Kind.COPIED), total.toMap(false).toString());
      assertEquals(1, total.count(MirrorReport.Kind.DELETED), total.toMap(false).toString());
      assertEquals(1, total.count(MirrorReport.Kind.UPDATED), total.toMap(false).toString());
      assertTrue(!exists(s3, "watching", "copy/elsewhere") && !exists(s3, "watching", "elsewhere"));
    }
  }

  @Test
  void withoutNotificationsTheFullCompareBringsChangesAndSaysSo() throws Exception {
    s3.createBucket(r -> r.bucket("polled"));
    Minio.put(s3, "polled", "first", "1");
    try (MirrorSide src = Minio.side("source", minio, "s3://polled");
        MirrorSide dst = Minio.side("destination", minio, "s3://polling");
        // As on a server without MinIO's extensions.
        Running w =
            new Running(
                new BucketMirror(
                    src,
                    dst,
                    BucketMirror.Options.defaults(true),
                    (k, key, r, n) -> {},
                    true,
                    false),
                Duration.ofSeconds(2))) {
      await("the first pass", () -> exists(s3, "polling", "first"));
      w.awaitLog(
          "the source s3://polled at " + minio.endpoint() + " sends no change notifications");
      Minio.put(s3, "polled", "second", "2");
      s3.deleteObject(r -> r.bucket("polled").key("first"));
      await("the put", () -> exists(s3, "polling", "second"));
      await("the delete", () -> !exists(s3, "polling", "first"));
      w.stop();
    }
  }

  @Test
  void theWatchOutlivesARestartOfTheDestinationAndSaysSoOnce(@TempDir Path tmp) throws Exception {
    s3.createBucket(r -> r.bucket("restart-src"));
    Minio.put(s3, "restart-src", "before", "1");
    try (RestartableMinio target = new RestartableMinio(tmp)) {
      target.start();
      try (S3Client d =
              S3Client.builder()
                  .endpointOverride(target.endpoint())
                  .forcePathStyle(true)
                  .region(Region.US_EAST_1)
                  .credentialsProvider(
                      StaticCredentialsProvider.create(
                          AwsBasicCredentials.create(
                              RestartableMinio.USER, RestartableMinio.PASSWORD)))
                  .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)))
                  .build();
          MirrorSide src = Minio.side("source", minio, "s3://restart-src");
          MirrorSide dst =
              MirrorSide.open(
                  "destination", S3Location.parse("s3://restarted"), target.settings());
          Running w =
              new Running(
                  new BucketMirror(
                      src, dst, BucketMirror.Options.defaults(false), (k, key, r, n) -> {}),
                  Duration.ofSeconds(2))) {
        await("the first pass", () -> exists(d, "restarted", "before"));

        target.stop();
        Minio.put(s3, "restart-src", "during", "2");
        w.awaitLog("paused: destination s3://restarted at " + target.endpoint());
        Thread.sleep(3000); // a few more failed attempts while the destination is away
        target.start();
        await(
            "the change made while the destination was away",
            () -> exists(d, "restarted", "during"));
        w.awaitLog("resumed after ");
        Minio.put(s3, "restart-src", "after", "3");
        await("a change after the restart", () -> exists(d, "restarted", "after"));

        w.stop();
        assertEquals(1, w.count("paused: "), w.log.toString());
        assertEquals(1, w.count("resumed after "), w.log.toString());
      }
    }
  }
}
