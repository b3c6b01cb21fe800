package dev.roadie.core.source;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One check of a verification: what was checked ({@code name}: {@code restore}, {@code row-counts},
 * {@code constraints}, {@code amcheck}, {@code probes}, {@code keys}, {@code content}, {@code
 * freshness}, …), how it came out, one line for people ({@code summary}), the figures a machine
 * reads ({@code figures}: counts, durations, LSNs), and what differed ({@code details}, bounded by
 * the source).
 *
 * <p>{@code status} is {@code pass}, {@code fail}, {@code damaged} (failed because the repository
 * is damaged: a pack or blob is missing or does not authenticate) or {@code skipped} (not run, with
 * why in the summary: a tool is not installed, nothing was recorded to compare with).
 */
public record Check(
    String name, String status, String summary, Map<String, Object> figures, List<String> details) {
  public static final String PASS = "pass";
  public static final String FAIL = "fail";
  public static final String DAMAGED = "damaged";
  public static final String SKIPPED = "skipped";

  public Check {
    if (!List.of(PASS, FAIL, DAMAGED, SKIPPED).contains(status)) {
      throw new IllegalArgumentException(
          "check status must be pass, fail, damaged or skipped, not " + status);
    }
    figures =
        figures == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    details = details == null ? List.of() : List.copyOf(details);
  }

  public static Check pass(String name, String summary, Map<String, Object> figures) {
    return new Check(name, PASS, summary, figures, List.of());
  }

  public static Check fail(
      String name, String summary, Map<String, Object> figures, List<String> details) {
    return new Check(name, FAIL, summary, figures, details);
  }

  public static Check skipped(String name, String why) {
    return new Check(name, SKIPPED, why, Map.of(), List.of());
  }

  /** Pass when nothing differs, else fail with the differences as details. */
  public static Check of(
      String name, String summary, Map<String, Object> figures, List<String> differences) {
    return differences.isEmpty()
        ? pass(name, summary, figures)
        : fail(name, summary, figures, differences);
  }

  /** Whether this check failed (also because the repository is damaged). */
  public boolean failed() {
    return FAIL.equals(status) || DAMAGED.equals(status);
  }
}
