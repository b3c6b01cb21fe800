package dev.roadie.cli;

import dev.roadie.bucket.Bucket;
import dev.roadie.bucket.BucketBackupOptions;
import dev.roadie.bucket.BucketLocation;
import dev.roadie.bucket.BucketMetadata;
import dev.roadie.bucket.BucketRestoreOptions;
import dev.roadie.bucket.BucketSource;
import dev.roadie.bucket.ObjectHeaders;
import dev.roadie.bucket.Sha256;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.Tagging;

/**
 * The demo's bucket part: a throwaway MinIO (a binary found on PATH or where scripts/test-servers
 * builds it; never built here) with a bucket of festival media, backed up twice, then objects
 * deleted and overwritten, and the bucket restored and compared object by object.
 */
final class BucketDemo {
  private BucketDemo() {}

  /**
   * A MinIO binary: on PATH, else the newest in scripts/test-servers' caches; null when there is
   * none.
   */
  static Path findMinio() {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        Path p = Path.of(d, "minio");
        if (Files.isExecutable(p)) return p;
      }
    }
    List<Path> caches = new ArrayList<>();
    String configured = System.getenv("ROADIE_TEST_SERVERS_CACHE");
    if (configured != null && !configured.isBlank()) caches.add(Path.of(configured));
    caches.add(Path.of("/var/cache/roadie-test-servers"));
    String xdg = System.getenv("XDG_CACHE_HOME");
    caches.add(
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg, "roadie-test-servers")
            : Path.of(System.getProperty("user.home"), ".cache", "roadie-test-servers"));
    for (Path cache : caches) {
      try (Stream<Path> dirs = Files.list(cache)) {
        Path best =
            dirs.filter(d -> d.getFileName().toString().startsWith("minio-"))
                .map(d -> d.resolve("bin/minio"))
                .filter(Files::isExecutable)
                .max(Path::compareTo)
                .orElse(null);
        if (best != null) return best;
      } catch (IOException e) {
        // no such cache
      }
    }
    return null;
  }

  /** Returns false on a mismatch. */
  static boolean run(Repository repo, Path base, Consumer<String> step, Consumer<String> say)
      throws Exception {
    Path minio = findMinio();
    if (minio == null) {
      say.accept(
          "(no MinIO binary found, so the bucket part is skipped; build one with"
              + " 'scripts/test-servers build minio' (needs Go) or put minio on PATH, and run the demo again)");
      return true;
    }
    Path dir = base.resolve("minio");
    Files.createDirectories(dir.resolve("data"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String user = "demo-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    ProcessBuilder pb =
        new ProcessBuilder(
                minio.toString(),
                "server",
                "--quiet",
                "--address",
                "127.0.0.1:" + port,
                dir.resolve("data").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("minio.log").toFile());
    // Credentials by environment, never in argv.
    pb.environment()
        .putAll(
            Map.of(
                "MINIO_ROOT_USER",
                user,
                "MINIO_ROOT_PASSWORD",
                secret,
                "MINIO_BROWSER",
                "off",
                "MINIO_UPDATE",
                "off"));
    Process p = pb.start();
    try {
      String endpoint = "http://127.0.0.1:" + port;
      waitUntilLive(endpoint, p);
      say.accept("  started a throwaway MinIO at " + endpoint + " (" + minio + ")");
      var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(user, secret));
      BackendSettings settings = new BackendSettings(null, null, "us-east-1", null, null);
      BucketLocation media =
          BucketLocation.parse("s3:" + endpoint + "/festival-media", settings, credentials);
      try (Bucket bucket = Bucket.open(media)) {
        S3Client s3 = bucket.client();
        s3.createBucket(b -> b.bucket("festival-media"));
        fill(s3);
        Map<String, String> original = contents(s3);
        say.accept(
            "  bucket festival-media: "
                + original.size()
                + " objects (photos with metadata and tags, "
                + "posters, a schedule)");

        step.accept("roadie backup bucket s3://festival-media --bucket-endpoint " + endpoint);
        SnapshotRef first = backup(repo, media);
        say.accept(
            "  snapshot "
                + first.id().shortHex()
                + ": "
                + Sources.summary(first.snapshot())
                + ", "
                + Format.bytes(first.snapshot().stats().bytesRead())
                + " read");
        s3.putObject(
            b -> b.bucket("festival-media").key("schedule.json").contentType("application/json"),
            RequestBody.fromString("{\"day\": 2, \"stages\": 4}"));
        original = contents(s3);
        step.accept(
            "(changed schedule.json) roadie backup bucket s3://festival-media --bucket-endpoint "
                + endpoint);
        SnapshotRef second = backup(repo, media);
        BucketMetadata m = SourceMetadata.of(second.snapshot(), BucketMetadata.class);
        say.accept(
            "  snapshot "
                + second.id().shortHex()
                + ": "
                + Sources.summary(second.snapshot())
                + ", "
                + Format.bytes(second.snapshot().stats().bytesRead())
                + " read: only the changed object ("
                + m.unchangedObjects()
                + " taken from the first snapshot unread)");

        step.accept(
            "mc rm --recursive demo/festival-media/photos/day-1; mc cp wrong.jpg demo/festival-media/photos/"
                + "day-2/photo-001.jpg   (the accident)");
        for (S3Object o :
            s3.listObjectsV2Paginator(b -> b.bucket("festival-media").prefix("photos/day-1/"))
                .contents()) {
          s3.deleteObject(b -> b.bucket("festival-media").key(o.key()));
        }
        s3.putObject(
            b -> b.bucket("festival-media").key("photos/day-2/photo-001.jpg"),
            RequestBody.fromString("wrong"));

        step.accept(
            "roadie restore "
                + second.id().shortHex()
                + " --to s3://festival-media --bucket-endpoint "
                + endpoint);
        RestoreResult r =
            Sources.restore(
                new RestoreRequest(
                    repo,
                    second,
                    new Destination.Server(media.toString()),
                    new BucketRestoreOptions(settings, credentials, null, false, null),
                    null));
        say.accept("  " + String.join(", ", r.counts().stream().map(Object::toString).toList()));
        Map<String, String> now = contents(s3);
        if (!original.equals(now)) {
          say.accept("  MISMATCH: the restored bucket differs from the original");
          return false;
        }
        say.accept(
            "  every object's bytes (SHA-256), headers, user metadata and tags equal the original's");
      }
      return true;
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  private static SnapshotRef backup(Repository repo, BucketLocation where) throws IOException {
    return Sources.backup(
            new BackupRequest(
                repo,
                BucketSource.KIND,
                new BucketBackupOptions(where, false, false),
                null,
                List.of("demo"),
                null,
                null,
                null))
        .snapshot();
  }

  private static void fill(S3Client s3) {
    Random rnd = new Random(11);
    for (int day = 1; day <= 3; day++) {
      for (int i = 1; i <= 40; i++) {
        byte[] photo = new byte[20_000 + rnd.nextInt(200_000)];
        rnd.nextBytes(photo);
        String key = String.format("photos/day-%d/photo-%03d.jpg", day, i);
        int d = day;
        int n = i;
        s3.putObject(
            b ->
                b.bucket("festival-media")
                    .key(key)
                    .contentType("image/jpeg")
                    .cacheControl("max-age=86400")
                    .metadata(Map.of("camera", "stage-" + (n % 4), "photographer", "crew"))
                    .tagging(
                        Tagging.builder()
                            .tagSet(Tag.builder().key("day").value(String.valueOf(d)).build())
                            .build()),
            RequestBody.fromBytes(photo));
      }
    }
    byte[] poster = new byte[2 << 20];
    rnd.nextBytes(poster);
    s3.putObject(
        b -> b.bucket("festival-media").key("posters/main stage.png").contentType("image/png"),
        RequestBody.fromBytes(poster));
    s3.putObject(
        b -> b.bucket("festival-media").key("schedule.json").contentType("application/json"),
        RequestBody.fromString("{\"day\": 1, \"stages\": 3}"));
  }

  /** Each object's SHA-256, headers (without roadie's hash) and tags, by key. */
  private static Map<String, String> contents(S3Client s3) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket("festival-media")).contents()) {
      try (ResponseInputStream<GetObjectResponse> in =
          s3.getObject(b -> b.bucket("festival-media").key(o.key()))) {
        String sha = Sha256.of(in);
        Map<String, String> tags = new TreeMap<>();
        for (Tag t : s3.getObjectTagging(b -> b.bucket("festival-media").key(o.key())).tagSet())
          tags.put(t.key(), t.value());
        out.put(o.key(), sha + " " + ObjectHeaders.of(in.response()).withoutSha256() + " " + tags);
      }
    }
    return out;
  }

  private static void waitUntilLive(String endpoint, Process p)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        HttpURLConnection c =
            (HttpURLConnection)
                URI.create(endpoint + "/minio/health/live").toURL().openConnection();
        c.setConnectTimeout(1000);
        if (c.getResponseCode() == 200) return;
      } catch (IOException e) {
        // not yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new IOException(
            "MinIO did not start (see its log under the demo directory, minio/minio.log)");
      }
      Thread.sleep(100);
    }
  }
}
