package dev.roadie.cli;

import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.physical.PhysicalBackup;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options of {@code backup postgres --physical} (a mixin, so PostgresBackupCommand stays
 * small).
 */
final class PhysicalBackupOptions {
  @Option(
      names = "--physical",
      description = "Physical backup of the whole cluster (for point-in-time recovery).")
  boolean physical;

  @Option(
      names = "--wal-method",
      paramLabel = "none|fetch",
      defaultValue = "none",
      description =
          "physical: none (default): WAL in this repository's archive (the backup stores the WAL it needs "
              + "there itself; archive_command's roadie wal-push or wal-stream adds the rest for PITR); "
              + "fetch: the WAL to reach consistency is inside the backup.")
  String walMethod;

  @Option(
      names = "--wal-timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "physical: with wal-stream, how long the backup's WAL may take to reach the archive (default: ${DEFAULT-VALUE}).")
  int walTimeoutSeconds;

  @Option(
      names = "--checkpoint",
      paramLabel = "fast|spread",
      defaultValue = "fast",
      description = "physical: start with an immediate checkpoint (default) or a spread one.")
  String checkpoint;

  @Option(
      names = "--chunk-size",
      paramLabel = "BYTES",
      defaultValue = "0",
      description =
          "physical: fixed chunk size, a power of two from 8 KiB to 1 MiB (default 128 KiB).")
  int chunkSize;

  @Option(
      names = "--page-skip",
      paramLabel = "auto|on|off",
      defaultValue = "auto",
      description =
          "physical: reuse the previous backup's chunks of relation pages whose LSN shows they have not "
              + "changed since it started, without hashing them. auto (default): when hint bits are WAL-logged "
              + "(data_checksums or wal_log_hints on), so reused chunks are byte-exact; on: also otherwise (pages may "
              + "keep older hint bits; pg_verifybackup may then flag those files); off: hash every page.")
  String pageSkip;

  @Option(
      names = "--read",
      paramLabel = "auto|local|stream",
      defaultValue = "auto",
      description =
          "physical: how the data directory is read. local: roadie reads it itself (on the database host, "
              + "as the postgres OS user or root) around pg_backup_start/pg_backup_stop; stream: through pg_basebackup; "
              + "auto (default): local when the server's data_directory is here, readable and the same cluster, else stream.")
  String read;

  int run(
      RepoOptions repo,
      BackupOptions options,
      String url,
      Path pgBin,
      java.util.List<dev.roadie.postgres.Probes.Probe> probes)
      throws Exception {
    if (!checkpoint.equals("fast") && !checkpoint.equals("spread")) {
      throw new dev.roadie.core.RoadieException(
          dev.roadie.core.ErrorCode.USAGE, "--checkpoint takes fast or spread");
    }
    PgConn conn = PgConn.parse(url);
    try (Repository r = repo.open()) {
      Progress progress = new Progress();
      PhysicalBackup.Result result;
      try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json)) {
        result =
            new PhysicalBackup(r, progress)
                .run(
                    new PhysicalBackup.Options(
                        conn,
                        options.target,
                        pgBin,
                        walMethod,
                        Duration.ofSeconds(walTimeoutSeconds),
                        chunkSize,
                        checkpoint.equals("spread"),
                        options.tags(),
                        options.snapshotTime(),
                        pageSkip,
                        read,
                        probes));
      }
      SavedSnapshot.print(r.readSnapshot(result.id()), result.warnings(), options.json);
      return 0;
    }
  }
}
