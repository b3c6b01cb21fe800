package dev.roadie.cli;

import com.sun.net.httpserver.HttpHandler;
import dev.roadie.agent.Agent;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "agent", description = {
    "Run every target's schedule from one config file (roadie.yaml): backups, retention, copies to the second region",
    "and verifications, in this process; Prometheus metrics, /healthz, /readyz and /api/v1/status over HTTP;",
    "webhook notifications. Ends cleanly on SIGTERM or SIGINT: running jobs finish, no half snapshot.",
    "The config's reference is docs/agent.md."})
final class AgentCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE", description = "The agent's config (roadie.yaml).")
  Path config;

  @Option(names = "--metrics-only", description = "Run no job: serve the metrics and status of the repository, rebuilt "
      + "from its snapshots and run records every minute (for jobs run as CronJobs with 'roadie run').")
  boolean metricsOnly;

  @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10m",
      description = "On SIGTERM, how long running jobs may take to finish (default: ${DEFAULT-VALUE}).")
  String grace;

  /**
   * The dashboard, served at {@code /} beside the API (behind the same token off loopback). Null
   * until the dashboard is built: the agent then answers {@code /} with a list of its pages.
   */
  static HttpHandler dashboard() {
    return null;
  }

  @Override
  public Integer call() throws Exception {
    Duration graceFor = PruneOptions.duration("--grace", grace);
    AgentConfig c = ConfigLoader.load(config, System.getenv());
    Agent agent = new Agent(c, Agent.Options.of(VersionCommand.VERSION, metricsOnly, AgentCommand::log));
    // A signal handler rather than a shutdown hook: a hook runs once the JVM is already exiting,
    // racing the jobs it should wait for. Installed before anything starts, so no signal finds none.
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> agent.requestStop());
    }
    agent.start(dashboard());
    log((metricsOnly ? "serving the metrics of " : "running " + c.targets().size() + " targets into ")
        + c.repository().location());
    agent.runUntilStopped();
    log("stopping: waiting for running jobs (at most " + grace + ")");
    boolean clean = agent.stop(graceFor);
    log(clean ? "stopped" : "stopped with jobs still running after " + grace + ": they wrote no snapshot");
    return clean ? 0 : dev.roadie.core.ErrorCode.FAILURE.exitCode();
  }

  static void log(String line) {
    System.err.println(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " roadie agent: " + line);
  }
}
