package dev.roadie.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "diff", description = "Compare what a source has with something else.",
    subcommands = {KubernetesDiffCommand.class})
final class DiffCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "say what to compare: 'roadie diff k8s (SNAPSHOT | --live) --against DIR' compares a Kubernetes cluster, "
            + "live or as a snapshot recorded it, with the manifests in DIR (comparing two snapshots is not built yet)");
  }
}
