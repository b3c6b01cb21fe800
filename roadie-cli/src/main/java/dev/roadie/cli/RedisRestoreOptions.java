package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.redis.RedisBackup;
import dev.roadie.redis.RedisRestore;
import dev.roadie.redis.RedisUrl;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The restore options of redis snapshots, a mixin of {@link RestoreCommand}. */
final class RedisRestoreOptions {
  /** The redis:// or rediss:// URL of RestoreCommand's --to, when it names a Redis server. */
  String to;

  @Option(names = "--rdb-file", paramLabel = "PATH",
      description = "Redis snapshots: write the dump.rdb to PATH, for a stopped server's dir.")
  Path rdbFile;

  @Option(names = "--flush", description = "With --to: empty the target first: FLUSHALL, or FLUSHDB of the one database"
      + " restored into (a URL ending in /N, or a snapshot of one database).")
  boolean flush;

  @Option(names = "--merge", description = "With --to: keep the target's other keys; the snapshot's keys replace theirs.")
  boolean merge;

  /** Whether a redis restore was asked for. */
  boolean requested() {
    return to != null || rdbFile != null || flush || merge;
  }

  void validate(boolean otherDestination) {
    if ((to == null) == (rdbFile == null)) {
      throw new RoadieException(ErrorCode.USAGE, "say where to restore the Redis snapshot: --to URL or --rdb-file PATH (one of them)");
    }
    if (otherDestination) {
      throw new RoadieException(ErrorCode.USAGE, "--to/--rdb-file cannot be combined with --target or --stdout");
    }
    if (flush && merge) {
      throw new RoadieException(ErrorCode.USAGE, "--flush and --merge exclude each other");
    }
    if ((flush || merge) && to == null) {
      throw new RoadieException(ErrorCode.USAGE, "--flush and --merge go with --to URL");
    }
  }

  int run(Repository r, SnapshotRef ref) throws Exception {
    if (!RedisBackup.KIND.equals(ref.snapshot().kind())) {
      throw new RoadieException(ErrorCode.USAGE, "snapshot " + ref.id().shortHex() + " is a " + ref.snapshot().kind()
          + " snapshot; --to and --rdb-file restore redis snapshots (use --target DIR or --stdout)");
    }
    Progress progress = new Progress();
    progress.expectedBytes.set(ref.snapshot().stats() == null ? -1 : ref.snapshot().stats().bytesRead());
    RedisRestore restore = new RedisRestore(r, progress);
    if (rdbFile != null) {
      long size;
      try (ProgressPrinter p = new ProgressPrinter(progress, "restore", true)) {
        size = restore.toFile(ref, rdbFile);
      }
      Path abs = rdbFile.toAbsolutePath();
      Object ver = ref.snapshot().source() == null ? null : ref.snapshot().source().get("redisVersion");
      System.out.println("wrote " + abs + " (" + Format.bytes(size) + ", from Redis " + (ver == null ? "?" : ver)
          + ") of snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target() + ". To load it:");
      System.out.println("  1. stop the Redis server (redis-cli shutdown nosave, or systemctl stop redis-server)");
      System.out.println("  2. copy " + abs.getFileName() + " to the server's 'dir' as its 'dbfilename'"
          + " (CONFIG GET dir / dbfilename), owned by the redis user");
      System.out.println("  3. if it uses AOF (appendonly yes): set 'appendonly no' in redis.conf, otherwise Redis"
          + " loads the AOF and ignores dump.rdb; move the old appendonlydir away");
      System.out.println("  4. start Redis; check DBSIZE / INFO keyspace");
      System.out.println("  5. if AOF was on: redis-cli CONFIG SET appendonly yes (rewrites the AOF from memory), wait"
          + " until INFO persistence shows aof_rewrite_in_progress:0, then set 'appendonly yes' in redis.conf again");
      return 0;
    }
    RedisUrl url = RedisUrl.parse(to, System.getenv("REDISCLI_AUTH"));
    RedisRestore.Mode mode = flush ? RedisRestore.Mode.FLUSH : merge ? RedisRestore.Mode.MERGE : RedisRestore.Mode.REFUSE_NON_EMPTY;
    RedisRestore.Result res;
    try (ProgressPrinter p = new ProgressPrinter(progress, "restore", true)) {
      res = restore.online(ref, url, mode);
    }
    double secs = res.nanos() / 1e9;
    System.out.println("restored snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target() + " to " + url
        + (res.database() >= 0 && url.database() < 0 ? " database " + res.database() : "")
        + ": " + Plural.count(res.keys(), "key")
        + (res.functions() > 0 ? ", " + Plural.count(res.functions(), "function library", "function libraries") : "")
        + (res.expiredSkipped() > 0 ? " (" + res.expiredSkipped() + " already expired, skipped)" : "") + " in "
        + Format.duration(Duration.ofNanos(res.nanos())) + " (" + Math.round(res.keys() / Math.max(secs, 1e-9)) + " keys/s)");
    if (res.functionsSkipped() > 0) {
      System.out.println("not restored: " + res.functionsSkipped() + " function libraries (they belong to the whole"
          + " server, not to database " + res.database() + "; restore without /" + res.database() + " to get them)");
    }
    return 0;
  }
}
