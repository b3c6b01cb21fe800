package dev.roadie.kubernetes.backup;

import dev.roadie.core.source.SourceMetadata;
import java.util.List;
import java.util.Map;

/**
 * What a {@code k8s} snapshot records besides its objects (the snapshot's {@code source} object).
 *
 * @param server the API server's URL
 * @param serverVersion its version ({@code v1.36.3})
 * @param namespaces the namespaces backed up (every one the server had, with {@code allNamespaces})
 * @param allNamespaces whether the backup took every namespace
 * @param objects objects stored per kind ({@code deployments.apps: 3})
 * @param forbidden what the credentials may not read ({@code secrets in festival}): left out
 * @param unavailable API group versions whose discovery failed (an aggregated API that was down)
 * @param ownedSkipped objects left out because a controller makes them
 * @param selector the label selector, if one was given
 * @param clusterResources whether every cluster-scoped object was taken
 * @param includeStatus whether objects keep their status
 */
public record KubernetesMetadata(
    String server,
    String serverVersion,
    List<String> namespaces,
    Boolean allNamespaces,
    Map<String, Long> objects,
    List<String> forbidden,
    List<String> unavailable,
    Long ownedSkipped,
    String selector,
    Boolean clusterResources,
    Boolean includeStatus)
    implements SourceMetadata {

  /** Objects stored in all. */
  public long total() {
    return objects == null ? 0 : objects.values().stream().mapToLong(Long::longValue).sum();
  }
}
