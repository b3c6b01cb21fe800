package dev.roadie.agent.config;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * When a target runs: a cron expression, {@code continuous} (WAL streaming) or {@code on-change}
 * (Kubernetes).
 */
public sealed interface Schedule {

  /**
   * A standard five-field cron expression (minute hour day-of-month month day-of-week) in a time
   * zone, or the same with a seconds field in front (six fields) for runs more often than once a
   * minute.
   */
  record Cron(String expression, ZoneId zone, ExecutionTime times) implements Schedule {
    private static final CronParser PARSER =
        new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    /** The UNIX fields with a seconds field in front, each field read as UNIX reads it. */
    private static final CronParser WITH_SECONDS =
        new CronParser(
            CronDefinitionBuilder.defineCron()
                .withSeconds()
                .withValidRange(0, 59)
                .withStrictRange()
                .and()
                .withMinutes()
                .withValidRange(0, 59)
                .withStrictRange()
                .and()
                .withHours()
                .withValidRange(0, 23)
                .withStrictRange()
                .and()
                .withDayOfMonth()
                .withValidRange(1, 31)
                .withStrictRange()
                .and()
                .withMonth()
                .withValidRange(1, 12)
                .withStrictRange()
                .and()
                .withDayOfWeek()
                .withValidRange(0, 7)
                .withMondayDoWValue(1)
                .withIntMapping(7, 0)
                .withStrictRange()
                .and()
                .instance());

    /**
     * Parses {@code expression} (or {@code @hourly}, {@code @daily}, {@code @weekly},
     * {@code @monthly}); IllegalArgumentException names what is wrong.
     */
    public static Cron parse(String expression, ZoneId zone) {
      String e =
          switch (expression.strip()) {
            case "@hourly" -> "0 * * * *";
            case "@daily", "@midnight" -> "0 0 * * *";
            case "@weekly" -> "0 0 * * 0";
            case "@monthly" -> "0 0 1 * *";
            case "@yearly", "@annually" -> "0 0 1 1 *";
            default -> expression.strip();
          };
      CronParser parser = e.split("\\s+").length == 6 ? WITH_SECONDS : PARSER;
      return new Cron(expression, zone, ExecutionTime.forCron(parser.parse(e)));
    }

    /** Whether the expression names seconds (six fields): finer than a Kubernetes CronJob runs. */
    public boolean hasSeconds() {
      return expression.strip().split("\\s+").length == 6;
    }

    /** The first run strictly after {@code after}. */
    public Optional<ZonedDateTime> next(ZonedDateTime after) {
      return times.nextExecution(after.withZoneSameInstant(zone));
    }

    /** The last run at or before {@code at}. */
    public Optional<ZonedDateTime> previous(ZonedDateTime at) {
      return times.lastExecution(at.withZoneSameInstant(zone).plusNanos(1));
    }

    /**
     * The longest gap between two runs over the coming year's first runs (enough to see a weekly or
     * monthly rhythm and a daylight-saving change): the interval a backup is expected within.
     */
    public Duration longestGap(ZonedDateTime from) {
      Duration longest = Duration.ZERO;
      ZonedDateTime t = next(from).orElse(null);
      for (int i = 0; i < 400 && t != null; i++) {
        ZonedDateTime n = next(t).orElse(null);
        if (n == null) break;
        Duration gap = Duration.between(t, n);
        if (gap.compareTo(longest) > 0) longest = gap;
        if (Duration.between(from, n).toDays() > 366) break;
        t = n;
      }
      return longest;
    }

    @Override
    public String toString() {
      return expression + " (" + zone + ")";
    }
  }

  /**
   * Runs all the time under the agent's supervision ({@code postgres-physical}: the WAL receiver).
   */
  record Continuous() implements Schedule {
    @Override
    public String toString() {
      return "continuous";
    }
  }

  /** Watches its source and backs up when it changes ({@code k8s}). */
  record OnChange(Duration settle) implements Schedule {
    @Override
    public String toString() {
      return "on-change";
    }
  }

  /** No schedule: only {@code roadie run} backs it up. */
  record Manual() implements Schedule {
    @Override
    public String toString() {
      return "manual";
    }
  }
}
