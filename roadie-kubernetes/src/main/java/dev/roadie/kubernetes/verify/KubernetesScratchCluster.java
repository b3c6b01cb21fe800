package dev.roadie.kubernetes.verify;

import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.kubernetes.client.KubeEnvironment;
import java.util.Map;

/**
 * A scratch cluster that {@code roadie verify} and {@code roadie drill} ask whether it would take a
 * {@code k8s} snapshot ({@code --scratch-cluster KUBECONFIG}): every object goes through a
 * server-side dry-run apply there, mapped as a restore with {@code namespaceMapping} would write it
 * ({@link KubernetesVerifyOptions.Mode#ACCEPT}).
 *
 * @param environment the scratch cluster's kubeconfig
 * @param context the kubeconfig context, or null for its current one
 * @param namespaceMapping OLD to NEW, as {@code restore --namespace-mapping}; empty for none
 */
public record KubernetesScratchCluster(
    KubeEnvironment environment, String context, Map<String, String> namespaceMapping)
    implements ScratchVerifyRequest.Options {
  public KubernetesScratchCluster {
    if (environment == null)
      throw new IllegalArgumentException("a scratch cluster needs its kubeconfig");
    namespaceMapping = namespaceMapping == null ? Map.of() : Map.copyOf(namespaceMapping);
  }
}
