package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * Commands DESIGN.md plans that are not built yet. They are commands of their own so
 * that {@code roadie verify} or {@code roadie agent} says so plainly, with what to use
 * meanwhile, instead of "unmatched argument". Each is replaced by the real command when it is built.
 */
final class PlannedCommands {
  private PlannedCommands() {}

  /** Refuses a planned command with what it will do and what to do meanwhile. */
  private static Integer commandNotBuilt(String command, String what, String meanwhile) {
    throw new RoadieException(ErrorCode.USAGE, "'roadie " + command + "' (" + what + ") is not built yet in this "
        + "version of roadie; meanwhile " + meanwhile);
  }

  @Command(name = "agent", description = "Not built yet: schedules, retention, verification, metrics and a dashboard from one config file (planned).")
  static final class Agent implements Callable<Integer> {
    @Unmatched List<String> ignored = new ArrayList<>();

    @Override
    public Integer call() {
      return commandNotBuilt("agent", "schedules, retention, verification, metrics and a dashboard from one config file",
          "run the commands from cron, systemd timers or Kubernetes CronJobs ('roadie backup ...', "
              + "'roadie forget --keep-daily 7 --prune', 'roadie check --read-data-subset 10%'); their exit status tells "
              + "success (docs/commands.md, Exit codes)");
    }
  }
}
