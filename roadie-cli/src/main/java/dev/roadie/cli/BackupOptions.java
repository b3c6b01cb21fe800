package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every {@code backup KIND} takes. */
final class BackupOptions {
  @Option(
      names = "--target",
      paramLabel = "NAME",
      description =
          "Name of what is backed up; snapshots of one target form its history (default depends on the kind).")
  String target;

  @Option(names = "--tag", paramLabel = "TAG", description = "Tag the snapshot (repeatable).")
  List<String> tags = new ArrayList<>();

  @Option(
      names = "--time",
      paramLabel = "ISO-8601",
      description =
          "Snapshot time, e.g. 2026-01-31T02:00:00+01:00 (default: now). For imports and tests.")
  String time;

  @Option(names = "--json", description = "Print the new snapshot as JSON.")
  boolean json;

  String snapshotTime() {
    if (time == null) {
      return OffsetDateTime.now(ZoneId.systemDefault())
          .truncatedTo(ChronoUnit.MILLIS)
          .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
    try {
      return OffsetDateTime.parse(time).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--time "
              + time
              + " is not an ISO-8601 time with an offset, such as 2026-01-31T02:00:00Z");
    }
  }

  List<String> tags() {
    for (String t : tags) {
      if (t.isBlank() || t.contains(",")) {
        throw new RoadieException(
            ErrorCode.USAGE, "tag '" + t + "' must be non-empty and contain no comma");
      }
    }
    return List.copyOf(tags);
  }
}
