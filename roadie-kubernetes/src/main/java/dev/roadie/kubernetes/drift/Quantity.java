package dev.roadie.kubernetes.drift;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities ({@code 500m}, {@code 0.5}, {@code 1Gi}, {@code 1e3}) by value,
 * for comparing a manifest with what the server stored when no server is asked: the server keeps
 * quantities in a canonical form ({@code 0.5} CPU is stored as {@code 500m}).
 */
final class Quantity {
  /** The fields whose values are quantities: requests, limits, PV capacity, quota. */
  private static final Set<String> HOLDERS = Set.of("requests", "limits", "capacity", "hard");

  private static final Pattern FORM =
      Pattern.compile(
          "([+-]?(?:\\d+\\.?\\d*|\\.\\d+))(?:([eE][+-]?\\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?");

  private static final Map<String, BigDecimal> SUFFIXES =
      Map.ofEntries(
          Map.entry("Ki", BigDecimal.valueOf(1L << 10)),
          Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
          Map.entry("Gi", BigDecimal.valueOf(1L << 30)),
          Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
          Map.entry("Pi", BigDecimal.valueOf(1L << 50)),
          Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
          Map.entry("n", new BigDecimal("1e-9")),
          Map.entry("u", new BigDecimal("1e-6")),
          Map.entry("m", new BigDecimal("1e-3")),
          Map.entry("k", new BigDecimal("1e3")),
          Map.entry("M", new BigDecimal("1e6")),
          Map.entry("G", new BigDecimal("1e9")),
          Map.entry("T", new BigDecimal("1e12")),
          Map.entry("P", new BigDecimal("1e15")),
          Map.entry("E", new BigDecimal("1e18")));

  private Quantity() {}

  static boolean holdsQuantities(String field) {
    return field != null && HOLDERS.contains(field);
  }

  /** The value of a quantity (a string or a number), or null when it is not one. */
  static BigDecimal parse(Object value) {
    if (value instanceof Number n) return new BigDecimal(n.toString());
    if (!(value instanceof String s)) return null;
    Matcher m = FORM.matcher(s.strip());
    if (!m.matches()) return null;
    BigDecimal number = new BigDecimal(m.group(1));
    if (m.group(2) != null)
      return number.scaleByPowerOfTen(Integer.parseInt(m.group(2).substring(1)));
    if (m.group(3) != null) return number.multiply(SUFFIXES.get(m.group(3)));
    return number;
  }
}
