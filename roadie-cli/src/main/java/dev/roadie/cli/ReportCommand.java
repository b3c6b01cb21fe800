package dev.roadie.cli;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.job.RepositoryOpener;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.dashboard.StaticReport;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.Health;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.StatusReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "report",
    description = {
      "Write the dashboard's overview and target pages as one self-contained HTML file.",
      "Read from the repository alone: every target with its last backup and its age against the expected interval, "
          + "verifications, drills, charts of bytes and durations, and the recoverable window of physical PostgreSQL "
          + "targets. No network is needed to view it."
    })
final class ReportCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(
      names = "--html",
      paramLabel = "FILE",
      required = true,
      description = "Write the report to FILE (replaced as a whole when complete).")
  Path html;

  @Option(
      names = "--expect",
      paramLabel = "TARGET=INTERVAL",
      description =
          "How often TARGET (as its snapshots name it) is meant to be backed up, e.g. "
              + "/srv/data=1h; repeatable. Without it, the median gap between its newest snapshots is used.")
  List<String> expect = List.of();

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The agent's config (roadie.yaml): each target's kind, schedule and expected interval (--expect "
              + "overrides one), and the repository when neither --repo nor $ROADIE_REPOSITORY names one.")
  Path config;

  @Override
  public Integer call() throws Exception {
    Map<String, Duration> intervals = new LinkedHashMap<>();
    for (String e : expect) {
      int eq = e.lastIndexOf('=');
      if (eq <= 0) {
        throw new RoadieException(
            ErrorCode.USAGE, "--expect " + e + ": use TARGET=INTERVAL, e.g. /srv/data=1h");
      }
      Duration d = PruneOptions.duration("--expect " + e.substring(0, eq), e.substring(eq + 1));
      if (d.isZero())
        throw new RoadieException(
            ErrorCode.USAGE, "--expect " + e + ": the interval must be above 0");
      intervals.put(e.substring(0, eq), d);
    }
    AgentConfig agentConfig = config == null ? null : ConfigLoader.load(config, System.getenv());
    Map<String, ScheduleProvider.Schedule> schedules = new LinkedHashMap<>();
    if (agentConfig != null) {
      for (TargetConfig t : agentConfig.targets()) {
        if (t.expectedInterval() != null) intervals.putIfAbsent(t.name(), t.expectedInterval());
        schedules.put(
            t.name(),
            new ScheduleProvider.Schedule(
                t.kind(), t.schedule().toString(), null, intervals.get(t.name()), null, null));
      }
    }
    ScheduleProvider fromConfig = ScheduleProvider.of(() -> schedules);
    try (Repository r =
        agentConfig != null && repo.location() == null
            ? RepositoryOpener.open(agentConfig.repository())
            : repo.open()) {
      StatusReader reader =
          new StatusReader(r, new StatusReader.Options(intervals, fromConfig, Clock.systemUTC()));
      DashboardStatus status = reader.read();
      byte[] page = StaticReport.html(status).getBytes(StandardCharsets.UTF_8);
      Path target = html.toAbsolutePath();
      Path dir = target.getParent();
      if (dir != null && !Files.isDirectory(dir)) {
        throw new RoadieException(
            ErrorCode.USAGE, "--html " + html + ": directory " + dir + " does not exist");
      }
      Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      try {
        Files.write(tmp, page);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      for (String p : status.problems())
        System.err.println("roadie: warning: " + p + " (run 'roadie check')");
      long failing = status.targets().stream().filter(t -> t.health() == Health.FAIL).count();
      long late = status.targets().stream().filter(t -> t.health() == Health.WARN).count();
      System.out.println(
          "wrote "
              + html
              + ": "
              + Plural.count(status.targets().size(), "target")
              + " ("
              + failing
              + " failing, "
              + late
              + " late), "
              + Files.size(target) / 1024
              + " KiB");
      return 0;
    }
  }
}
