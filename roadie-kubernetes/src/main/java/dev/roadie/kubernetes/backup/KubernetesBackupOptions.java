package dev.roadie.kubernetes.backup;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.kubernetes.client.KubeEnvironment;
import java.util.List;

/**
 * What a {@code k8s} backup reads.
 *
 * @param environment where the kubeconfig is (the caller read the environment)
 * @param context the kubeconfig context, null for the current one
 * @param namespaces the namespaces to back up; empty with {@code allNamespaces}
 * @param allNamespaces every namespace the server has
 * @param includeKinds only these kinds (resource names as kubectl takes them: {@code deployments},
 *     {@code deployments.apps}, {@code Deployment}, {@code deploy}); empty for every kind
 * @param excludeKinds kinds left out ({@code secrets})
 * @param selector a label selector for the listed objects, null for all
 * @param clusterResources every cluster-scoped object, not only those the namespaces use
 * @param includeStatus keep each object's {@code status}
 * @param includeOwned keep what controllers make and own (pods of a deployment, replica sets,
 *     controller revisions, events, leases, managed endpoints, …)
 * @param parallelism list requests in flight at once
 */
public record KubernetesBackupOptions(
    KubeEnvironment environment,
    String context,
    List<String> namespaces,
    boolean allNamespaces,
    List<String> includeKinds,
    List<String> excludeKinds,
    String selector,
    boolean clusterResources,
    boolean includeStatus,
    boolean includeOwned,
    int parallelism)
    implements BackupRequest.Options {

  public static final int DEFAULT_PARALLELISM = 16;

  public KubernetesBackupOptions {
    if (environment == null)
      throw new IllegalArgumentException("a k8s backup needs the kubeconfig environment");
    namespaces = namespaces == null ? List.of() : namespaces.stream().distinct().sorted().toList();
    includeKinds = includeKinds == null ? List.of() : List.copyOf(includeKinds);
    excludeKinds = excludeKinds == null ? List.of() : List.copyOf(excludeKinds);
    if (allNamespaces == !namespaces.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          allNamespaces
              ? "give --namespace NS or --all-namespaces, not both"
              : "say which namespaces to back up: --namespace NS (repeatable) or --all-namespaces");
    }
    for (String ns : namespaces) {
      if (!ns.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || ns.length() > 63) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "'"
                + ns
                + "' is not a namespace name (lower-case letters, "
                + "digits and '-', at most 63)");
      }
    }
    if (selector != null && selector.isBlank()) selector = null;
    if (parallelism < 1)
      throw new RoadieException(ErrorCode.USAGE, "parallelism must be at least 1");
  }

  /** Options with the defaults: every kind, no selector, no status, owned objects left out. */
  public static KubernetesBackupOptions of(
      KubeEnvironment environment, String context, List<String> namespaces) {
    return new KubernetesBackupOptions(
        environment,
        context,
        namespaces,
        false,
        List.of(),
        List.of(),
        null,
        false,
        false,
        false,
        DEFAULT_PARALLELISM);
  }
}
