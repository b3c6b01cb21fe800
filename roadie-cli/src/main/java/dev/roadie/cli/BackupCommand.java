package dev.roadie.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "backup",
    description = "Back up a source into the repository.",
    subcommands = {
      FileBackupCommand.class,
      PostgresBackupCommand.class,
      RedisBackupCommand.class,
      BucketBackupCommand.class,
      KubernetesBackupCommand.class
    })
final class BackupCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "say what to back up: 'roadie backup file PATH...', 'roadie backup postgres --url URL', "
            + "'roadie backup redis --url URL', 'roadie backup bucket s3://BUCKET' or 'roadie backup k8s --namespace NS'");
  }
}
