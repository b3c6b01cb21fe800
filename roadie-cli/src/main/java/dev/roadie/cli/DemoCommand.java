package dev.roadie.cli;

import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.check.Checker;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.files.FileBackupOptions;
import dev.roadie.files.FileSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * roadie's main job on embedded defaults: a repository under ./roadie-demo/, sample data backed up
 * twice (the second time after a change, to show deduplication), listed, restored, compared byte
 * for byte, and verified. Each step prints the command a user would type for it.
 */
@Command(
    name = "demo",
    description = "Run roadie's main job on sample data in ./roadie-demo/ (made anew each run).")
final class DemoCommand implements Callable<Integer> {
  /** The target of the demo's file snapshots. */
  static final String TARGET = "demo-data";

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Where to work (default: ./roadie-demo).")
  Path dir = Path.of("roadie-demo");

  @Override
  public Integer call() throws Exception {
    Path base = dir.toAbsolutePath().normalize();
    // Only ever delete what an earlier demo made: a directory with our marker file, or nothing.
    Path marker = base.resolve(".roadie-demo");
    if (Files.exists(base) && !Files.exists(marker)) {
      try (var entries = Files.list(base)) {
        if (entries.findAny().isPresent()) {
          throw new dev.roadie.core.RoadieException(
              dev.roadie.core.ErrorCode.USAGE,
              base
                  + " exists and was not made by 'roadie demo'; choose an empty or new directory with --dir");
        }
      }
    }
    DirectoryTree.delete(base);
    Path data = base.resolve("data");
    Path repoDir = base.resolve("repo");
    Path restored = base.resolve("restore");
    Path passwordFile = base.resolve("password");
    Files.createDirectories(base);
    Files.writeString(marker, "made by roadie demo; the next demo run deletes this directory\n");
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    // The user's alone, as roadie asks of password files (it warns about one others can read).
    Files.createFile(
        passwordFile,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(passwordFile, password + "\n");
    say("roadie demo in " + base);
    say("");
    long sampleBytes = makeSampleData(data);
    step(
        "sample data: "
            + Format.bytes(sampleBytes)
            + " in "
            + data
            + " (logs, CSV, binary, nested directories)");

    step("roadie init --repo " + repoDir + " --password-file " + passwordFile);
    try (Repository init =
        Repository.init(
            new LocalBackend(repoDir), password.toCharArray(), Config.DEFAULT_PACK_SIZE)) {
      say(
          "  created repository "
              + init.config().id().substring(0, 8)
              + " (AES-256-GCM, keys wrapped with scrypt)");
    }
    try (Repository repo = Repository.open(new LocalBackend(repoDir), password.toCharArray())) {
      step("roadie backup file " + data + " --target " + TARGET + " --tag demo");
      Id first = backup(repo, data);
      report(repo, first);

      Files.writeString(
          data.resolve("logs/app-2.log"),
          "2026-11-24T04:00:00Z INFO a new line after the first backup\n",
          StandardOpenOption.APPEND);
      Files.writeString(data.resolve("notes.txt"), "a file added after the first backup\n");
      step(
          "(changed one log file and added notes.txt) roadie backup file "
              + data
              + " --target "
              + TARGET
              + " --tag demo");
      Id second = backup(repo, data);
      report(repo, second);

      step("roadie snapshots");
      System.out.print(
          SnapshotsCommand.table(repo.snapshots(null), new PhysicalWindows(repo)).render("  "));

      step("roadie restore latest --of " + TARGET + " --target " + restored);
      SnapshotRef latest = repo.readSnapshot(second);
      var result =
          Sources.restore(
              new RestoreRequest(repo, latest, new Destination.Directory(restored), null, null));
      Map<String, String> want = digests(data);
      Map<String, String> got = digests(restored.resolve("data"));
      if (!want.equals(got)) {
        say("  MISMATCH: the restored files differ from the originals");
        return 1;
      }
      say(
          "  restored "
              + result.counts().stream().map(Object::toString).collect(Collectors.joining(", "))
              + "; every file's SHA-256 equals the original's");

      step("roadie check --read-data");
      Checker.Report report = new Checker(repo, m -> {}).run(1.0);
      say(
          "  "
              + Plural.count(report.snapshots(), "snapshot")
              + ", "
              + Plural.count(report.packs(), "pack")
              + ", "
              + Plural.count(report.blobs(), "blob")
              + " read and verified: "
              + (report.ok() ? "no errors" : report.errors()));
      if (!report.ok()) return 1;

      if (!RedisDemo.run(repo, base, DemoCommand::step, DemoCommand::say)) return 1;
      if (!BucketDemo.run(repo, base, DemoCommand::step, DemoCommand::say)) return 1;
      if (!PostgresDemo.run(base, repo, DemoCommand::say)) return 1;
      if (!KubernetesDemo.run(repo, base, DemoCommand::step, DemoCommand::say)) return 1;
    }
    // The commands as this user runs roadie: the launcher that started this demo, if any.
    String roadie =
        System.getenv("ROADIE_LAUNCHER") != null ? System.getenv("ROADIE_LAUNCHER") : "roadie";
    say("");
    say("Done. Try it yourself (one command a line):");
    say("  export ROADIE_REPOSITORY=" + repoDir + " ROADIE_PASSWORD_FILE=" + passwordFile);
    say("  " + roadie + " snapshots");
    say("  " + roadie + " stats");
    // --of: 'latest' alone is the newest snapshot of any target, the PostgreSQL or Redis one here.
    say(
        "  "
            + roadie
            + " restore latest --of "
            + TARGET
            + " --target "
            + base.resolve("restore-again"));
    say(
        "This demo covers files, PostgreSQL, Redis, an S3 bucket, Kubernetes and the repository engine on a local directory; an S3");
    say("repository works the same way (s3://bucket/prefix, see docs/commands.md).");
    return 0;
  }

  private static Id backup(Repository repo, Path data) throws IOException {
    return Sources.backup(
            new BackupRequest(
                repo,
                FileSource.KIND,
                FileBackupOptions.paths(List.of(data), false),
                TARGET,
                List.of("demo"),
                null,
                null,
                null))
        .snapshot()
        .id();
  }

  private static void report(Repository repo, Id id) throws IOException {
    var s = repo.readSnapshot(id).snapshot().stats();
    say(
        "  snapshot "
            + id.shortHex()
            + ": "
            + Plural.count(s.files(), "file")
            + ", "
            + Format.bytes(s.bytesRead())
            + " read, "
            + Format.bytes(s.bytesAdded())
            + " added to the repository (after deduplication and compression)");
  }

  private static void step(String s) {
    say("$ " + s);
  }

  private static void say(String s) {
    System.out.println(s);
  }

  private static long makeSampleData(Path data) throws IOException {
    Random rnd = new Random(7);
    Files.createDirectories(data.resolve("logs"));
    Files.createDirectories(data.resolve("exports/2026"));
    Files.createDirectories(data.resolve("media"));
    String[] levels = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
    String[] words = {
      "ticket", "festival", "order", "payment", "user", "stage", "artist", "scan", "gate", "refund"
    };
    long total = 0;
    for (int f = 1; f <= 3; f++) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < 40_000; i++) {
        b.append("2026-11-")
            .append(10 + f)
            .append('T')
            .append(String.format("%02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60))
            .append("Z ")
            .append(levels[rnd.nextInt(levels.length)])
            .append(' ')
            .append(words[rnd.nextInt(words.length)])
            .append(" id=")
            .append(rnd.nextInt(1_000_000))
            .append(" took ")
            .append(rnd.nextInt(900))
            .append("ms\n");
      }
      Files.writeString(data.resolve("logs/app-" + f + ".log"), b, StandardCharsets.UTF_8);
      total += b.length();
    }
    StringBuilder csv = new StringBuilder("id,email,festival,price\n");
    for (int i = 0; i < 50_000; i++) {
      csv.append(i)
          .append(",user")
          .append(rnd.nextInt(100_000))
          .append("@example.org,")
          .append(words[rnd.nextInt(10)])
          .append(',')
          .append(rnd.nextInt(300))
          .append(".00\n");
    }
    Files.writeString(data.resolve("exports/2026/tickets.csv"), csv);
    total += csv.length();
    byte[] bin = new byte[8 << 20];
    rnd.nextBytes(bin);
    Files.write(data.resolve("media/poster.bin"), bin);
    Files.createSymbolicLink(data.resolve("media/latest"), Path.of("poster.bin"));
    return total + bin.length;
  }

  private static Map<String, String> digests(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            String key = root.relativize(f).toString();
            if (a.isSymbolicLink()) {
              out.put(key, "-> " + Files.readSymbolicLink(f));
              return FileVisitResult.CONTINUE;
            }
            try (InputStream in = Files.newInputStream(f)) {
              MessageDigest md = MessageDigest.getInstance("SHA-256");
              byte[] buf = new byte[1 << 16];
              int n;
              while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
              out.put(
                  key,
                  HexFormat.of().formatHex(md.digest())
                      + " "
                      + Integer.toOctalString(Node.modeOf(Files.getPosixFilePermissions(f))));
            } catch (java.security.NoSuchAlgorithmException e) {
              throw new IllegalStateException(e);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return out;
  }
}
