package dev.roadie.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "backup", description = "Back up a source into the repository.",
    subcommands = {FileBackupCommand.class, PostgresBackupCommand.class})
final class BackupCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "say what to back up: 'roadie backup file PATH...' or 'roadie backup postgres --url URL' (redis, bucket and k8s come in later releases)");
  }
}
