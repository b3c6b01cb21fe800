package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.PostgresRestore;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "dump",
    description = {
      "Write a postgres snapshot to standard output, for stock pg_restore or psql.",
      "A --format pg_dump snapshot is written as its pg_dump archive (for pg_restore); a native one with --sql as a "
          + "plain SQL script (for psql)."
    })
final class DumpCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Parameters(index = "0", paramLabel = "SNAPSHOT")
  String snapshot;

  @Option(
      names = "--sql",
      description = "Write a plain SQL script: schema, COPY data, then indexes and constraints.")
  boolean sql;

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description = "With 'latest': the newest snapshot of this target.")
  String of;

  @Option(
      names = "--pg-bin",
      paramLabel = "DIR",
      description = "Directory of pg_restore (for --sql).")
  Path pgBin;

  @Override
  public Integer call() throws Exception {
    try (Repository r = repo.open()) {
      SnapshotRef ref = r.resolve(snapshot, filters.filter(of));
      if (!PostgresBackup.KIND.equals(ref.snapshot().kind())) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "snapshot "
                + ref.id().shortHex()
                + " is of kind '"
                + ref.snapshot().kind()
                + "'; dump writes postgres snapshots (use 'roadie restore --stdout' for others)");
      }
      OutputStream out = StandardOutput.open();
      PostgresRestore pr = new PostgresRestore(r, new Progress());
      if (sql) {
        pr.writeSql(ref.snapshot(), out, pgBin);
      } else {
        pr.writePgDump(ref.snapshot(), out);
      }
      out.flush();
      return 0;
    }
  }
}
