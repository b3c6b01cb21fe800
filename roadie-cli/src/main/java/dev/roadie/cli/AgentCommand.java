package dev.roadie.cli;

import com.sun.net.httpserver.HttpHandler;
import dev.roadie.agent.Agent;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.job.RepositoryOpener;
import dev.roadie.core.repo.Repository;
import dev.roadie.dashboard.DashboardHandler;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.StatusReader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
   * The dashboard ({@code roadie-dashboard}), served at {@code /} beside the API (behind the same
   * token off loopback), over its own open repository: the dashboard reads snapshots and records,
   * re-listed every few seconds, never packs a prune may have removed.
   */
  static HttpHandler dashboard(Agent agent, AgentConfig c, Repository repo) {
    Map<String, Duration> intervals = new HashMap<>();
    for (TargetConfig t : c.targets()) {
      if (t.expectedInterval() != null) intervals.put(t.name(), t.expectedInterval());
    }
    // The agent does not report its jobs' progress yet: no running jobs.
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
            });
    return new DashboardHandler(
        new StatusReader(repo, new StatusReader.Options(intervals, schedules, Clock.systemUTC())));
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
    agent.start(dashboard(agent, c, dashboardRepo));
    log(
        (metricsOnly
                ? "serving the metrics of "
                : "running " + c.targets().size() + " targets into ")
            + c.repository().location());
    agent.runUntilStopped();
    log("stopping: waiting for running jobs (at most " + grace + ")");
    boolean clean = agent.stop(graceFor);
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
