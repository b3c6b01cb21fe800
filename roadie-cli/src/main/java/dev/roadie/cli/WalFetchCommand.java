package dev.roadie.cli;

import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalFetch;
import dev.roadie.postgres.wal.WalPush;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "wal-fetch",
    description = {
      "Fetch an archived WAL file for PostgreSQL (its restore_command).",
      "  restore_command = 'roadie wal-fetch %%f %%p'",
      "Exit 0: written to DEST; 1: not in the archive (quietly, as PostgreSQL expects at the end of the WAL); "
          + "126: any other failure (PostgreSQL then stops recovery instead of ending it early at the wrong point).",
      "Prefetches the next segments in parallel into a spool directory."
    })
final class WalFetchCommand implements Callable<Integer> {
  /**
   * PostgreSQL treats an exit status above 125 from restore_command as fatal, anything else as "not
   * archived".
   */
  static final int FATAL = 126;

  @Mixin RepoOptions repo;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file's name (%%f).")
  String name;

  @Parameters(index = "1", paramLabel = "DEST", description = "Where to write it (%%p).")
  Path destination;

  @Option(
      names = "--pgdata",
      paramLabel = "DIR",
      description = "The data directory (default: the working directory).")
  Path pgdata;

  @Option(
      names = "--system-id",
      paramLabel = "ID",
      description = "The cluster's system identifier (default: read from DIR/global/pg_control).")
  String systemId;

  @Option(
      names = "--prefetch",
      paramLabel = "N",
      defaultValue = "8",
      description = "Segments fetched ahead in parallel (default: ${DEFAULT-VALUE}; 0: none).")
  int prefetch;

  @Option(
      names = "--spool",
      paramLabel = "DIR",
      description =
          "Where prefetched segments wait (default: DATADIR/pg_wal/roadie/<repository key>).")
  Path spool;

  @Override
  public Integer call() {
    try {
      Path dataDir =
          pgdata != null ? pgdata.toAbsolutePath().normalize() : Path.of("").toAbsolutePath();
      Path dest = destination.toAbsolutePath();
      Path spoolDir =
          spool != null ? spool : WalPush.defaultSpool(dataDir, WalPushCommand.location(repo));
      if (WalFetch.fromSpool(spoolDir, name, dest)) {
        return 0;
      }
      long sysid = WalPushCommand.systemId(systemId, dataDir);
      try (Repository r = repo.open()) {
        String note =
            new WalFetch(new WalArchive(r, sysid))
                .run(new WalFetch.Options(name, dest, spoolDir, prefetch));
        if (note == null) {
          return 1;
        }
        if (!note.isEmpty()) {
          System.err.println("roadie wal-fetch: warning: " + note);
        }
        return 0;
      }
    } catch (Exception e) {
      Throwable t = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
      System.err.println(
          "roadie wal-fetch: "
              + name
              + ": "
              + t.getMessage()
              + " (exit "
              + FATAL
              + ": PostgreSQL stops recovery rather than end it here; fix this and start the server again)");
      return FATAL;
    }
  }
}
