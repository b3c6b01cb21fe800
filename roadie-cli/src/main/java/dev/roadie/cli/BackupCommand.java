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
  static final String SAY_WHAT =
      "say what to back up: 'roadie backup file PATH...', 'roadie backup postgres --url URL', "
          + "'roadie backup redis --url URL', 'roadie backup bucket s3://BUCKET' or 'roadie backup k8s --namespace NS'";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), SAY_WHAT);
  }

  /**
   * The message for {@code roadie backup ARG} whose ARG is no kind of source (a path, as restic
   * takes it).
   */
  static String notAKind(String arg) {
    return "'" + arg + "' is not a kind of source; " + SAY_WHAT;
  }
}
