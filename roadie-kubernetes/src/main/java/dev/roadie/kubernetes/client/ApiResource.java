package dev.roadie.kubernetes.client;

import java.util.List;
import java.util.Set;

/**
 * One kind of object an API server serves, in one version: {@code deployments} of {@code apps/v1}.
 *
 * @param group the API group, "" for the core group
 * @param version the version ({@code v1})
 * @param resource the plural resource name ({@code deployments})
 * @param kind the object kind ({@code Deployment})
 * @param namespaced whether its objects live in namespaces
 * @param verbs what the server allows on it ({@code list}, {@code create}, …)
 * @param shortNames kubectl's short names ({@code deploy})
 */
public record ApiResource(
    String group,
    String version,
    String resource,
    String kind,
    boolean namespaced,
    Set<String> verbs,
    List<String> shortNames) {

  public ApiResource {
    verbs = Set.copyOf(verbs);
    shortNames = List.copyOf(shortNames);
  }

  /**
   * The name roadie and kubectl give the kind: {@code resource.group}, or the resource alone in the
   * core group ({@code deployments.apps}, {@code configmaps}). Directories of a backup are named
   * so.
   */
  public String name() {
    return group.isEmpty() ? resource : resource + "." + group;
  }

  /**
   * {@code group/version}, or the version alone in the core group: an object's {@code apiVersion}.
   */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** The URL path of the collection: in {@code namespace}, or across all namespaces (null). */
  public String path(String namespace) {
    String base = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    return namespaced && namespace != null
        ? base + "/namespaces/" + namespace + "/" + resource
        : base + "/" + resource;
  }

  /** The URL path of one object. */
  public String path(String namespace, String name) {
    return path(namespace) + "/" + name;
  }

  /**
   * Whether {@code given} names this kind as a person would: the resource ({@code deployments}),
   * with its group ({@code deployments.apps}), the kind in any case ({@code Deployment}), the
   * singular ({@code deployment}) or a short name ({@code deploy}).
   */
  public boolean answersTo(String given) {
    String g = given.toLowerCase(java.util.Locale.ROOT);
    if (g.equals(name())
        || g.equals(resource)
        || g.equals(kind.toLowerCase(java.util.Locale.ROOT))
        || shortNames.contains(g)) {
      return true;
    }
    String kindGroup =
        kind.toLowerCase(java.util.Locale.ROOT) + (group.isEmpty() ? "" : "." + group);
    return g.equals(kindGroup);
  }
}
