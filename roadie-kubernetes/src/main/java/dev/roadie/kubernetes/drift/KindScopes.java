package dev.roadie.kubernetes.drift;

import dev.roadie.kubernetes.client.ApiResource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which kinds live in namespaces, so that a manifest without a namespace gets the default one only
 * when its kind has namespaces. Asked of the API server when there is one, else of the compared
 * objects (a snapshot knows the kinds it recorded), else of the custom resource definitions among
 * the manifests, else of the built-in kinds that are cluster-scoped. A kind nothing knows is taken
 * as namespaced.
 */
final class KindScopes {
  /** The cluster-scoped kinds Kubernetes itself serves, as KIND.GROUP. */
  static final Set<String> CLUSTER_SCOPED =
      Set.of(
          "Namespace",
          "Node",
          "PersistentVolume",
          "ComponentStatus",
          "ClusterRole.rbac.authorization.k8s.io",
          "ClusterRoleBinding.rbac.authorization.k8s.io",
          "CustomResourceDefinition.apiextensions.k8s.io",
          "APIService.apiregistration.k8s.io",
          "MutatingWebhookConfiguration.admissionregistration.k8s.io",
          "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
          "ValidatingAdmissionPolicy.admissionregistration.k8s.io",
          "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io",
          "MutatingAdmissionPolicy.admissionregistration.k8s.io",
          "MutatingAdmissionPolicyBinding.admissionregistration.k8s.io",
          "StorageClass.storage.k8s.io",
          "CSIDriver.storage.k8s.io",
          "CSINode.storage.k8s.io",
          "VolumeAttachment.storage.k8s.io",
          "VolumeAttributesClass.storage.k8s.io",
          "PriorityClass.scheduling.k8s.io",
          "RuntimeClass.node.k8s.io",
          "IngressClass.networking.k8s.io",
          "IPAddress.networking.k8s.io",
          "ServiceCIDR.networking.k8s.io",
          "CertificateSigningRequest.certificates.k8s.io",
          "ClusterTrustBundle.certificates.k8s.io",
          "FlowSchema.flowcontrol.apiserver.k8s.io",
          "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io",
          "DeviceClass.resource.k8s.io",
          "ResourceSlice.resource.k8s.io");

  private final ClusterObjects cluster;
  private final LiveCluster server;
  private final Map<String, Boolean> fromManifests = new HashMap<>();

  KindScopes(ClusterObjects cluster, LiveCluster server, List<Manifest> manifests) {
    this.cluster = cluster;
    this.server = server;
    for (Manifest m : manifests) {
      if (m.kind().equals("CustomResourceDefinition")
          && m.object().get("spec") instanceof Map<?, ?> spec
          && spec.get("names") instanceof Map<?, ?> names
          && names.get("kind") instanceof String kind
          && spec.get("group") instanceof String group) {
        fromManifests.put(kind + "." + group, !"Cluster".equals(spec.get("scope")));
      }
    }
  }

  /** Whether the kind is namespaced; null when nothing can tell. */
  Boolean namespaced(String apiVersion, String kind) {
    ApiResource known = server != null ? server.resource(apiVersion, kind) : null;
    if (known == null && cluster != server) known = cluster.resource(apiVersion, kind);
    if (known != null) return known.namespaced();
    String group = ObjectKey.groupOf(apiVersion);
    String kindAndGroup = group.isEmpty() ? kind : kind + "." + group;
    if (fromManifests.containsKey(kindAndGroup)) return fromManifests.get(kindAndGroup);
    return CLUSTER_SCOPED.contains(kindAndGroup) ? Boolean.FALSE : null;
  }
}
