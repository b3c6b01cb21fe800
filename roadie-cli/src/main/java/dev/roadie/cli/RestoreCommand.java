package dev.roadie.cli;

import dev.roadie.cli.file.FileRestore;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = {
    "Restore a snapshot into a directory, or one file or stream to standard output;",
    "a postgres snapshot into a database (--to postgresql://USER@HOST:PORT/DB);",
    "a redis snapshot into a running server (--to redis://HOST:PORT) or as a dump.rdb (--rdb-file PATH);",
    "a physical postgres snapshot into a data directory set up for point-in-time recovery (--pgdata DIR).",
    "SNAPSHOT is an id, a unique id prefix, or 'latest' (narrowed by --of, --kind, --tag)."})
final class RestoreCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;
  @Mixin PostgresRestoreOptions postgres;
  @Mixin PhysicalRestoreOptions physical;

  @Parameters(index = "0", paramLabel = "SNAPSHOT")
  String snapshot;

  @Option(names = "--target", paramLabel = "DIR", description = "Directory to restore into (created if missing).")
  Path targetDir;

  @Option(names = "--stdout", description = "Write the snapshot's one file or stream (or the one --include names) to stdout.")
  boolean stdout;

  @Option(names = "--include", paramLabel = "PATH", description = "Restore only this file or directory of the snapshot.")
  String include;

  @Option(names = "--to", paramLabel = "URL", description = "Restore into a server: postgresql://USER@HOST:PORT/DB "
      + "for postgres snapshots, redis://[USER:PASSWORD@]HOST:PORT[/N] for redis snapshots (/N: one database).")
  String to;

  @Option(names = "--of", paramLabel = "TARGET", description = "With 'latest': the newest snapshot of this target.")
  String of;

  @Mixin RedisRestoreOptions redis;

  @Override
  public Integer call() throws Exception {
    if (to != null) {
      String scheme = to.contains("://") ? to.substring(0, to.indexOf("://")).toLowerCase(java.util.Locale.ROOT) : "";
      switch (scheme) {
        case "postgres", "postgresql" -> postgres.to = to;
        case "redis", "rediss" -> redis.to = to;
        default -> throw new RoadieException(ErrorCode.USAGE, "--to takes postgresql://USER@HOST:PORT/DB or "
            + "redis://HOST:PORT, not '" + (scheme.isEmpty() ? "(no scheme)" : scheme + "://…") + "'");
      }
    }
    if (physical.requested()) {
      try (Repository r = repo.open()) {
        // Every tree and blob of the restore needs the index: it loads while the snapshot is
        // resolved and the target checked (the first tree read waits for it).
        r.io().submit(r::index);
        return physical.run(r, physical.resolve(r, snapshot, filters.filter(of)), repo, targetDir, postgres.jobs);
      }
    }
    if (postgres.to != null) {
      try (Repository r = repo.open()) {
        return postgres.restore(r, r.resolve(snapshot, filters.filter(of)));
      }
    }
    if (redis.requested()) {
      redis.validate(targetDir != null || stdout);
      try (Repository r = repo.open()) {
        return redis.run(r, r.resolve(snapshot, filters.filter(of)));
      }
    }
    if ((targetDir == null) == !stdout) {
      throw new RoadieException(ErrorCode.USAGE, "say where to restore: --target DIR or --stdout (one of them)");
    }
    try (Repository r = repo.open()) {
      SnapshotRef ref = r.resolve(snapshot, filters.filter(of));
      Progress progress = new Progress();
      progress.expectedBytes.set(ref.snapshot().stats() == null ? -1 : ref.snapshot().stats().bytesRead());
      FileRestore restore = new FileRestore(r, progress);
      Id root = Id.parse(ref.snapshot().tree());
      long start = System.nanoTime();
      if (stdout) {
        FileRestore.Found f = include != null ? restore.find(root, include) : restore.single(root);
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20);
        restore.toStream(f, out);
        return 0;
      }
      try (ProgressPrinter p = new ProgressPrinter(progress, "restore", true)) {
        restore.toDirectory(restore.find(root, include), targetDir);
      }
      long nanos = System.nanoTime() - start;
      System.out.println("restored snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target() + " to "
          + targetDir + ": " + progress.files.get() + " files, " + Format.bytes(progress.bytesRead.get()) + " in "
          + Format.duration(Duration.ofNanos(nanos)) + " (" + Format.rate(progress.bytesRead.get(), nanos) + ")");
      return 0;
    }
  }
}
