package dev.roadie.kubernetes.objects;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Where two objects (maps of their JSON) differ, as dotted field paths ({@code spec.replicas}). */
public final class ObjectDiff {
  private ObjectDiff() {}

  /** The paths at which {@code a} and {@code b} differ, shallowest first; empty when equal. */
  public static List<String> paths(Map<String, ?> a, Map<String, ?> b) {
    List<String> out = new ArrayList<>();
    walk("", a, b, out);
    return out;
  }

  private static void walk(String at, Object a, Object b, List<String> out) {
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      TreeSet<String> keys = new TreeSet<>();
      ma.keySet().forEach(k -> keys.add(String.valueOf(k)));
      mb.keySet().forEach(k -> keys.add(String.valueOf(k)));
      for (String k : keys) walk(at.isEmpty() ? k : at + "." + k, ma.get(k), mb.get(k), out);
    } else if (a instanceof List<?> la && b instanceof List<?> lb && la.size() == lb.size()) {
      for (int i = 0; i < la.size(); i++) walk(at + "[" + i + "]", la.get(i), lb.get(i), out);
    } else if (!equalValues(a, b)) {
      out.add(at);
    }
  }

  /** Numbers compare by value: JSON has one number type, the maps may hold Integer or Long. */
  private static boolean equalValues(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return new java.math.BigDecimal(x.toString())
              .compareTo(new java.math.BigDecimal(y.toString()))
          == 0;
    }
    return Objects.equals(a, b);
  }
}
