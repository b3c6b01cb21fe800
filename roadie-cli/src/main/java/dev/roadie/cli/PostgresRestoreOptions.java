package dev.roadie.cli;

import dev.roadie.postgres.PostgresSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of {@code restore} for postgres snapshots (a mixin, so RestoreCommand stays small).
 */
final class PostgresRestoreOptions {
  @Option(
      names = "--clean",
      description =
          "postgres: restore into a database that has tables (drops and recreates it; with --table, drops those tables).")
  boolean clean;

  @Option(
      names = "--table",
      paramLabel = "NAME",
      description =
          "postgres: restore only this table, with its indexes and constraints (repeatable).")
  List<String> tables = new ArrayList<>();

  @Option(names = "--schema-only", description = "postgres: only the schema.")
  boolean schemaOnly;

  @Option(names = "--data-only", description = "postgres: only the data, into existing tables.")
  boolean dataOnly;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "postgres: tables loaded at once (default: the number of cores).")
  Integer jobs;

  @Option(
      names = "--pg-bin",
      paramLabel = "DIR",
      description = "postgres: directory of pg_restore.")
  Path pgBin;

  /** The options of a logical restore (the database is the restore's --to). */
  PostgresSource.RestoreOptions options() {
    return new PostgresSource.RestoreOptions(
        tables,
        clean,
        schemaOnly,
        dataOnly,
        jobs != null ? jobs : Runtime.getRuntime().availableProcessors(),
        pgBin);
  }
}
