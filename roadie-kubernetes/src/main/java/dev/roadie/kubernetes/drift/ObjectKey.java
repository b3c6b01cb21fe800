package dev.roadie.kubernetes.drift;

import java.util.Map;

/**
 * Which object: API group (empty for the core group), kind, namespace (null when cluster-scoped)
 * and name. The version is not part of it: one object is served in several versions.
 */
public record ObjectKey(String group, String kind, String namespace, String name)
    implements Comparable<ObjectKey> {

  /** The group of an {@code apiVersion} ("apps/v1" is "apps", "v1" is the core group ""). */
  public static String groupOf(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  /** The key of an object as the server returned it (its own namespace, null for none). */
  public static ObjectKey of(Map<String, ?> object) {
    Map<?, ?> metadata = object.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
    return new ObjectKey(
        groupOf(String.valueOf(object.get("apiVersion"))),
        String.valueOf(object.get("kind")),
        metadata.get("namespace") instanceof String ns && !ns.isEmpty() ? ns : null,
        String.valueOf(metadata.get("name")));
  }

  /**
   * KIND.GROUP, as the repository's layout and kubectl name a kind ("Deployment.apps",
   * "ConfigMap").
   */
  public String kindAndGroup() {
    return group.isEmpty() ? kind : kind + "." + group;
  }

  @Override
  public String toString() {
    return kindAndGroup() + " " + (namespace == null ? name : namespace + "/" + name);
  }

  @Override
  public int compareTo(ObjectKey o) {
    return toString().compareTo(o.toString());
  }
}
