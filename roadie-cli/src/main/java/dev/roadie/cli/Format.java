package dev.roadie.cli;

import java.time.Duration;

/** Human-readable sizes, rates and durations for command output. */
final class Format {
  private Format() {}

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
  }

  static String rate(long bytes, long nanos) {
    if (nanos <= 0) return "-";
    return bytes((long) (bytes * 1e9 / nanos)) + "/s";
  }

  static String duration(Duration d) {
    long s = d.toSeconds();
    if (s < 60) return String.format("%.1f s", d.toMillis() / 1000.0);
    return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
