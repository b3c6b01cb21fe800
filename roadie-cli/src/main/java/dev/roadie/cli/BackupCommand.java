package dev.roadie.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "backup", description = "Back up a source into the repository.",
    subcommands = {FileBackupCommand.class, PostgresBackupCommand.class, RedisBackupCommand.class,
        PlannedSourceCommands.Bucket.class, KubernetesBackupCommand.class})
final class BackupCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "say what to back up: 'roadie backup file PATH...', 'roadie backup postgres --url URL' or "
            + "'roadie backup redis --url URL' or 'roadie backup k8s --namespace NS' (bucket is not built yet)");
  }
}
