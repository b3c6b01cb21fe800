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

@Command(
    name = "config",
    description = "Work with the agent's config file (roadie.yaml).",
    subcommands = {ConfigCommand.Check.class, ConfigCommand.RenderCronJobs.class})
final class ConfigCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "a subcommand is required: check or render-cronjobs");
  }

  @Command(
      name = "check",
      description = {
        "Check a config: its schema, its values, and that the files it names exist; reaches no server.",
        "Exit status 0 when it is valid, 2 when it is not (every problem is listed with its line and key)."
      })
  static final class Check implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The config (roadie.yaml).")
    Path file;

    @Override
    public Integer call() {
      AgentConfig c = ConfigLoader.load(file, System.getenv());
      // A local repository can be looked at without the network: a missing one is refused as the
      // agent
      // would refuse it, with the command that creates it.
      if (c.repository().local()
          && !Files.isRegularFile(c.repository().directory().resolve("config"))) {
        throw new RoadieException(
            ErrorCode.USAGE,
            file
                + ": no repository at "
                + c.repository().location()
                + "; create it with: "
                + c.repository().initCommand());
      }
      for (TargetConfig t : c.targets()) {
        System.out.println(
            t.name()
                + " ("
                + t.kind()
                + "): "
                + t.schedule()
                + (t.expectedInterval() != null
                    ? ", expected every " + Format.duration(t.expectedInterval())
                    : ""));
      }
      System.out.println(
          file
              + " is valid: "
              + c.targets().size()
              + (c.targets().size() == 1 ? " target" : " targets"));
      return 0;
    }
  }

  @Command(
      name = "render-cronjobs",
      description = {
        "Print the config as Kubernetes CronJobs: one per target with a cron schedule, each running",
        "'roadie run TARGET' with the same config (concurrencyPolicy Forbid, deadlines from the schedule), the config",
        "from a ConfigMap and every file it names from one Secret. Targets that are continuous or on-change are left",
        "to the agent (as a comment says)."
      })
  static final class RenderCronJobs implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The config (roadie.yaml).")
    Path file;

    @picocli.CommandLine.Option(
        names = "--image",
        required = true,
        paramLabel = "IMAGE",
        description = "The roadie image.")
    String image;

    @picocli.CommandLine.Option(
        names = "--namespace",
        paramLabel = "NS",
        defaultValue = "roadie",
        description = "The CronJobs' namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @picocli.CommandLine.Option(
        names = "--config-map",
        paramLabel = "NAME",
        defaultValue = "roadie-config",
        description = "The ConfigMap with the key roadie.yaml (default: ${DEFAULT-VALUE}).")
    String configMap;

    @picocli.CommandLine.Option(
        names = "--secret",
        paramLabel = "NAME",
        defaultValue = "roadie-secrets",
        description =
            "The Secret with the files the config names, one key per file name (default: ${DEFAULT-VALUE}).")
    String secret;

    @Override
    public Integer call() {
      AgentConfig c = ConfigLoader.loadForOtherHosts(file, System.getenv());
      java.util.Set<String> names = new java.util.HashSet<>();
      for (Path f : c.files()) {
        if (!names.add(f.getFileName().toString())) {
          throw new RoadieException(
              ErrorCode.USAGE,
              file
                  + ": two files named "
                  + f.getFileName()
                  + " cannot both be "
                  + "keys of one Secret; give them different names");
        }
      }
      System.out.print(
          dev.roadie.agent.config.CronJobs.render(
              c,
              new dev.roadie.agent.config.CronJobs.Settings(
                  image, namespace, configMap, secret, "/etc/roadie/roadie.yaml")));
      return 0;
    }
  }
}
