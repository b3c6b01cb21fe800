package dev.roadie.cli;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.job.TargetJob;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.verify.RunRecord;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    description = {
      "Run one target of a config once, exactly as the agent runs it: the backup, then the retention, copy and",
      "verification its config asks for, then the run record in the repository (for a Kubernetes CronJob).",
      "Exit status: 0 success; else the failure's (1, 2, 3, 10, 12, 75 for a transient one worth retrying)."
    })
final class RunCommand implements Callable<Integer> {
  @Parameters(paramLabel = "TARGET", description = "The target's name in the config.")
  String target;

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "The agent's config (roadie.yaml).")
  Path config;

  @Option(names = "--json", description = "Print the run record as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    AgentConfig c = ConfigLoader.load(config, System.getenv());
    TargetConfig t = c.target(target);
    if (t == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          config
              + " has no target '"
              + target
              + "'; its targets are "
              + String.join(", ", c.targets().stream().map(TargetConfig::name).toList()));
    }
    RunRecord r = new TargetJob(c, line -> System.err.println("roadie: " + line)).run(t, "manual");
    if (json) {
      System.out.println(Json.writePretty(r));
    } else {
      for (RunRecord.Step s : r.steps())
        System.out.println(s.name() + ": " + s.result() + ": " + s.summary());
      System.out.println(
          t.name()
              + ": "
              + (r.succeeded() ? "success" : "failure")
              + (r.snapshot() != null ? ", snapshot " + r.snapshot().substring(0, 8) : "")
              + (r.attempts() > 1 ? " after " + r.attempts() + " tries" : ""));
    }
    if (r.succeeded()) return 0;
    System.err.println("roadie: " + r.error());
    return ErrorCode.valueOf(r.errorCode()).exitCode();
  }
}
