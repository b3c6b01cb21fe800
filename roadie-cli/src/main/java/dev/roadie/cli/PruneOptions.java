package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.prune.Pruner;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The options of {@code prune}, also taken by {@code forget --prune}. */
final class PruneOptions {
  private static final Pattern DURATION = Pattern.compile("(\\d+)([dhms])");

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "24h",
      description =
          "Carry out deletion plans once they are this old (default: ${DEFAULT-VALUE}); 0 plans and "
              + "deletes at once, only for when no backup can be running. E.g. 24h, 2d, 90m, 0.")
  String grace;

  @Option(
      names = "--max-unused",
      paramLabel = "PERCENT",
      defaultValue = "10%",
      description =
          "Repack a pack when more than this share of its bytes is unused (default: ${DEFAULT-VALUE}; "
              + "100%% never repacks).")
  String maxUnused;

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      defaultValue = "0",
      description =
          "Wait up to this long for running backups that started before a plan, instead of "
              + "leaving that plan for the next prune (default: ${DEFAULT-VALUE}).")
  String waitForWriters;

  Pruner.Options options(boolean dryRun) {
    double share;
    String s = maxUnused.endsWith("%") ? maxUnused.substring(0, maxUnused.length() - 1) : maxUnused;
    try {
      share = Double.parseDouble(s) / 100.0;
    } catch (NumberFormatException e) {
      share = -1;
    }
    if (!(share >= 0 && share <= 1)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--max-unused takes a percentage from 0% to 100%, e.g. 10%, not " + maxUnused);
    }
    return new Pruner.Options(
        duration("--grace", grace), share, dryRun, duration("--wait", waitForWriters));
  }

  /** "0", or numbers with units d, h, m, s in any combination: 24h, 1d12h, 90m. */
  static Duration duration(String option, String text) {
    if (text.equals("0")) return Duration.ZERO;
    Matcher m = DURATION.matcher(text);
    Duration d = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
              });
      end = m.end();
    }
    if (end == 0 || end != text.length()) {
      throw new RoadieException(
          ErrorCode.USAGE, option + " " + text + " is not a duration: use e.g. 24h, 2d, 90m or 0");
    }
    return d;
  }
}
