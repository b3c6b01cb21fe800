package dev.roadie.cli;

import dev.roadie.core.Id;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.Probes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "postgres",
    description = {
      "Back up a PostgreSQL database (logical), or with --physical the whole cluster for point-in-time recovery.",
      "Logical: one consistent snapshot, tables streamed in parallel. Physical: the data directory read locally or "
          + "streamed by pg_basebackup, with the WAL archived by wal-push or wal-stream.",
      "The password comes from the URL, PGPASSWORD, ~/.pgpass or PGPASSFILE; it never reaches a child's argv.",
      "Default target: postgres://HOST:PORT/DB."
    })
final class PostgresBackupCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin BackupOptions options;
  @Mixin PhysicalBackupOptions physical;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require]")
  String url;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "Tables copied at once (default: the number of cores).")
  Integer jobs;

  @Option(
      names = "--table",
      paramLabel = "PATTERN",
      description = "Only tables matching (pg_dump's pattern rules; repeatable).")
  List<String> tables = new ArrayList<>();

  @Option(
      names = "--exclude-table",
      paramLabel = "PATTERN",
      description = "Leave out tables matching (repeatable).")
  List<String> excludeTables = new ArrayList<>();

  @Option(
      names = "--schema-only",
      description = "Only the schema (and sequence values, large objects).")
  boolean schemaOnly;

  @Option(
      names = "--data-only",
      description = "Only table data (and sequence values, large objects).")
  boolean dataOnly;

  @Option(
      names = "--format",
      paramLabel = "native|pg_dump",
      defaultValue = "native",
      description =
          "native (default): parallel per-table streams; pg_dump: one 'pg_dump -Fc -Z0' archive for stock pg_restore.")
  String format;

  @Option(
      names = "--probe",
      paramLabel = "NAME=SQL",
      description =
          "A query run inside the backup's own snapshot, its result stored in the snapshot; 'roadie verify' "
              + "runs it on the restored copy and compares (repeatable; e.g. revenue='SELECT sum(total) FROM orders'). "
              + "Physical: run just after the base backup ends, on the snapshot of a temporary logical slot "
              + "(wal_level = logical), which verify recovers to exactly.")
  List<String> probes = new ArrayList<>();

  @Option(
      names = "--pg-bin",
      paramLabel = "DIR",
      description =
          "Directory of pg_dump and pg_restore (default: newest /usr/lib/postgresql/*/bin, then PATH).")
  Path pgBin;

  @Override
  public Integer call() throws Exception {
    // Databases are large: the native AES-GCM loads while the key is derived (Providers).
    dev.roadie.core.crypto.Providers.preload();
    List<Probes.Probe> parsedProbes = probes.stream().map(Probes.Probe::parse).toList();
    if (physical.physical) return physical.run(repo, options, url, pgBin, parsedProbes);
    PgConn conn = PgConn.parse(url);
    int n = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
    try (Repository r = repo.open()) {
      Progress progress = new Progress();
      Id id;
      try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json)) {
        id =
            new PostgresBackup(r, progress)
                .run(
                    new PostgresBackup.Options(
                        conn,
                        options.target,
                        n,
                        tables,
                        excludeTables,
                        schemaOnly,
                        dataOnly,
                        format,
                        pgBin,
                        options.tags(),
                        options.snapshotTime(),
                        parsedProbes));
      }
      SavedSnapshot.print(r.readSnapshot(id), List.of(), options.json);
      return 0;
    }
  }
}
