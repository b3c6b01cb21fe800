package dev.roadie.core.verify;

import java.time.Duration;

/**
 * Durations as the duration options are written ({@code 45s}, {@code 12m}, {@code 3h20m}, {@code
 * 2d4h}).
 */
public final class Age {
  private Age() {}

  public static String text(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 60) return s + "s";
    if (s < 3600) return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    if (s < 86400) return (s / 3600) + "h" + ((s / 60) % 60 == 0 ? "" : ((s / 60) % 60) + "m");
    return (s / 86400) + "d" + ((s / 3600) % 24 == 0 ? "" : ((s / 3600) % 24) + "h");
  }
}
