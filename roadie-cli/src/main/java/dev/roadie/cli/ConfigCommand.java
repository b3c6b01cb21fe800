package dev.roadie.cli;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "config", description = "Work with the agent's config file (roadie.yaml).",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: check");
  }

  @Command(name = "check", description = {
      "Check a config: its schema, its values, and that the files it names exist; reaches no server.",
      "Exit status 0 when it is valid, 2 when it is not (every problem is listed with its line and key)."})
  static final class Check implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The config (roadie.yaml).")
    Path file;

    @Override
    public Integer call() {
      AgentConfig c = ConfigLoader.load(file, System.getenv());
      // A local repository can be looked at without the network: a missing one is refused as the agent
      // would refuse it, with the command that creates it.
      if (c.repository().local() && !Files.isRegularFile(c.repository().directory().resolve("config"))) {
        throw new RoadieException(ErrorCode.USAGE, file + ": no repository at " + c.repository().location()
            + "; create it with: " + c.repository().initCommand());
      }
      for (TargetConfig t : c.targets()) {
        System.out.println(t.name() + " (" + t.kind() + "): " + t.schedule()
            + (t.expectedInterval() != null ? ", expected every " + Format.duration(t.expectedInterval()) : ""));
      }
      System.out.println(file + " is valid: " + c.targets().size() + (c.targets().size() == 1 ? " target" : " targets"));
      return 0;
    }
  }
}
