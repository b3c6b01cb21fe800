package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.Sources;
import dev.roadie.files.FileRestoreOptions;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
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
      + "for postgres snapshots, redis://[USER:PASSWORD@]HOST:PORT for redis snapshots.")
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
        return physical.run(r, r.resolve(snapshot, filters.filter(of)), repo, targetDir, postgres.jobs);
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
      Destination destination = stdout
          ? new Destination.Stream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20))
          : new Destination.Directory(targetDir);
      long start = System.nanoTime();
      RestoreResult res;
      try (ProgressPrinter p = new ProgressPrinter(progress, "restore", !stdout)) {
        res = Sources.restore(new RestoreRequest(r, ref, destination, new FileRestoreOptions(include, false), progress));
      }
      if (stdout) return 0;
      long nanos = System.nanoTime() - start;
      System.out.println("restored snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target() + " to "
          + res.destination() + ": " + res.counts().stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", "))
          + ", " + Format.bytes(res.bytes()) + " in " + Format.duration(Duration.ofNanos(nanos)) + " ("
          + Format.rate(res.bytes(), nanos) + ")");
      return 0;
    }
  }
}
