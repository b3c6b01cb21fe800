package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.redis.RedisRestore;
import dev.roadie.redis.RedisSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The restore options of redis snapshots, a mixin of {@link RestoreCommand}. */
final class RedisRestoreOptions {
  /** The redis:// or rediss:// URL of RestoreCommand's --to, when it names a Redis server. */
  String to;

  @Option(
      names = "--rdb-file",
      paramLabel = "PATH",
      description = "Redis snapshots: write the dump.rdb to PATH, for a stopped server's dir.")
  Path rdbFile;

  @Option(
      names = "--flush",
      description =
          "With --to: empty the target first: FLUSHALL, or FLUSHDB of the one database"
              + " restored into (a URL ending in /N, or a snapshot of one database).")
  boolean flush;

  @Option(
      names = "--merge",
      description = "With --to: keep the target's other keys; the snapshot's keys replace theirs.")
  boolean merge;

  /** Whether a redis restore was asked for. */
  boolean requested() {
    return to != null || rdbFile != null || flush || merge;
  }

  void validate(boolean otherDestination) {
    if ((to == null) == (rdbFile == null)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "say where to restore the Redis snapshot: --to URL or --rdb-file PATH (one of them)");
    }
    if (otherDestination) {
      throw new RoadieException(
          ErrorCode.USAGE, "--to/--rdb-file cannot be combined with --target or --stdout");
    }
    if (flush && merge) {
      throw new RoadieException(ErrorCode.USAGE, "--flush and --merge exclude each other");
    }
    if ((flush || merge) && to == null) {
      throw new RoadieException(ErrorCode.USAGE, "--flush and --merge go with --to URL");
    }
  }

  /**
   * The options of a restore into a server: what to do with its keys, and $REDISCLI_AUTH (as
   * redis-cli reads it) for a URL without a password.
   */
  RedisSource.RestoreOptions options() {
    RedisRestore.Mode mode =
        flush
            ? RedisRestore.Mode.FLUSH
            : merge ? RedisRestore.Mode.MERGE : RedisRestore.Mode.REFUSE_NON_EMPTY;
    String auth = System.getenv("REDISCLI_AUTH");
    return new RedisSource.RestoreOptions(mode, auth == null ? null : auth.toCharArray());
  }
}
