package dev.roadie.cli;

import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.WebhookConfig;
import dev.roadie.agent.notify.Notifier;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.verify.Age;
import dev.roadie.core.verify.Drill;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.Records;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.physical.PhysicalBackup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "drill",
    description = {
      "Rehearse a disaster and measure it: every target of the scenario recovered into scratch space roadie sets up,",
      "verified as 'roadie verify' does, with its recovery time (RTO) and recovery point (RPO) held to its objectives;",
      "the report is stored in the repository. Scenarios: database-corruption (point-in-time recovery of PostgreSQL",
      "targets), region-outage (every target from the second region's repository, --from), complete-loss (every",
      "target from nothing but the repository's location and password).",
      "Exit 0 when every target meets its objectives, 1 when one misses, 3 when the repository is damaged."
    })
final class DrillCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin VerifyCommand.ScratchOptions scratch;

  @Parameters(
      index = "0",
      paramLabel = "SCENARIO",
      description = "database-corruption, region-outage or complete-loss.")
  String scenario;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "roadie's YAML config: the targets and their objectives, the second region, scratch servers,"
              + " and the webhooks told when a target's drills start failing or pass again.")
  Path config;

  @Option(
      names = "--at",
      paramLabel = "TIME",
      description =
          "database-corruption: the point in time to recover to, before the damage (ISO-8601 with offset; "
              + "default: 5 minutes before the drill starts).")
  String at;

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description = "Only this target (repeatable; default: every target).")
  List<String> of = new ArrayList<>();

  @Option(
      names = "--rpo",
      paramLabel = "DURATION",
      description = "Recovery point objective of every target (e.g. 1h).")
  String rpo;

  @Option(
      names = "--rto",
      paramLabel = "DURATION",
      description = "Recovery time objective of every target (e.g. 30m).")
  String rto;

  @Option(
      names = "--from",
      paramLabel = "LOCATION",
      description =
          "region-outage: the second region's repository (the 'copy' destination); default: the config's.")
  String from;

  @Option(
      names = "--from-password-file",
      paramLabel = "FILE",
      description =
          "region-outage: password file of the second region's repository (default: this repository's).")
  Path fromPasswordFile;

  @Option(
      names = "--from-s3-endpoint",
      paramLabel = "URL",
      description = "region-outage: S3-compatible endpoint of an s3://BUCKET/PREFIX second region.")
  String fromS3Endpoint;

  @Option(names = "--json", description = "Print the report as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Drill.Scenario s = Drill.Scenario.parse(scenario);
    DrillConfig cfg = config == null ? null : DrillConfig.read(config);
    // The config's webhooks hear of the drill's result (docs/agent.md, notifications).
    List<WebhookConfig> hooks =
        config == null ? List.of() : ConfigLoader.notifications(config, System.getenv());
    Instant start = Instant.now();
    Instant requested = start;
    if (s == Drill.Scenario.DATABASE_CORRUPTION) {
      requested = at != null ? time("--at", at) : start.minus(Duration.ofMinutes(5));
    } else if (at != null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--at is the point a database-corruption drill recovers to; a "
              + s.id
              + " drill recovers to the newest point");
    }
    DrillRecord.Objective defaults = s.objective();
    if (cfg != null && cfg.scenarioObjectives().containsKey(s.id))
      defaults = cfg.scenarioObjectives().get(s.id);
    if (rpo != null || rto != null) {
      defaults =
          new DrillRecord.Objective(
              rpo != null ? PruneOptions.duration("--rpo", rpo).toSeconds() : defaults.rpoSeconds(),
              rto != null
                  ? PruneOptions.duration("--rto", rto).toSeconds()
                  : defaults.rtoSeconds());
    }
    List<String> targets = !of.isEmpty() ? of : cfg != null ? cfg.targets() : null;
    Map<String, DrillRecord.Objective> objectives = new LinkedHashMap<>();
    if (cfg != null && targets != null && rpo == null && rto == null) {
      for (String t : targets) {
        DrillRecord.Objective o = cfg.objective(s.id, t);
        if (o != null) objectives.put(t, o);
      }
    }
    if (cfg != null) {
      if (scratch.dir == null) scratch.dir = cfg.scratchDirectory();
      if (scratch.postgresServer == null) scratch.postgresServer = cfg.scratchPostgres();
      if (scratch.pgBin == null) scratch.pgBin = cfg.pgBin();
      if (scratch.redisServer == null) scratch.redisServer = cfg.redisServer();
    }
    // The repository is opened after the start: in a real recovery, reaching it is part of the
    // time.
    String location;
    char[] password;
    Backend backend;
    java.util.function.Supplier<Backend> reopen;
    List<String> backendArguments;
    if (s == Drill.Scenario.REGION_OUTAGE) {
      location = from != null ? from : cfg != null ? cfg.secondRepository() : null;
      if (location == null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "a region-outage drill restores from the second region's "
                + "repository alone: give it with --from LOCATION (or secondRegion.repository in --config)");
      }
      Path pwFile =
          fromPasswordFile != null
              ? fromPasswordFile
              : cfg != null ? cfg.secondPasswordFile() : null;
      password =
          pwFile != null
              ? RepoOptions.readPasswordFile(pwFile)
              : repo.password("repository password: ");
      String endpoint =
          fromS3Endpoint != null ? fromS3Endpoint : cfg != null ? cfg.secondS3Endpoint() : null;
      String where = location;
      reopen =
          () ->
              RepoOptions.backend(
                  where,
                  endpoint,
                  "--from-s3-endpoint",
                  null,
                  "--from-profile",
                  null,
                  "--from-s3-ca-file");
      backend = reopen.get();
      backendArguments = endpoint == null ? List.of() : List.of("--s3-endpoint=" + endpoint);
    } else {
      location = repo.location();
      password = repo.password("repository password: ");
      backend = repo.backend();
      reopen = repo::backend;
      backendArguments = repo.backendArguments();
    }
    ScratchRestoreCommand restoreCommand =
        new ScratchRestoreCommand(location, backendArguments, password);
    // Never the early-opened repository (EarlyOpen): a complete-loss drill starts from nothing.
    try (Repository r = CommandAudit.track(Repository.open(backend, password), reopen)) {
      r.io().submit(r::index);
      List<SnapshotRef> all = r.snapshots(null);
      Set<String> kinds =
          s == Drill.Scenario.DATABASE_CORRUPTION
              ? Set.of(PostgresBackup.KIND, PhysicalBackup.KIND)
              : null;
      Drill.Plan plan =
          new Drill.Plan(
              s,
              start,
              requested,
              kind -> kinds == null || kinds.contains(kind),
              targets,
              objectives,
              defaults,
              scratch.dir,
              (ref, point) ->
                  scratch.options(
                      ref,
                      s == Drill.Scenario.DATABASE_CORRUPTION ? point.toString() : null,
                      restoreCommand),
              dev.roadie.core.Redact.url(location),
              json ? null : line -> System.err.println(line));
      DrillRecord record = new Drill(r, plan).run(all);
      if (!hooks.isEmpty()) notify(r, record, hooks);
      if (json) {
        System.out.println(Json.writePretty(record));
      } else {
        print(record);
      }
      boolean damaged =
          record.targets().stream()
              .flatMap(t -> t.checks().stream())
              .anyMatch(c -> Check.DAMAGED.equals(c.status()));
      if (damaged) return ErrorCode.INTEGRITY.exitCode();
      return record.pass() ? 0 : ErrorCode.FAILURE.exitCode();
    }
  }

  /**
   * Sends the drill's result to the webhooks: a target whose drills of this scenario start failing,
   * or pass again, as the earlier drill records in the repository tell; one message per change.
   */
  private static void notify(Repository r, DrillRecord record, List<WebhookConfig> hooks) {
    Notifier notifier = new Notifier(hooks, line -> System.err.println("roadie: " + line));
    try {
      for (Records.Stored<DrillRecord> earlier : Records.drills(r, new ArrayList<>())) {
        DrillRecord d = earlier.record();
        boolean self =
            d.started().equals(record.started())
                && d.scenario().equals(record.scenario())
                && java.util.Objects.equals(d.host(), record.host());
        if (!self) notifier.knownDrill(d);
      }
    } catch (java.io.IOException | RuntimeException e) {
      // Without the history every failing target is reported: better twice than not at all.
      System.err.println(
          "roadie: earlier drills could not be read (" + e.getMessage() + "); notifying anyway");
    }
    notifier.drill(record);
    notifier.close();
  }

  /**
   * An ISO-8601 time with an offset ({@code 2026-11-24T07:31:50Z}, {@code 2026-11-24
   * 08:31:50+01:00}).
   */
  static Instant time(String option, String text) {
    try {
      return java.time.OffsetDateTime.parse(
              text.trim().replaceFirst("^(\\d{4}-\\d\\d-\\d\\d) ", "$1T"))
          .toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          option
              + " "
              + text
              + " is not a time with an offset, such as "
              + "2026-11-24T07:31:50Z or '2026-11-24 08:31:50+01:00'");
    }
  }

  private static void print(DrillRecord d) {
    System.out.println(
        d.scenario()
            + " drill from "
            + d.repository()
            + ", recovering to "
            + d.requestedPoint()
            + ":");
    Table t = new Table("TARGET", "KIND", "SNAPSHOT", "RTO>", "RPO>", "OBJECTIVE", "RESULT");
    for (DrillRecord.Target x : d.targets()) {
      t.row(
          x.target(),
          x.kind(),
          x.snapshot() == null ? "-" : x.snapshot().substring(0, 8),
          Age.text(Duration.ofMillis(Math.round(x.rtoSeconds() * 1000))),
          x.rpoSeconds() == null
              ? "-"
              : Age.text(Duration.ofMillis(Math.round(x.rpoSeconds() * 1000))),
          "RPO "
              + Age.text(Duration.ofSeconds(x.objective().rpoSeconds()))
              + ", RTO "
              + Age.text(Duration.ofSeconds(x.objective().rtoSeconds())),
          x.pass() ? "pass" : "FAIL");
      for (Check c : x.checks()) {
        if (c.failed()) t.line("    " + c.name() + ": " + c.summary());
      }
      for (String n : x.notes()) t.line("    " + n);
    }
    System.out.print(t.render(""));
    System.out.println(
        "total: RTO "
            + Age.text(Duration.ofMillis(Math.round(d.rtoSeconds() * 1000)))
            + ", RPO "
            + (d.rpoSeconds() == null
                ? "unknown"
                : Age.text(Duration.ofMillis(Math.round(d.rpoSeconds() * 1000))))
            + ": "
            + (d.pass() ? "every target met its objectives" : "objectives missed"));
  }
}
