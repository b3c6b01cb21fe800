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
  private static final Pattern FORMAT =
      Pattern.compile("(?:(\\d+)y)?(?:(\\d+)m)?(?:(\\d+)d)?(?:(\\d+)h)?");

  public static Span parse(String text) {
    String t = text == null ? "" : text.trim();
    Matcher m = FORMAT.matcher(t);
    if (t.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + t
              + "' is not a span: "
              + problem(t)
              + "; write numbers with the units y (years), m (months), d (days), h (hours), in that order, e.g. 30d, 1y6m, 36h");
    }
    return new Span(num(m.group(1)), num(m.group(2)), num(m.group(3)), num(m.group(4)));
  }

  /** What is wrong with a text that is not a span, for the message. */
  private static String problem(String t) {
    if (t.isEmpty()) return "it is empty";
    Matcher unit = Pattern.compile("[^0-9ymdh]").matcher(t);
    if (unit.find()) {
      char c = t.charAt(unit.start());
      if (c == 'w') {
        return t.matches("\\d{1,6}w")
            ? "weeks are not a unit: write "
                + 7 * Integer.parseInt(t.substring(0, t.length() - 1))
                + "d"
            : "weeks are not a unit (a week is 7d)";
      }
      if ("YMDH".indexOf(c) >= 0)
        return "units are lower case ('" + Character.toLowerCase(c) + "', not '" + c + "')";
      if (c == 's') return "seconds are not a unit (h is the smallest)";
      return "'" + c + "' is not a unit";
    }
    if (Character.isDigit(t.charAt(t.length() - 1)))
      return "the number " + t.replaceAll(".*?(\\d+)$", "$1") + " has no unit";
    if (!Character.isDigit(t.charAt(0))) return "a unit needs a number before it";
    return "the units are out of order or repeated";
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
