package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalFetch;
import dev.roadie.postgres.wal.WalPrefetcher;
import dev.roadie.postgres.wal.WalPush;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
      "While PostgreSQL replays a segment fetched here, a background process fetches the next ones "
          + "into a spool directory, from which the following calls are answered without opening the repository."
    })
final class WalFetchCommand implements Callable<Integer> {
  /**
   * PostgreSQL treats an exit status above 125 from restore_command as fatal, anything else as "not
   * archived".
   */
  static final int FATAL = 126;

  private static final String PREFETCHER_HEAP = "-Xmx384m";

  @Mixin RepoOptions repo;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file's name (%%f).")
  String name;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "DEST",
      description = "Where to write it (%%p).")
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
      description =
          "Segments fetched ahead and kept in the spool (default: ${DEFAULT-VALUE}; 0: none). "
              + "They take N x the segment size of disk in the data directory's file system.")
  int prefetch;

  /** Run as the background prefetcher after NAME (started by a wal-fetch that fetched NAME). */
  @Option(names = "--prefetcher", hidden = true)
  boolean prefetcher;

  @Option(names = "--segment-size", hidden = true)
  long segmentSize;

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
      Path spoolDir =
          spool != null ? spool : WalPush.defaultSpool(dataDir, WalPushCommand.location(repo));
      if (prefetcher) return prefetch(spoolDir);
      if (destination == null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "wal-fetch needs NAME and DEST: restore_command = 'roadie wal-fetch %f %p'");
      }
      Path dest = destination.toAbsolutePath();
      if (WalFetch.fromSpool(spoolDir, name, dest)) {
        return 0;
      }
      long sysid = WalPushCommand.systemId(systemId, dataDir);
      WalFetch.Result fetched;
      try (Repository r = repo.open()) {
        fetched =
            new WalFetch(new WalArchive(r, sysid)).run(new WalFetch.Options(name, dest, spoolDir));
      }
      if (!fetched.found()) {
        return 1;
      }
      if (!fetched.note().isEmpty()) {
        System.err.println("roadie wal-fetch: warning: " + fetched.note());
      }
      if (prefetch > 0 && fetched.segmentSize() > 0) {
        // The file is written: prefetching is only speed, and its failure must not stop recovery.
        try {
          WalPrefetcher.position(spoolDir, name);
          if (!WalPrefetcher.running(spoolDir))
            startPrefetcher(spoolDir, sysid, fetched.segmentSize());
        } catch (IOException | RuntimeException e) {
          System.err.println(
              "roadie wal-fetch: warning: no prefetching ("
                  + e.getMessage()
                  + "); each segment is fetched when PostgreSQL asks for it");
        }
      }
      return 0;
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

  /**
   * Starts the background prefetcher after NAME, in a session of its own (PostgreSQL waits for
   * restore_command, not for it), its output in the spool. A failure to start it costs only speed.
   */
  private void startPrefetcher(Path spoolDir, long sysid, long size) {
    List<String> cmd = new ArrayList<>();
    cmd.add("setsid");
    cmd.addAll(Relaunch.command());
    cmd.addAll(
        List.of(
            "wal-fetch",
            "--prefetcher",
            "--repo=" + WalPushCommand.location(repo),
            "--spool=" + spoolDir,
            "--system-id=" + Long.toUnsignedString(sysid),
            "--prefetch=" + prefetch,
            "--segment-size=" + size));
    cmd.addAll(repo.backendArguments());
    if (repo.passwordFile != null)
      cmd.add("--password-file=" + repo.passwordFile.toAbsolutePath().normalize());
    cmd.add(name);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(spoolDir.resolve("prefetch/prefetcher.log").toFile());
    // It runs on the database host beside PostgreSQL: a heap for its few segments in flight, not
    // the JVM's default share of the machine (the user's own ROADIE_JAVA_OPTS still come after).
    pb.environment().merge("ROADIE_JAVA_OPTS", PREFETCHER_HEAP, (user, ours) -> ours + " " + user);
    try {
      pb.start();
    } catch (IOException e) {
      System.err.println(
          "roadie wal-fetch: warning: the background prefetcher did not start ("
              + e.getMessage()
              + "); each segment is fetched when PostgreSQL asks for it");
    }
  }

  /** {@code --prefetcher}: fetches ahead of NAME until recovery stops taking segments. */
  private int prefetch(Path spoolDir) throws Exception {
    if (segmentSize <= 0 || prefetch <= 0) {
      throw new RoadieException(
          ErrorCode.USAGE, "--prefetcher needs --segment-size and --prefetch");
    }
    long sysid = WalPushCommand.systemId(systemId, Path.of("").toAbsolutePath());
    try (Repository r = repo.open();
        WalPrefetcher p =
            new WalPrefetcher(
                new WalArchive(r, sysid), spoolDir, WalPrefetcher.Settings.of(prefetch))) {
      if (p.tryLock()) p.run(name, segmentSize);
    }
    return 0;
  }
}
