package dev.roadie.dashboard.status;

import java.time.Duration;

/**
 * Durations in words people read at a glance: {@code 45 s}, {@code 12 min}, {@code 3 h 5 min},
 * {@code 4 d 2 h}.
 */
public final class Durations {
  private Durations() {}

  public static String words(Duration d) {
    if (d == null) return "–";
    boolean negative = d.isNegative();
    d = d.abs();
    long s = d.toSeconds();
    String out;
    if (s < 1) out = d.toMillis() + " ms";
    else if (s < 120) out = s + " s";
    else if (s < 7200) out = (s / 60) + " min";
    else if (s < 2 * 86400)
      out = (s / 3600) + " h" + (s % 3600 / 60 == 0 ? "" : " " + (s % 3600 / 60) + " min");
    else out = (s / 86400) + " d" + (s % 86400 / 3600 == 0 ? "" : " " + (s % 86400 / 3600) + " h");
    return negative ? "-" + out : out;
  }
}
