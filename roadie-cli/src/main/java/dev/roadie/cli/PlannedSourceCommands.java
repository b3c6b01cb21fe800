package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * Sources DESIGN.md plans that are not built yet. They are commands of their own so that
 * {@code roadie backup k8s ...} says so plainly, with what to use meanwhile, instead of
 * "unmatched argument".
 */
final class PlannedSourceCommands {
  private PlannedSourceCommands() {}

  /** Refuses with what is not built and what to put in a directory meanwhile. */
  private static Integer notBuilt(String what, String meanwhile) {
    throw new RoadieException(ErrorCode.USAGE, "backing up " + what + " is not built yet in this version of roadie; "
        + "meanwhile " + meanwhile + " and back that up with 'roadie backup file DIR'");
  }

  @Command(name = "k8s", description = "Not built yet: Kubernetes resources (planned; see docs/commands.md).")
  static final class Kubernetes implements Callable<Integer> {
    @Unmatched List<String> ignored = new ArrayList<>();

    @Override
    public Integer call() {
      return notBuilt("Kubernetes resources",
          "export them to a directory (for example 'kubectl get -o yaml' per namespace, or Velero)");
    }
  }
}
