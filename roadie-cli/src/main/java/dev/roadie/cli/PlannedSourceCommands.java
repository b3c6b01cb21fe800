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
 * {@code roadie backup bucket ...} says so plainly, with what to use meanwhile, instead of
 * "unmatched argument".
 */
final class PlannedSourceCommands {
  private PlannedSourceCommands() {}

  /** Refuses with what is not built and what to put in a directory meanwhile. */
  private static Integer notBuilt(String what, String meanwhile) {
    throw new RoadieException(ErrorCode.USAGE, "backing up " + what + " is not built yet in this version of roadie; "
        + "meanwhile " + meanwhile + " and back that up with 'roadie backup file DIR'");
  }

  @Command(name = "bucket", description = "Not built yet: snapshots of S3/MinIO buckets (planned; see docs/commands.md).")
  static final class Bucket implements Callable<Integer> {
    @Unmatched List<String> ignored = new ArrayList<>();

    @Override
    public Integer call() {
      return notBuilt("S3/MinIO buckets", "mirror the bucket to a directory (rclone sync or mc mirror)");
    }
  }
}
