package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalArchiver;
import dev.roadie.postgres.wal.WalFileHeader;
import dev.roadie.postgres.wal.WalNames;
import dev.roadie.postgres.wal.WalPush;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "wal-push",
    description = {
      "Archive a PostgreSQL WAL file into the repository (its archive_command).",
      "  archive_command = 'roadie wal-push %%p'",
      "Idempotent (the same file again succeeds; a different file under an archived name is refused), "
          + "compressed and encrypted. Archives other files PostgreSQL has marked ready in the same run, in parallel.",
      "With --async (archive_command = 'roadie wal-push --async %%p') a background archiver pushes ready files ahead, "
          + "and the call returns as soon as FILE is durable in the repository."
    })
final class WalPushCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description = "The WAL file (%%p: its path relative to the data directory).")
  Path file;

  @Option(
      names = "--async",
      description =
          "Acknowledge FILE once the background archiver has made it durable "
              + "(the agent's, else one the launcher starts); see docs/commands.md.")
  boolean async;

  @Option(
      names = "--archiver",
      description =
          "Run the background archiver of --async in the foreground: push the "
              + "cluster's ready WAL files ahead, until nothing has been ready for --linger (no FILE).")
  boolean archiver;

  @Option(
      names = "--linger",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "With --archiver: stop after this many seconds with nothing ready (default: ${DEFAULT-VALUE}; 0: never).")
  int linger;

  @Option(
      names = "--async-timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "With --async: fail (exit 75, PostgreSQL retries) when FILE is not archived within this time "
              + "(default: ${DEFAULT-VALUE}).")
  int asyncTimeout;

  @Option(
      names = "--pgdata",
      paramLabel = "DIR",
      description =
          "The data directory (default: the parent of the file's pg_wal directory, else the working directory).")
  Path pgdata;

  @Option(
      names = "--system-id",
      paramLabel = "ID",
      description = "The cluster's system identifier (default: read from DIR/global/pg_control).")
  String systemId;

  @Option(
      names = "--batch",
      paramLabel = "N",
      defaultValue = "16",
      description =
          "Also archive up to N other ready files in this run (default: ${DEFAULT-VALUE}; 0: only FILE).")
  int batch;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "Files archived at once (default: the number of cores).")
  Integer jobs;

  @Option(
      names = "--spool",
      paramLabel = "DIR",
      description =
          "Where markers of files archived ahead of their turn are kept (default: DATADIR/pg_wal/roadie/<repository key>).")
  Path spool;

  @Option(
      names = "--verbose",
      description = "Print one line per run: what was archived and how fast.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (archiver) return runArchiver();
    if (file == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "wal-push needs FILE: archive_command = 'roadie wal-push %p' "
              + "(or 'roadie wal-push --async %p')");
    }
    if (async) return pushAsync();
    long start = System.nanoTime();
    Path abs = file.toAbsolutePath().normalize();
    Path dataDir = dataDirectory(pgdata, abs);
    Path spoolDir = spool != null ? spool : WalPush.defaultSpool(dataDir, location(repo));
    // A marker of an earlier run is checked by the launcher script, before the JVM starts; here the
    // file is archived as usual, which accepts a file already archived with the same content.
    // A batch of ready segments is a lot of data: the native AES-GCM loads while the key is
    // derived.
    dev.roadie.core.crypto.Providers.expect(readyFiles(dataDir, batch) * (16L << 20));
    try (Repository r = repo.open()) {
      long sysid = systemId(systemId, dataDir);
      WalPush.Result res =
          new WalPush(new WalArchive(r, sysid))
              .run(
                  new WalPush.Options(
                      abs,
                      spoolDir,
                      batch,
                      jobs != null ? jobs : Runtime.getRuntime().availableProcessors()));
      for (String w : res.warnings()) {
        System.err.println("roadie wal-push: warning: " + w);
      }
      if (verbose) {
        double secs = (System.nanoTime() - start) / 1e9;
        int files = 1 + res.othersArchived();
        System.err.printf(
            "roadie wal-push: %s %s%s in %.3f s (%.1f files/s)%n",
            res.name(),
            res.result() == WalArchive.PushResult.STORED ? "archived" : "was already archived",
            res.othersArchived() > 0
                ? " with " + Plural.count(res.othersArchived(), "other ready file")
                : "",
            secs,
            files / secs);
      }
      return 0;
    }
  }

  /**
   * {@code wal-push --archiver}: the background archiver of {@code --async} without the agent, as
   * the launcher starts it. Exit 0 also when another archiver already works on this queue.
   */
  private int runArchiver() throws Exception {
    if (file != null)
      throw new RoadieException(
          ErrorCode.USAGE, "wal-push --archiver takes no FILE; pass --pgdata DIR");
    if (linger < 0)
      throw new RoadieException(
          ErrorCode.USAGE, "--linger must be 0 or more seconds, not " + linger);
    Path dataDir =
        pgdata != null ? pgdata.toAbsolutePath().normalize() : Path.of("").toAbsolutePath();
    Path spoolDir = spool != null ? spool : WalPush.defaultSpool(dataDir, location(repo));
    WalArchiver.Settings settings = archiverSettings();
    Repository r;
    long sysid;
    try {
      sysid = systemId(systemId, dataDir);
      r = repo.open();
    } catch (IOException | RuntimeException e) {
      // archive_command, waiting in the launcher, reports this and fails; PostgreSQL retries.
      WalArchiver.recordStartFailure(spoolDir, e);
      throw e;
    }
    try (r) {
      WalArchiver a =
          new WalArchiver(new WalArchive(r, sysid), dataDir.resolve("pg_wal"), spoolDir, settings);
      if (!a.runUntilIdle(Duration.ofSeconds(linger)) && verbose) {
        System.err.println(
            "roadie wal-push: another archiver works on " + WalArchiver.queueDirectory(spoolDir));
      }
      return 0;
    }
  }

  private WalArchiver.Settings archiverSettings() {
    WalArchiver.Settings d = WalArchiver.Settings.defaults();
    // --batch sizes a synchronous run's batch; the archiver takes its own, larger ones.
    return new WalArchiver.Settings(jobs != null ? jobs : d.jobs(), d.batch(), d.poll());
  }

  /**
   * {@code wal-push --async FILE} run in a JVM (the launcher answers it itself when it can): FILE
   * is acknowledged, or this process archives the ready files itself when no archiver runs, or
   * waits for the one that does.
   */
  private int pushAsync() throws Exception {
    Path abs = file.toAbsolutePath().normalize();
    String name = abs.getFileName().toString();
    if (!WalNames.isArchivable(name)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + file
              + "' is not a WAL segment, timeline history or backup "
              + "history file; use archive_command = 'roadie wal-push --async %p'");
    }
    Path dataDir = dataDirectory(pgdata, abs);
    Path spoolDir = spool != null ? spool : WalPush.defaultSpool(dataDir, location(repo));
    if (WalArchiver.acknowledged(spoolDir, abs)) return 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(Math.max(1, asyncTimeout)).toNanos();
    Repository opened = null;
    WalArchiver own = null;
    try {
      while (System.nanoTime() < deadline) {
        if (own == null && opened == null) {
          opened = repo.open();
          own =
              new WalArchiver(
                  new WalArchive(opened, systemId(systemId, dataDir)),
                  dataDir.resolve("pg_wal"),
                  spoolDir,
                  archiverSettings());
        }
        if (own.tryLock()) {
          own.archiveReady();
        }
        if (WalArchiver.acknowledged(spoolDir, abs)) return 0;
        RoadieException failed = WalArchiver.failure(spoolDir, name);
        if (failed != null) throw failed;
        Thread.sleep(20);
      }
    } finally {
      if (own != null) own.stop();
      if (opened != null) opened.close();
    }
    throw new RoadieException.Retriable(
        name
            + " was not archived within "
            + asyncTimeout
            + " s (--async-timeout): "
            + "the archiver of "
            + WalArchiver.queueDirectory(spoolDir)
            + " is busy or stuck; PostgreSQL retries",
        null);
  }

  static String location(RepoOptions repo) {
    String location = repo.location();
    if (location == null || location.isBlank()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no repository given: set ROADIE_REPOSITORY in archive_command / "
              + "restore_command (or pass --repo); see docs/runbooks/postgres-pitr.md");
    }
    return location;
  }

  /**
   * The data directory: given, else the parent of the file's pg_wal directory, else the working
   * directory.
   */
  static Path dataDirectory(Path given, Path walFile) {
    if (given != null) return given.toAbsolutePath().normalize();
    Path parent = walFile.getParent();
    if (parent != null
        && parent.getFileName() != null
        && parent.getFileName().toString().equals("pg_wal")
        && parent.getParent() != null) {
      return parent.getParent();
    }
    return Path.of("").toAbsolutePath();
  }

  static long systemId(String given, Path dataDir) throws IOException {
    if (given != null) {
      try {
        return Long.parseUnsignedLong(given);
      } catch (NumberFormatException e) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--system-id "
                + given
                + " is not a system identifier "
                + "(the decimal number pg_controldata prints as 'Database system identifier')");
      }
    }
    if (!Files.isReadable(dataDir.resolve("global/pg_control"))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "cannot read "
              + dataDir.resolve("global/pg_control")
              + " for the cluster's system identifier: run in the data directory (PostgreSQL does), or pass --pgdata DIR "
              + "or --system-id ID");
    }
    return WalFileHeader.systemIdOfDataDirectory(dataDir);
  }

  /**
   * How many files PostgreSQL has marked ready, at most {@code max} + 1 (0 when it cannot tell).
   */
  private static int readyFiles(Path dataDir, int max) {
    int n = 0;
    try (var ds = Files.newDirectoryStream(dataDir.resolve("pg_wal/archive_status"), "*.ready")) {
      for (Path unused : ds) {
        if (++n > max) break;
      }
    } catch (IOException e) {
      return 0;
    }
    return n;
  }
}
