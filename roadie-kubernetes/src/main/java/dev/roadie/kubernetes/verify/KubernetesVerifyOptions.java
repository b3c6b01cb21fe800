package dev.roadie.kubernetes.verify;

import dev.roadie.core.source.VerifyRequest;
import dev.roadie.kubernetes.client.KubeEnvironment;
import java.util.Map;

/**
 * How a {@code k8s} snapshot is verified against a cluster.
 *
 * @param environment where the kubeconfig is
 * @param namespaceMapping the mapping the copy was restored with (OLD to NEW)
 * @param mode what is checked in the cluster
 */
public record KubernetesVerifyOptions(
    KubeEnvironment environment, Map<String, String> namespaceMapping, Mode mode)
    implements VerifyRequest.Options {

  public enum Mode {
    /**
     * The cluster holds a restored copy: every object of the snapshot is there, and applying the
     * snapshot's object would change nothing.
     */
    COMPARE,
    /**
     * The cluster would take the snapshot as a restore with the mapping would write it: each object
     * sent as a server-side dry-run apply, nothing stored (namespaces the objects need and the
     * cluster lacks are created empty for the check and deleted after).
     */
    ACCEPT
  }

  public KubernetesVerifyOptions {
    namespaceMapping = namespaceMapping == null ? Map.of() : Map.copyOf(namespaceMapping);
    mode = mode == null ? Mode.COMPARE : mode;
  }
}
