package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.wal.WalStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "wal-stream",
    description = {
      "Receive a PostgreSQL cluster's WAL over streaming replication into the repository, continuously.",
      "An RPO of about a second instead of a segment or archive_timeout. Runs until SIGTERM or Ctrl-C, then "
          + "stores what it holds. Reconnects after lost connections and resumes where the archive ends.",
      "The user needs the REPLICATION attribute; pg_hba.conf needs a 'replication' line for it."
    })
final class WalStreamCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description =
          "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, with ?sslmode=require and such when needed (DB is only used to connect).")
  String url;

  @Option(
      names = "--slot",
      paramLabel = "NAME",
      defaultValue = "roadie",
      description = "Physical replication slot (created when missing; default: ${DEFAULT-VALUE}).")
  String slot;

  @Option(
      names = "--no-slot",
      description = "Stream without a slot: the server may recycle WAL while roadie is down.")
  boolean noSlot;

  @Option(
      names = "--flush-interval",
      paramLabel = "DURATION",
      defaultValue = "500ms",
      description =
          "Longest time received WAL waits in memory before it is stored (default: ${DEFAULT-VALUE}).")
  String flushInterval;

  @Override
  public Integer call() throws Exception {
    PgConn conn = PgConn.parse(url);
    Duration flush = duration(flushInterval);
    try (Repository r = repo.open()) {
      WalStream stream =
          new WalStream(
              conn,
              r,
              new WalStream.Options(
                  noSlot ? null : slot,
                  flush,
                  Duration.ofSeconds(5),
                  line ->
                      System.err.println(
                          Instant.now().toString().substring(0, 19)
                              + "Z roadie wal-stream: "
                              + line)));
      // Signal handlers rather than a shutdown hook (as the agent's): the stream stores what it
      // holds and run() returns, so the command exits 0, as a service manager expects of a clean
      // stop.
      for (String name : List.of("TERM", "INT")) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stream.stop());
      }
      stream.run();
      return 0;
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s)");

  static Duration duration(String text) {
    Matcher m = DURATION.matcher(text.strip());
    if (!m.matches()) {
      throw new RoadieException(
          ErrorCode.USAGE, "--flush-interval " + text + " is not a duration such as 500ms or 2s");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
    if (d.toMillis() < 10 || d.toSeconds() > 60) {
      throw new RoadieException(ErrorCode.USAGE, "--flush-interval must be from 10ms to 60s");
    }
    return d;
  }
}
