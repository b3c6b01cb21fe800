package dev.roadie.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "backup", description = "Back up a source into the repository.",
    subcommands = {FileBackupCommand.class, PostgresBackupCommand.class, RedisBackupCommand.class,
        BucketBackupCommand.class, PlannedCommands.Kubernetes.class})
final class BackupCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "say what to back up: 'roadie backup file PATH...', 'roadie backup postgres --url URL', "
            + "'roadie backup redis --url URL' or 'roadie backup bucket s3://BUCKET' (k8s is not built yet)");
  }
}
