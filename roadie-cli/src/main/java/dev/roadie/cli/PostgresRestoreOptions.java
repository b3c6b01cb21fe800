package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.PostgresRestore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of {@code restore} for postgres snapshots (a mixin, so RestoreCommand stays small). */
final class PostgresRestoreOptions {
  /** The postgresql:// URL of RestoreCommand's --to, when it names a database. */
  String to;

  @Option(names = "--clean", description = "postgres: restore into a database that has tables (drops and recreates it; with --table, drops those tables).")
  boolean clean;

  @Option(names = "--table", paramLabel = "NAME", description = "postgres: restore only this table, with its indexes and constraints (repeatable).")
  List<String> tables = new ArrayList<>();

  @Option(names = "--schema-only", description = "postgres: only the schema.")
  boolean schemaOnly;

  @Option(names = "--data-only", description = "postgres: only the data, into existing tables.")
  boolean dataOnly;

  @Option(names = "--jobs", paramLabel = "N", description = "postgres: tables loaded at once (default: the number of cores).")
  Integer jobs;

  @Option(names = "--pg-bin", paramLabel = "DIR", description = "postgres: directory of pg_restore.")
  Path pgBin;

  int restore(Repository r, SnapshotRef ref) throws java.io.IOException {
    PgConn conn = PgConn.parse(to);
    Progress progress = new Progress();
    long start = System.nanoTime();
    PostgresRestore.Result res;
    try (ProgressPrinter p = new ProgressPrinter(progress, "restore", true)) {
      res = new PostgresRestore(r, progress).restore(ref.snapshot(), new PostgresRestore.Options(conn, tables, clean,
          schemaOnly, dataOnly, jobs != null ? jobs : Runtime.getRuntime().availableProcessors(), pgBin));
    }
    long nanos = System.nanoTime() - start;
    for (String n : res.notes()) System.out.println(n);
    for (String w : res.warnings()) System.err.println("roadie: warning: " + w);
    System.out.println("restored snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target() + " to " + conn.redacted()
        + ": " + Plural.count(res.tables(), "table") + ", " + Plural.count(res.rows(), "row") + ", " + Format.bytes(res.bytes()) + " in "
        + Format.duration(Duration.ofNanos(nanos)) + " (" + Format.rate(res.bytes(), nanos) + ")");
    return 0;
  }
}
