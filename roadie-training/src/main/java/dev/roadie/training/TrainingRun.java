package dev.roadie.training;

import dev.roadie.cli.Main;
import dev.roadie.core.crypto.Providers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The training run of the launcher's start-up archive (CDS / AOT cache), a step of building the
 * distribution: the launcher runs it once after a build, with the distribution's class path plus
 * this module's jar, and records what it loads. Not part of the distribution: roadie itself has no
 * training command. Runs the common commands once against a throwaway repository in a temporary
 * directory, output discarded, so that the archive holds the classes a real command loads (JSON,
 * crypto, picocli), not just 'version'. Then tens of MiB through the data paths ({@link
 * #trainDataPaths}): on JDK 25+ the AOT cache also records the profiles of what ran hot.
 */
public final class TrainingRun {
  private TrainingRun() {}

  public static void main(String[] args) throws Exception {
    run();
    System.exit(0);
  }

  static void run() throws Exception {
    // Without the native AES provider: the JDK classes it pulls in (certificate parsing and RSA for
    // its signed jar, BigInteger) would go into the archive, and an AOT cache loads and links every
    // class it holds at every start, which would slow every command, `roadie version` included
    // (docs/decisions/0004-start-up-archive-and-training-run.md). Commands that load the provider
    // load those classes from the JDK as usual.
    Providers.useJdkOnly();
    Path dir = Files.createTempDirectory("roadie-train-");
    PrintStream out = System.out;
    PrintStream err = System.err;
    try {
      Path data = Files.createDirectories(dir.resolve("data/sub"));
      byte[] bytes = new byte[300_000];
      new Random(1).nextBytes(bytes);
      Files.write(data.resolve("random.bin"), bytes);
      Files.writeString(data.resolve("text.txt"), "roadie ".repeat(20_000));
      Path pw = Files.writeString(dir.resolve("password"), "training\n");
      String[] repo = {"--repo", dir.resolve("repo").toString(), "--password-file", pw.toString()};
      PrintStream sink = new PrintStream(PrintStream.nullOutputStream());
      System.setOut(sink);
      System.setErr(sink);
      run(repo, "init");
      run(repo, "backup", "file", data.getParent().toString(), "--tag", "t");
      run(repo, "backup", "file", data.getParent().toString(), "--json");
      run(repo, "snapshots");
      run(repo, "snapshots", "--json");
      run(repo, "restore", "latest", "--target", dir.resolve("out").toString());
      run(repo, "check");
      run(repo, "stats", "--json");
      run(repo, "key", "list");
      // archive_command and restore_command start roadie once per WAL segment: their paths matter
      // most.
      Path wal = Files.createDirectories(dir.resolve("pgdata/pg_wal/archive_status"));
      byte[] segment = new byte[16 << 20];
      System.arraycopy(bytes, 0, segment, 64, bytes.length);
      java.nio.ByteBuffer.wrap(segment)
          .order(java.nio.ByteOrder.nativeOrder())
          .putShort(0, (short) 0xD110)
          .putShort(2, (short) 2)
          .putInt(4, 1)
          .putLong(24, 42L)
          .putInt(32, 16 << 20);
      Files.write(wal.getParent().resolve("000000010000000000000001"), segment);
      Files.write(wal.getParent().resolve("000000010000000000000002"), segment);
      Files.createFile(wal.resolve("000000010000000000000002.ready"));
      run(
          repo,
          "wal-push",
          "--system-id",
          "42",
          wal.getParent().resolve("000000010000000000000001").toString());
      run(
          repo,
          "wal-push",
          "--system-id",
          "42",
          wal.getParent().resolve("000000010000000000000002").toString());
      run(
          repo,
          "wal-fetch",
          "--system-id",
          "42",
          "--pgdata",
          dir.resolve("pgdata").toString(),
          "000000010000000000000001",
          dir.resolve("fetched").toString());
      run(
          repo,
          "wal-fetch",
          "--system-id",
          "42",
          "--pgdata",
          dir.resolve("pgdata").toString(),
          "000000010000000000000002",
          dir.resolve("fetched").toString());
      trainDataPaths(dir, repo);
      trainS3(dir, data.getParent(), pw);
      Main.run("version");
      Main.run("--help");
    } finally {
      System.setOut(out);
      System.setErr(err);
      delete(dir);
    }
  }

  /** Bytes of generated data each data-path command below moves; see {@link #trainDataPaths}. */
  static final int BULK_BYTES = 48 << 20;

  /**
   * Tens of MiB through the data paths (file backup and restore, a stream, a Redis RDB transfer),
   * so that their hot methods get compiled in training and the AOT cache records their profiles
   * (JDK 25+, JEP 515): a real command's JIT then starts from those profiles instead of profiling
   * again in the interpreter and C1. The small commands above only cover start-up.
   */
  static void trainDataPaths(Path dir, String[] repo) throws IOException {
    byte[] bulk = bulk(BULK_BYTES, 7);
    Path big = Files.createDirectories(dir.resolve("bulk"));
    Files.write(big.resolve("bulk.bin"), bulk);
    run(repo, "backup", "file", big.toString());
    run(repo, "restore", "latest", "--target", dir.resolve("out-bulk").toString());
    delete(dir.resolve("out-bulk"));
    InputStream in = System.in;
    try {
      System.setIn(new ByteArrayInputStream(bulk(BULK_BYTES, 8)));
      run(repo, "backup", "file", "--stdin", "--name", "stream.sql");
    } finally {
      System.setIn(in);
    }
    try (TrainingRedisEndpoint redis = TrainingRedisEndpoint.start(bulk(BULK_BYTES, 9))) {
      run(repo, "backup", "redis", "--url", redis.url());
    } catch (IOException e) {
      // no loopback port: the archive is made without the Redis path
    }
  }

  /**
   * {@code size} bytes like what roadie backs up: JSON-like records with random ids and numbers
   * (zstd gets them to about a third, as database pages and RDBs here), and every 16th block of 64
   * KiB random (incompressible, stored raw). Seeded: the same bytes every training.
   */
  static byte[] bulk(int size, long seed) {
    Random r = new Random(seed);
    byte[] out = new byte[size];
    StringBuilder sb = new StringBuilder(512);
    String[] pages = {"/", "/cart", "/checkout", "/search", "/account", "/orders"};
    int pos = 0;
    for (int block = 0; pos < size; block++) {
      int end = Math.min(size, pos + (64 << 10));
      if (block % 16 == 15) {
        byte[] noise = new byte[end - pos];
        r.nextBytes(noise);
        System.arraycopy(noise, 0, out, pos, noise.length);
        pos = end;
        continue;
      }
      while (pos < end) {
        sb.setLength(0);
        sb.append("{\"sid\":\"")
            .append(Long.toHexString(r.nextLong()))
            .append(Long.toHexString(r.nextLong()))
            .append("\",\"user_id\":")
            .append(r.nextInt(5_000_000))
            .append(",\"last_seen\":")
            .append(1_732_400_000 + r.nextInt(604_800))
            .append(",\"page\":\"")
            .append(pages[r.nextInt(pages.length)])
            .append("\",\"cart\":[{\"sku\":\"SKU-")
            .append(r.nextInt(100_000))
            .append("\",\"qty\":")
            .append(1 + r.nextInt(3))
            .append("}],\"csrf\":\"")
            .append(Integer.toHexString(r.nextInt()))
            .append("\"}\n");
        for (int i = 0; i < sb.length() && pos < end; i++) out[pos++] = (byte) sb.charAt(i);
      }
    }
    return out;
  }

  /**
   * The same commands against an s3:// repository on an in-memory stand-in for S3: the AWS SDK is
   * most of what an S3 command loads, and without it in the archive a small S3 command spends more
   * CPU loading the SDK than doing its work
   * (docs/decisions/0004-start-up-archive-and-training-run.md).
   */
  static boolean trainS3(Path dir, Path data, Path pw) {
    String[] props = {"aws.accessKeyId", "aws.secretAccessKey", "aws.region"};
    try (TrainingS3Endpoint s3 = TrainingS3Endpoint.start()) {
      System.setProperty("aws.accessKeyId", "roadie-training");
      System.setProperty("aws.secretAccessKey", "roadie-training");
      System.setProperty("aws.region", "us-east-1");
      String[] repo = {
        "--repo",
        "s3://roadie-training/repo",
        "--s3-endpoint",
        s3.url(),
        "--password-file",
        pw.toString()
      };
      int failed = 0;
      for (String[] command :
          List.of(
              new String[] {"init"},
              new String[] {"backup", "file", data.toString(), "--tag", "t"},
              new String[] {"backup", "file", data.toString()},
              new String[] {"snapshots"},
              new String[] {"restore", "latest", "--target", dir.resolve("out-s3").toString()},
              new String[] {"check", "--read-data"})) {
        if (run(repo, command) != 0) failed++;
      }
      // A bucket backup (listing, a GET per object, the incremental merge) and a restore into a
      // bucket.
      java.util.Random r = new java.util.Random(3);
      for (int i = 0; i < 400; i++) {
        byte[] b = new byte[200 + r.nextInt(3000)];
        r.nextBytes(b);
        s3.put("roadie-training", "objects/d" + (i % 7) + "/o" + i, b);
      }
      String objects = "s3:" + s3.url() + "/roadie-training/objects";
      for (String[] command :
          List.of(
              new String[] {"backup", "bucket", objects},
              new String[] {"backup", "bucket", objects},
              new String[] {
                "restore",
                "latest",
                "--kind",
                "bucket",
                "--to",
                "s3:" + s3.url() + "/roadie-training/copy"
              })) {
        if (run(repo, command) != 0) failed++;
      }
      // A mirror check of the two (listings merged, HEADs, each object read and hashed on both
      // sides); read-only: the stand-in has no CopyObject. Exit 1 (they differ) is as good as 0.
      if (Main.run("mirror", "--check", objects, "s3:" + s3.url() + "/roadie-training/copy") > 1)
        failed++;
      // A mirror (a GET to hash and a CopyObject per object), then again after some objects were
      // overwritten and deleted (HEADs, copies, DELETEs).
      String mirrored = "s3:" + s3.url() + "/roadie-training/mirrored";
      if (Main.run("mirror", "--delete", objects, mirrored) != 0) failed++;
      for (int i = 0; i < 400; i += 40) {
        s3.put("roadie-training", "objects/d" + (i % 7) + "/o" + i, new byte[] {(byte) i});
        s3.delete("roadie-training", "objects/d" + ((i + 1) % 7) + "/o" + (i + 1));
      }
      if (Main.run("mirror", "--delete", objects, mirrored) != 0) failed++;
      return failed == 0;
    } catch (IOException e) {
      return false; // no loopback port: the archive is made without the S3 paths
    } finally {
      for (String p : props) System.clearProperty(p);
    }
  }

  private static int run(String[] repo, String... command) {
    String[] args = new String[command.length + repo.length];
    System.arraycopy(command, 0, args, 0, command.length);
    System.arraycopy(repo, 0, args, command.length, repo.length);
    return Main.run(args);
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
