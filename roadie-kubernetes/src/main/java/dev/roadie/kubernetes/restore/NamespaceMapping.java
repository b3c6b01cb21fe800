package dev.roadie.kubernetes.restore;

import java.util.List;
import java.util.Map;

/**
 * Rewrites an object for {@code --namespace-mapping OLD:NEW}, wherever a namespace is named: the
 * object's own {@code metadata.namespace}, a Namespace's name, a PersistentVolume's {@code
 * claimRef}, the subjects of role bindings and cluster role bindings, the services of admission
 * webhooks, of a custom resource definition's conversion webhook and of an API service.
 */
public final class NamespaceMapping {
  private final Map<String, String> mapping;

  public NamespaceMapping(Map<String, String> mapping) {
    this.mapping = mapping;
  }

  /** The namespace {@code ns} is restored into. */
  public String map(String ns) {
    return ns == null ? null : mapping.getOrDefault(ns, ns);
  }

  boolean isEmpty() {
    return mapping.isEmpty();
  }

  /** Rewrites {@code o} (of kind {@code kind}, a resource name) in place. */
  @SuppressWarnings("unchecked")
  public void rewrite(String kind, Map<String, Object> o) {
    if (mapping.isEmpty()) return;
    Map<String, Object> metadata = (Map<String, Object>) o.get("metadata");
    if (metadata.get("namespace") instanceof String ns) metadata.put("namespace", map(ns));
    switch (kind) {
      case "namespaces" -> {
        String name = (String) metadata.get("name");
        if (!map(name).equals(name)) {
          metadata.put("name", map(name));
          // The server labels every namespace with its own name.
          if (metadata.get("labels") instanceof Map<?, ?> labels)
            labels.remove("kubernetes.io/metadata.name");
        }
      }
      case "persistentvolumes" -> mapIn(child(o, "spec", "claimRef"));
      case "rolebindings.rbac.authorization.k8s.io",
          "clusterrolebindings.rbac.authorization.k8s.io" -> {
        if (o.get("subjects") instanceof List<?> subjects) {
          for (Object s : subjects) if (s instanceof Map<?, ?> m) mapIn((Map<String, Object>) m);
        }
      }
      case "validatingwebhookconfigurations.admissionregistration.k8s.io",
          "mutatingwebhookconfigurations.admissionregistration.k8s.io" -> {
        if (o.get("webhooks") instanceof List<?> hooks) {
          for (Object h : hooks) {
            if (h instanceof Map<?, ?> m)
              mapIn(child((Map<String, Object>) m, "clientConfig", "service"));
          }
        }
      }
      case "customresourcedefinitions.apiextensions.k8s.io" ->
          mapIn(child(o, "spec", "conversion", "webhook", "clientConfig", "service"));
      case "apiservices.apiregistration.k8s.io" -> mapIn(child(o, "spec", "service"));
      default -> {}
    }
  }

  private void mapIn(Map<String, Object> m) {
    if (m != null && m.get("namespace") instanceof String ns) m.put("namespace", map(ns));
  }

  /** The map at {@code path} under {@code o}, or null. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> child(Map<String, Object> o, String... path) {
    Object cur = o;
    for (String p : path) {
      if (!(cur instanceof Map<?, ?> m)) return null;
      cur = m.get(p);
    }
    return cur instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }
}
