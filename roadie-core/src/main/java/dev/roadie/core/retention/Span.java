package dev.roadie.core.retention;

import java.time.OffsetDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A calendar span for {@code --keep-within}, written as restic writes it: {@code 1y5m7d2h} (years,
 * months, days, hours, each optional, in that order). Subtracted with calendar arithmetic, so
 * {@code 1m} before 31 March is 28 or 29 February, not 30 days.
 */
public record Span(int years, int months, int days, int hours) {
  private static final Pattern FORMAT = Pattern.compile("(?:(\\d+)y)?(?:(\\d+)m)?(?:(\\d+)d)?(?:(\\d+)h)?");

  public static Span parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (text == null || text.isBlank() || !m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a span like 7d, 2w is not allowed, use 14d; "
          + "format: [Ny][Nm][Nd][Nh], e.g. 1y6m, 30d, 36h");
    }
    return new Span(num(m.group(1)), num(m.group(2)), num(m.group(3)), num(m.group(4)));
  }

  private static int num(String s) {
    return s == null ? 0 : Integer.parseInt(s);
  }

  public boolean isZero() {
    return years == 0 && months == 0 && days == 0 && hours == 0;
  }

  /** The earliest time still within this span before {@code newest}. */
  public OffsetDateTime before(OffsetDateTime newest) {
    return newest.minusYears(years).minusMonths(months).minusDays(days).minusHours(hours);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (years > 0) b.append(years).append('y');
    if (months > 0) b.append(months).append('m');
    if (days > 0) b.append(days).append('d');
    if (hours > 0) b.append(hours).append('h');
    return b.isEmpty() ? "0h" : b.toString();
  }
}
