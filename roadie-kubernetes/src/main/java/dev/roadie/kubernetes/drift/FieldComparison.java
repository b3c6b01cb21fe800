package dev.roadie.kubernetes.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares one object in the cluster with Git's form of it over a <em>field set</em>: the fields
 * Git sets, in the API server's {@code FieldsV1} form ({@code f:name} for a field, {@code k:{...}}
 * for the item of a list keyed by those fields, {@code v:...} for a value of a set, {@code i:N} for
 * an index, {@code .} for the node itself). The server computes that set for a server-side apply
 * (it is the applier's entry in {@code managedFields}), with each list keyed as its schema says;
 * offline, {@link #fieldsOf} derives one from the manifest.
 *
 * <p>Only those fields are compared, so what the server fills in by default, and what controllers
 * write, never counts; a field Git leaves out counts only when {@link #unownedByGit} finds that a
 * person's tool set it.
 */
public final class FieldComparison {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The field a client-side {@code kubectl apply} keeps its last applied manifest in: not drift.
   */
  private static final String LAST_APPLIED =
      "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration";

  private final boolean quantities;

  /**
   * @param quantities whether quantities such as {@code 0.5} and {@code 500m} are compared by value
   *     (offline, where the server has not put Git's values in its canonical form)
   */
  FieldComparison(boolean quantities) {
    this.quantities = quantities;
  }

  /**
   * The fields in {@code fields} whose value in {@code cluster} differs from {@code git}'s.
   *
   * @param fields the field set (FieldsV1) of what Git sets
   * @param cluster the object in the cluster (or snapshot)
   * @param git Git's object, as the server would store it (or the manifest, offline)
   */
  List<FieldDifference> compare(Map<String, ?> fields, Map<String, ?> cluster, Map<String, ?> git) {
    List<FieldDifference> out = new ArrayList<>();
    walk(fields, cluster, git, "", null, out);
    return out;
  }

  /**
   * Fields of {@code cluster} that a person's tool set ({@code handFields}, in FieldsV1 form) and
   * that {@code gitFields} does not cover: in the cluster, not in Git (a key removed from the
   * manifest but still applied, a label added by hand). A node Git has nothing of (a container
   * added by hand) is reported once, whole.
   */
  static List<FieldDifference> unownedByGit(
      Map<String, ?> handFields, Map<String, ?> gitFields, Map<String, ?> cluster) {
    Set<String> gitNodes = new TreeSet<>();
    collectPaths(gitFields, cluster, "", gitNodes, false);
    Set<String> gitLeaves = new TreeSet<>();
    collectPaths(gitFields, cluster, "", gitLeaves, true);
    List<FieldDifference> out = new ArrayList<>();
    uncovered(handFields, cluster, "", gitNodes, gitLeaves, out);
    return out;
  }

  private static void uncovered(
      Map<String, ?> fields,
      Object object,
      String path,
      Set<String> gitNodes,
      Set<String> gitLeaves,
      List<FieldDifference> out) {
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      if (e.getKey().equals(".")) continue;
      Located child = locate(e.getKey(), object);
      if (child == null || !child.present) continue;
      String childPath = path + "/" + child.segment;
      if (childPath.equals(LAST_APPLIED) || below(childPath, gitLeaves)) continue;
      Map<String, ?> sub = asFields(e.getValue());
      boolean whole =
          sub.isEmpty()
              || sub.containsKey("."); // the tool made this node, not only some fields in it
      if (!gitNodes.contains(childPath) && whole) {
        out.add(FieldDifference.onlyInCluster(childPath, child.value));
      } else if (!sub.isEmpty()) {
        uncovered(sub, child.value, childPath, gitNodes, gitLeaves, out);
      }
    }
  }

  /** True when {@code path} lies below one of {@code leaves} (a value Git sets whole). */
  private static boolean below(String path, Set<String> leaves) {
    for (String leaf : leaves) {
      if (path.startsWith(leaf + "/")) return true;
    }
    return false;
  }

  /**
   * The paths, in {@code object}, of the nodes of {@code fields} it has (only the leaves when
   * asked).
   */
  private static void collectPaths(
      Map<String, ?> fields, Object object, String path, Set<String> out, boolean leavesOnly) {
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      if (e.getKey().equals(".")) continue;
      Located child = locate(e.getKey(), object);
      if (child == null || !child.present) continue;
      String childPath = path + "/" + child.segment;
      Map<String, ?> sub = asFields(e.getValue());
      boolean leaf = isLeaf(sub);
      if (leaf || !leavesOnly) out.add(childPath);
      if (!leaf) collectPaths(sub, child.value, childPath, out, leavesOnly);
    }
  }

  private void walk(
      Map<String, ?> fields,
      Object cluster,
      Object git,
      String path,
      String container,
      List<FieldDifference> out) {
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      String key = e.getKey();
      if (key.equals(".")) continue;
      Located inGit = locate(key, git);
      if (inGit == null || !inGit.present)
        continue; // the server dropped it (a null in the manifest)
      Located inCluster = locate(key, cluster);
      Map<String, ?> sub = asFields(e.getValue());
      // Items of a list sit, for quantities, in the map that holds the list.
      String name = key.startsWith("f:") ? key.substring(2) : container;
      if (inCluster == null || !inCluster.present) {
        out.add(FieldDifference.onlyInGit(path + "/" + inGit.segment, project(sub, inGit.value)));
      } else if (isLeaf(sub)) {
        deepDiff(path + "/" + inCluster.segment, container, inCluster.value, inGit.value, out);
      } else {
        walk(sub, inCluster.value, inGit.value, path + "/" + inCluster.segment, name, out);
      }
    }
  }

  private static boolean isLeaf(Map<String, ?> fields) {
    return fields.isEmpty() || (fields.size() == 1 && fields.containsKey("."));
  }

  /**
   * Differences below two values compared whole (a leaf of the field set, atomic lists included);
   * {@code container} is the name of the field that holds them.
   */
  private void deepDiff(
      String path, String container, Object cluster, Object git, List<FieldDifference> out) {
    String own = path.substring(path.lastIndexOf('/') + 1);
    if (same(container, own, cluster, git)) return;
    if (cluster instanceof Map<?, ?> c && git instanceof Map<?, ?> g) {
      Set<String> keys = new TreeSet<>();
      c.keySet().forEach(k -> keys.add(String.valueOf(k)));
      g.keySet().forEach(k -> keys.add(String.valueOf(k)));
      for (String k : keys) {
        String p = path + "/" + escape(k);
        if (!c.containsKey(k)) out.add(FieldDifference.onlyInGit(p, g.get(k)));
        else if (!g.containsKey(k)) out.add(FieldDifference.onlyInCluster(p, c.get(k)));
        else deepDiff(p, own, c.get(k), g.get(k), out);
      }
    } else if (cluster instanceof List<?> c && git instanceof List<?> g && c.size() == g.size()) {
      for (int i = 0; i < c.size(); i++)
        deepDiff(path + "/" + i, container, c.get(i), g.get(i), out);
    } else {
      out.add(FieldDifference.changed(path, cluster, git));
    }
  }

  /**
   * Whether two values of the field {@code own}, held by the field {@code container}, are equal.
   */
  private boolean same(String container, String own, Object a, Object b) {
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (!x.keySet().equals(y.keySet())) return false;
      for (Object k : x.keySet()) {
        if (!same(own, String.valueOf(k), x.get(k), y.get(k))) return false;
      }
      return true;
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); i++) {
        if (!same(container, own, x.get(i), y.get(i))) return false;
      }
      return true;
    }
    if (a instanceof Number x && b instanceof Number y) {
      return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
    }
    if (quantities && Quantity.holdsQuantities(container)) {
      BigDecimal x = Quantity.parse(a);
      BigDecimal y = Quantity.parse(b);
      if (x != null && y != null) return x.compareTo(y) == 0;
    }
    return Objects.equals(a, b);
  }

  /** A node of a field set found in a value: present or not, and its JSON-pointer segment. */
  private record Located(boolean present, Object value, String segment) {}

  /**
   * Where the field-set key {@code key} points in {@code value}; null when it cannot apply there.
   */
  private static Located locate(String key, Object value) {
    if (key.startsWith("f:")) {
      String name = key.substring(2);
      if (!(value instanceof Map<?, ?> map)) return null;
      return new Located(map.containsKey(name), map.get(name), escape(name));
    }
    if (!(value instanceof List<?> list)) return null;
    if (key.startsWith("k:")) {
      Map<?, ?> wanted = (Map<?, ?>) parse(key.substring(2));
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i) instanceof Map<?, ?> item && matches(item, wanted))
          return new Located(true, item, String.valueOf(i));
      }
      return new Located(false, null, "-");
    }
    if (key.startsWith("v:")) {
      Object wanted = parse(key.substring(2));
      for (int i = 0; i < list.size(); i++) {
        if (sameJson(list.get(i), wanted)) return new Located(true, list.get(i), String.valueOf(i));
      }
      return new Located(false, null, "-");
    }
    if (key.startsWith("i:")) {
      int i = Integer.parseInt(key.substring(2));
      return i < list.size()
          ? new Located(true, list.get(i), String.valueOf(i))
          : new Located(false, null, String.valueOf(i));
    }
    return null;
  }

  private static boolean matches(Map<?, ?> item, Map<?, ?> wanted) {
    for (Map.Entry<?, ?> w : wanted.entrySet()) {
      if (!sameJson(item.get(w.getKey()), w.getValue())) return false;
    }
    return true;
  }

  private static boolean sameJson(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
    }
    return Objects.equals(a, b);
  }

  private static Object parse(String json) {
    try {
      return JSON.readValue(json, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a field-set key: " + json, e);
    }
  }

  /**
   * The part of {@code value} that {@code fields} names (what Git sets of a node the cluster
   * lacks).
   */
  private static Object project(Map<String, ?> fields, Object value) {
    if (isLeaf(fields)) return value;
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, ?> e : fields.entrySet()) {
        if (!e.getKey().startsWith("f:")) continue;
        String name = e.getKey().substring(2);
        if (map.containsKey(name)) out.put(name, project(asFields(e.getValue()), map.get(name)));
      }
      return out;
    }
    if (value instanceof List<?>) {
      List<Object> out = new ArrayList<>();
      for (Map.Entry<String, ?> e : fields.entrySet()) {
        Located item = locate(e.getKey(), value);
        if (item != null && item.present) out.add(project(asFields(e.getValue()), item.value));
      }
      return out;
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> asFields(Object node) {
    return node instanceof Map<?, ?> m ? (Map<String, ?>) m : Map.of();
  }

  static String escape(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  /**
   * A field set for a manifest when no server computes one (offline): every field it sets; a list
   * of objects is keyed by the first of {@code name}, {@code containerPort}, {@code port}, {@code
   * mountPath}, {@code devicePath}, {@code ip} that every item has, with distinct values (the keys
   * the API uses for its lists of containers, ports, volumes, mounts, env, host aliases), and is
   * compared whole when none fits; a list of plain values is compared whole.
   */
  static Map<String, Object> fieldsOf(Map<String, ?> manifest) {
    Map<String, Object> out = new LinkedHashMap<>();
    manifest.forEach((k, v) -> out.put("f:" + k, fieldsOfValue(v)));
    return out;
  }

  private static final List<String> LIST_KEYS =
      List.of("name", "containerPort", "port", "mountPath", "devicePath", "ip");

  @SuppressWarnings("unchecked")
  private static Map<String, Object> fieldsOfValue(Object value) {
    if (value instanceof Map<?, ?> m) {
      return m.isEmpty() ? Map.of() : fieldsOf((Map<String, ?>) m);
    }
    if (value instanceof List<?> list
        && !list.isEmpty()
        && list.stream().allMatch(i -> i instanceof Map<?, ?>)) {
      for (String key : LIST_KEYS) {
        Set<Object> seen = new LinkedHashSet<>();
        boolean fits =
            list.stream()
                .allMatch(
                    i -> ((Map<?, ?>) i).get(key) != null && seen.add(((Map<?, ?>) i).get(key)));
        if (!fits) continue;
        Map<String, Object> out = new LinkedHashMap<>();
        for (Object item : list) {
          String itemKey;
          try {
            itemKey = "k:" + JSON.writeValueAsString(Map.of(key, ((Map<?, ?>) item).get(key)));
          } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
          }
          Map<String, Object> itemFields = new LinkedHashMap<>();
          itemFields.put(".", Map.of()); // the item itself, as the server's field sets say it
          itemFields.putAll(fieldsOf((Map<String, ?>) item));
          out.put(itemKey, itemFields);
        }
        return out;
      }
    }
    return Map.of();
  }
}
