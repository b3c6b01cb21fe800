package dev.roadie.kubernetes.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Drift} found: every object that differs (or could not be compared) and how many
 * matched.
 *
 * @param cluster what was compared ({@link ClusterObjects#describe()})
 * @param against the manifests' directory or kustomization
 * @param mode {@code live}, {@code snapshot} (normalised by a server's dry run) or {@code offline}
 * @param objects the objects that differ or failed, in a stable order (missing, extra, changed,
 *     failed; by kind, namespace and name within each)
 * @param unchanged the number of objects Git defines that the cluster has as Git says
 */
public record DriftReport(
    String cluster, String against, String mode, List<ObjectDrift> objects, int unchanged) {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  public DriftReport {
    objects = List.copyOf(objects);
  }

  /** True when some object is missing, extra or changed. */
  public boolean drift() {
    return objects.stream().anyMatch(o -> o.state() != ObjectDrift.State.FAILED);
  }

  /** True when some object could not be compared: the answer is incomplete. */
  public boolean failed() {
    return objects.stream().anyMatch(o -> o.state() == ObjectDrift.State.FAILED);
  }

  public long count(ObjectDrift.State state) {
    return objects.stream().filter(o -> o.state() == state).count();
  }

  /** The report for a person: one line per object, one indented line per field (cluster → Git). */
  public String text() {
    StringBuilder b = new StringBuilder();
    b.append("drift of ").append(cluster).append(" against ").append(against);
    if (mode.equals("offline"))
      b.append(" (offline: only the fields the manifests set, as written)");
    b.append('\n');
    for (ObjectDrift o : objects) {
      b.append(
          String.format("%-8s%s", o.state().name().toLowerCase(java.util.Locale.ROOT), o.key()));
      if (o.origin() != null) b.append("  (").append(o.origin()).append(')');
      b.append('\n');
      for (FieldDifference f : o.fields()) {
        b.append("  ")
            .append(f.path())
            .append(": ")
            .append(f.inCluster() ? value(f.cluster()) : "(not in cluster)")
            .append(" → ")
            .append(f.inGit() ? value(f.git()) : "(not in Git)")
            .append('\n');
      }
      if (o.message() != null) b.append("  ").append(o.message()).append('\n');
    }
    if (!drift() && !failed()) {
      b.append("no drift: ")
          .append(unchanged)
          .append(unchanged == 1 ? " object matches" : " objects match")
          .append('\n');
    } else {
      List<String> parts = new ArrayList<>();
      for (ObjectDrift.State s : ObjectDrift.State.values()) {
        long n = count(s);
        if (n > 0) parts.add(n + " " + s.name().toLowerCase(java.util.Locale.ROOT));
      }
      b.append(drift() ? "drift: " : "")
          .append(String.join(", ", parts))
          .append("; ")
          .append(unchanged)
          .append(unchanged == 1 ? " object matches" : " objects match")
          .append('\n');
    }
    return b.toString();
  }

  /** The report as JSON (a stable contract, documented in docs/commands.md). */
  public Map<String, Object> json() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cluster", cluster);
    out.put("against", against);
    out.put("mode", mode);
    out.put("drift", drift());
    Map<String, Object> summary = new LinkedHashMap<>();
    for (ObjectDrift.State s : ObjectDrift.State.values())
      summary.put(s.name().toLowerCase(java.util.Locale.ROOT), count(s));
    summary.put("unchanged", unchanged);
    out.put("summary", summary);
    List<Map<String, Object>> list = new ArrayList<>();
    for (ObjectDrift o : objects) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("state", o.state().name().toLowerCase(java.util.Locale.ROOT));
      m.put("apiVersion", o.apiVersion());
      m.put("kind", o.key().kind());
      if (o.key().namespace() != null) m.put("namespace", o.key().namespace());
      m.put("name", o.key().name());
      if (o.origin() != null) m.put("origin", o.origin());
      if (!o.fields().isEmpty()) {
        List<Map<String, Object>> fields = new ArrayList<>();
        for (FieldDifference f : o.fields()) {
          Map<String, Object> fm = new LinkedHashMap<>();
          fm.put("path", f.path());
          if (f.inCluster()) fm.put("old", f.cluster());
          if (f.inGit()) fm.put("new", f.git());
          fields.add(fm);
        }
        m.put("fields", fields);
      }
      if (o.message() != null) m.put("message", o.message());
      list.add(m);
    }
    out.put("objects", list);
    return out;
  }

  /**
   * Longer values are cut in the text report (a config map holding a whole file); JSON has them
   * whole.
   */
  static final int TEXT_VALUE_LIMIT = 200;

  private static String value(Object v) {
    String text;
    try {
      text = JSON.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      text = String.valueOf(v);
    }
    if (text.length() <= TEXT_VALUE_LIMIT) return text;
    return text.substring(0, TEXT_VALUE_LIMIT)
        + "… ("
        + text.length()
        + " characters; --json shows all)";
  }
}
