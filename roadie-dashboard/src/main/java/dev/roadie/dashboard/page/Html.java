package dev.roadie.dashboard.page;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Escaping and the formats every page uses (bytes, times). */
final class Html {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private Html() {}

  /** Text for an element's content or a quoted attribute. */
  static String esc(Object o) {
    if (o == null) return "";
    String s = o.toString();
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * JSON text inside a {@code <script type="application/json">}: nothing in it may close the
   * element.
   */
  static String scriptJson(String json) {
    return json.replace("</", "<\\/").replace("<!--", "<\\!--");
  }

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    do {
      v /= 1024;
      u++;
    } while (v >= 1024 && u < units.length - 1);
    return new DecimalFormat(
                v >= 100 ? "0" : v >= 10 ? "0.0" : "0.00",
                DecimalFormatSymbols.getInstance(Locale.ROOT))
            .format(v)
        + " "
        + units[u];
  }

  static String time(Instant t) {
    return t == null ? "–" : TIME.format(t);
  }

  static String time(String iso) {
    if (iso == null) return "–";
    try {
      return time(java.time.OffsetDateTime.parse(iso).toInstant());
    } catch (RuntimeException e) {
      return iso;
    }
  }

  static String seconds(double s) {
    return s < 10
        ? new DecimalFormat("0.0", DecimalFormatSymbols.getInstance(Locale.ROOT)).format(s) + " s"
        : dev.roadie.dashboard.status.Durations.words(
            java.time.Duration.ofMillis((long) (s * 1000)));
  }
}
