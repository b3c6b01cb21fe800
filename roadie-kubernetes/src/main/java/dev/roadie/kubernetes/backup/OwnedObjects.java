package dev.roadie.kubernetes.backup;

import dev.roadie.kubernetes.client.ApiResource;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the cluster makes by itself and a backup leaves out by default: a restore would only race
 * the controller that makes it again (a deployment's replica sets and pods, a service's endpoint
 * slices), or the object is the server's own (its bootstrap roles, the {@code kubernetes} service,
 * nodes, events, leases). {@code --include-owned} keeps them; a kind named in {@code
 * --include-kinds} is listed even when it is one of {@link #KINDS}.
 */
public final class OwnedObjects {

  /** Kinds whose every object the cluster makes and keeps up itself. */
  public static final Set<String> KINDS =
      Set.of(
          "events",
          "events.events.k8s.io",
          "leases.coordination.k8s.io",
          "controllerrevisions.apps",
          "nodes",
          "csinodes.storage.k8s.io",
          "volumeattachments.storage.k8s.io",
          "ipaddresses.networking.k8s.io",
          "servicecidrs.networking.k8s.io",
          "componentstatuses",
          "certificatesigningrequests.certificates.k8s.io",
          "resourceslices.resource.k8s.io",
          "csistoragecapacities.storage.k8s.io");

  private OwnedObjects() {}

  /**
   * Why {@code object} of {@code resource} is the cluster's own, or null when it is not: it has a
   * controller owner, or it is one of the objects the API server and its controllers create.
   */
  public static String owner(ApiResource resource, Map<String, Object> object) {
    Map<?, ?> metadata = object.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
    if (metadata.get("ownerReferences") instanceof List<?> refs) {
      for (Object o : refs) {
        if (o instanceof Map<?, ?> ref && Boolean.TRUE.equals(ref.get("controller"))) {
          return "made by " + ref.get("kind") + " " + ref.get("name");
        }
      }
    }
    Map<?, ?> labels = metadata.get("labels") instanceof Map<?, ?> l ? l : Map.of();
    Map<?, ?> annotations = metadata.get("annotations") instanceof Map<?, ?> a ? a : Map.of();
    String name = String.valueOf(metadata.get("name"));
    if ("rbac-defaults".equals(labels.get("kubernetes.io/bootstrapping")))
      return "a default role of the API server";
    if ("true".equals(annotations.get("apf.kubernetes.io/autoupdate-spec")))
      return "kept up by the API server";
    if (labels.containsKey("kube-aggregator.kubernetes.io/automanaged"))
      return "kept up by the API server";
    if (labels.containsKey("endpoints.kubernetes.io/managed-by")
        || labels.containsKey("endpointslice.kubernetes.io/managed-by")) {
      return "kept up by the endpoints controller";
    }
    return switch (resource.name()) {
      case "configmaps" ->
          "kube-root-ca.crt".equals(name)
              ? "published in every namespace by the controller manager"
              : null;
      case "services" ->
          "default".equals(metadata.get("namespace")) && "kubernetes".equals(name)
              ? "the API server's own service"
              : null;
      case "priorityclasses.scheduling.k8s.io" ->
          name.startsWith("system-") ? "a default priority class" : null;
      default -> null;
    };
  }
}
