package dev.roadie.kubernetes.restore;

import dev.roadie.kubernetes.objects.ObjectYaml;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a restore changes in an object so that the new cluster takes it, as Velero does: a Service
 * loses the cluster IPs the old cluster assigned (a headless service keeps {@code None}) and the
 * node ports it picked (those the last applied configuration asked for are kept); a Job loses the
 * selector and labels its controller generated; a service account token secret loses the token the
 * old cluster signed. Claims and volumes are handled by {@link ClusterRestore}, which knows which
 * volumes come back.
 */
public final class RestoreTransforms {
  /** Annotations the volume controllers put on a claim when they bind or provision it. */
  static final Set<String> BIND_ANNOTATIONS =
      Set.of(
          "pv.kubernetes.io/bind-completed",
          "pv.kubernetes.io/bound-by-controller",
          "volume.beta.kubernetes.io/storage-provisioner",
          "volume.kubernetes.io/storage-provisioner",
          "volume.kubernetes.io/selected-node");

  private RestoreTransforms() {}

  @SuppressWarnings("unchecked")
  public static void apply(String kind, Map<String, Object> o) {
    o.remove("status");
    Map<String, Object> spec =
        o.get("spec") instanceof Map<?, ?> s ? (Map<String, Object>) s : null;
    switch (kind) {
      case "services" -> {
        if (spec == null) return;
        if (!"None".equals(spec.get("clusterIP"))) {
          spec.remove("clusterIP");
          spec.remove("clusterIPs");
        }
        Map<String, Object> asked = lastApplied(o);
        Map<String, Object> askedSpec =
            asked != null && asked.get("spec") instanceof Map<?, ?> s
                ? (Map<String, Object>) s
                : Map.of();
        if (!askedSpec.containsKey("healthCheckNodePort")) spec.remove("healthCheckNodePort");
        if (spec.get("ports") instanceof List<?> ports) {
          List<?> askedPorts = askedSpec.get("ports") instanceof List<?> l ? l : List.of();
          for (Object p : ports) {
            if (p instanceof Map<?, ?> port && !askedFor(askedPorts, port)) port.remove("nodePort");
          }
        }
      }
      case "jobs.batch" -> {
        if (spec == null || Boolean.TRUE.equals(spec.get("manualSelector"))) return;
        spec.remove("selector");
        Map<String, Object> template =
            NamespaceMapping.child(spec, "template", "metadata", "labels");
        if (template != null) {
          for (Iterator<String> it = template.keySet().iterator(); it.hasNext(); ) {
            String k = it.next();
            if (k.equals("controller-uid") || k.equals("batch.kubernetes.io/controller-uid"))
              it.remove();
          }
        }
      }
      case "secrets" -> {
        if ("kubernetes.io/service-account-token".equals(o.get("type"))) o.remove("data");
      }
      default -> {}
    }
  }

  /** Whether the last applied configuration asked for this port's node port. */
  private static boolean askedFor(List<?> askedPorts, Map<?, ?> port) {
    for (Object a : askedPorts) {
      if (a instanceof Map<?, ?> ap
          && ap.get("nodePort") != null
          && String.valueOf(ap.get("port")).equals(String.valueOf(port.get("port")))
          && protocol(ap).equals(protocol(port))) {
        return true;
      }
    }
    return false;
  }

  private static String protocol(Map<?, ?> port) {
    return port.get("protocol") instanceof String p ? p : "TCP";
  }

  private static Map<String, Object> lastApplied(Map<String, Object> o) {
    Map<String, Object> annotations = NamespaceMapping.child(o, "metadata", "annotations");
    if (annotations == null
        || !(annotations.get("kubectl.kubernetes.io/last-applied-configuration")
            instanceof String s)) {
      return null;
    }
    try {
      return ObjectYaml.read(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  /** Takes a claim's binding out, so that it binds or provisions anew. */
  @SuppressWarnings("unchecked")
  static void unbindClaim(Map<String, Object> claim) {
    if (claim.get("spec") instanceof Map<?, ?> spec)
      ((Map<String, Object>) spec).remove("volumeName");
    dropBindAnnotations(claim);
  }

  /** Takes out the annotations the volume controllers wrote when they bound the claim. */
  @SuppressWarnings("unchecked")
  static void dropBindAnnotations(Map<String, Object> claim) {
    Map<String, Object> annotations = NamespaceMapping.child(claim, "metadata", "annotations");
    if (annotations != null) {
      BIND_ANNOTATIONS.forEach(annotations::remove);
      if (annotations.isEmpty())
        ((Map<String, Object>) claim.get("metadata")).remove("annotations");
    }
  }
}
