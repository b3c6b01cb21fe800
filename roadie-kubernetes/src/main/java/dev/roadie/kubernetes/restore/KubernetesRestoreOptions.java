package dev.roadie.kubernetes.restore;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.kubernetes.client.KubeEnvironment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a {@code k8s} snapshot is restored into a cluster ({@link
 * dev.roadie.core.source.Destination.Cluster}).
 *
 * @param environment where the kubeconfig is (the caller read the environment)
 * @param namespaceMapping old namespace to new: objects of OLD are restored into NEW, and every
 *     reference to OLD is rewritten (see {@link NamespaceMapping})
 * @param existing what to do with an object that exists already
 * @param dryRun ask the server (server-side dry run) and report what would happen; change nothing
 * @param order kinds to restore first, in this order, one step each, before the default order
 * @param namespaces restore only the objects of these namespaces of the snapshot (empty: all) and
 *     the cluster-scoped objects
 * @param includeKinds restore only these kinds (empty: all)
 * @param excludeKinds kinds not restored
 * @param parallelism requests in flight at once within a step
 * @param retryFor how long a transient refusal (a webhook not ready yet, 5xx, 429, a conflict) is
 *     retried, with backoff, before the object counts as failed
 */
public record KubernetesRestoreOptions(
    KubeEnvironment environment,
    Map<String, String> namespaceMapping,
    Existing existing,
    boolean dryRun,
    List<String> order,
    List<String> namespaces,
    List<String> includeKinds,
    List<String> excludeKinds,
    int parallelism,
    Duration retryFor)
    implements RestoreRequest.Options {

  /** What a restore does with an object of the same name that exists. */
  public enum Existing {
    /** Leave it; report whether it differs from the snapshot's. */
    SKIP,
    /**
     * Server-side apply the snapshot's object with field manager {@code roadie}, taking over its
     * fields.
     */
    UPDATE
  }

  public static final int DEFAULT_PARALLELISM = 16;
  public static final Duration DEFAULT_RETRY = Duration.ofMinutes(2);

  public KubernetesRestoreOptions {
    if (environment == null)
      throw new IllegalArgumentException("a k8s restore needs the kubeconfig environment");
    namespaceMapping =
        namespaceMapping == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(namespaceMapping));
    existing = existing == null ? Existing.SKIP : existing;
    order = order == null ? List.of() : List.copyOf(order);
    namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
    includeKinds = includeKinds == null ? List.of() : List.copyOf(includeKinds);
    excludeKinds = excludeKinds == null ? List.of() : List.copyOf(excludeKinds);
    retryFor = retryFor == null ? DEFAULT_RETRY : retryFor;
    if (parallelism < 1)
      throw new RoadieException(ErrorCode.USAGE, "parallelism must be at least 1");
    for (var e : namespaceMapping.entrySet()) {
      for (String ns : List.of(e.getKey(), e.getValue())) {
        if (!ns.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || ns.length() > 63) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "namespace mapping "
                  + e.getKey()
                  + ":"
                  + e.getValue()
                  + ": '"
                  + ns
                  + "' is not a namespace name");
        }
      }
    }
    if (new java.util.HashSet<>(namespaceMapping.values()).size() < namespaceMapping.size()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "namespace mapping: two namespaces map to the same one: " + namespaceMapping);
    }
  }

  /** The defaults: no mapping, existing objects skipped, a real restore. */
  public static KubernetesRestoreOptions of(KubeEnvironment environment) {
    return new KubernetesRestoreOptions(
        environment,
        Map.of(),
        Existing.SKIP,
        false,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        DEFAULT_PARALLELISM,
        DEFAULT_RETRY);
  }

  /** Parses {@code OLD:NEW} pairs as the command line gives them. */
  public static Map<String, String> parseMapping(List<String> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String p : pairs) {
      int i = p.indexOf(':');
      if (i <= 0 || i == p.length() - 1 || p.indexOf(':', i + 1) >= 0) {
        throw new RoadieException(
            ErrorCode.USAGE, "--namespace-mapping " + p + ": write it OLD:NEW");
      }
      if (out.put(p.substring(0, i), p.substring(i + 1)) != null) {
        throw new RoadieException(
            ErrorCode.USAGE, "--namespace-mapping maps " + p.substring(0, i) + " twice");
      }
    }
    return out;
  }
}
