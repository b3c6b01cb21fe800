package dev.roadie.cli;

import dev.roadie.agent.Agent;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.job.RepositoryOpener;
import dev.roadie.agent.job.TargetJob;
import dev.roadie.core.Redact;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.dashboard.DashboardHandler;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.StatusReader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "agent",
    description = {
      "Run every target's schedule from one config file (roadie.yaml): backups, retention, copies to the second region",
      "and verifications, in this process; Prometheus metrics, /healthz, /readyz and /api/v1/status over HTTP;",
      "webhook notifications. Ends cleanly on SIGTERM or SIGINT: running jobs finish, no half snapshot.",
      "The config's reference is docs/agent.md."
    })
final class AgentCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "The agent's config (roadie.yaml).")
  Path config;

  @Option(
      names = "--metrics-only",
      description =
          "Run no job: serve the metrics and status of the repository, rebuilt "
              + "from its snapshots and run records every minute (for jobs run as CronJobs with 'roadie run').")
  boolean metricsOnly;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description =
          "On SIGTERM, how long running jobs may take to finish (default: ${DEFAULT-VALUE}).")
  String grace;

  /**
   * The dashboard's reader ({@code roadie-dashboard}), over its own open repository: the dashboard
   * reads snapshots and records, re-listed every few seconds, never packs a prune may have removed.
   * The agent adds each target's schedule, its last failure and the jobs running now with their
   * progress; the config's second region, when it names one, gives the repository page its copy
   * lag.
   */
  static StatusReader dashboard(Agent agent, AgentConfig c, Repository repo) {
    Map<String, Duration> intervals = new HashMap<>();
    for (TargetConfig t : c.targets()) {
      if (t.expectedInterval() != null) intervals.put(t.name(), t.expectedInterval());
    }
    ScheduleProvider schedules =
        ScheduleProvider.of(
            () -> {
              Map<String, ScheduleProvider.Schedule> out = new LinkedHashMap<>();
              for (Agent.TargetState t : agent.targets()) {
                ScheduleProvider.Failure failed =
                    Boolean.FALSE.equals(t.lastOk()) && t.lastRun() != null
                        ? new ScheduleProvider.Failure(
                            t.lastRun(), t.lastError() == null ? "failed" : t.lastError())
                        : null;
                out.put(
                    t.name(),
                    new ScheduleProvider.Schedule(
                        t.kind(), t.schedule(), t.nextRun(), t.expectedInterval(), null, failed));
              }
              return out;
            },
            () -> agent.running().stream().map(AgentCommand::runningJob).toList());
    StatusReader.SecondRegion second = null;
    if (c.copyTo() != null) {
      Set<String> copied = new HashSet<>();
      for (TargetConfig t : c.targets()) if (t.copy()) copied.add(t.name());
      second =
          new StatusReader.SecondRegion(
              Redact.url(c.copyTo().location()), () -> RepositoryOpener.open(c.copyTo()), copied);
    }
    return new StatusReader(
        repo, new StatusReader.Options(intervals, schedules, Clock.systemUTC(), second));
  }

  /**
   * A running job as the dashboard shows it: during the backup, the file (table, object) it reads
   * and how far it is when the source knows its size; then the step after it.
   */
  private static ScheduleProvider.RunningJob runningJob(TargetJob.Running r) {
    Progress p = r.progress();
    long read = p.bytesRead.get();
    long expected = p.expectedBytes.get();
    boolean backup = r.step().equals("backup");
    return new ScheduleProvider.RunningJob(
        r.target().name(),
        r.target().kind(),
        "backup",
        r.started(),
        backup ? p.current : r.step(),
        backup && expected > 0 ? Math.min(1.0, (double) read / expected) : null,
        read,
        p.files.get());
  }

  @Override
  public Integer call() throws Exception {
    Duration graceFor = PruneOptions.duration("--grace", grace);
    AgentConfig c = ConfigLoader.load(config, System.getenv());
    Agent agent =
        new Agent(c, Agent.Options.of(VersionCommand.VERSION, metricsOnly, AgentCommand::log));
    // A signal handler rather than a shutdown hook: a hook runs once the JVM is already exiting,
    // racing the jobs it should wait for. Installed before anything starts, so no signal finds
    // none.
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> agent.requestStop());
    }
    Repository dashboardRepo = RepositoryOpener.open(c.repository());
    StatusReader dashboard = dashboard(agent, c, dashboardRepo);
    agent.start(new DashboardHandler(dashboard));
    log(
        (metricsOnly
                ? "serving the metrics of "
                : "running " + c.targets().size() + " targets into ")
            + c.repository().location());
    agent.runUntilStopped();
    log("stopping: waiting for running jobs (at most " + grace + ")");
    boolean clean = agent.stop(graceFor);
    dashboard.close();
    dashboardRepo.close();
    log(
        clean
            ? "stopped"
            : "stopped with jobs still running after " + grace + ": they wrote no snapshot");
    return clean ? 0 : dev.roadie.core.ErrorCode.FAILURE.exitCode();
  }

  static void log(String line) {
    System.err.println(
        Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + " roadie agent: "
            + line);
  }
}
