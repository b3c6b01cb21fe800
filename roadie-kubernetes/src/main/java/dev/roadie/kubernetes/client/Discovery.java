package dev.roadie.kubernetes.client;

import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What an API server serves: every API group (built-in, aggregated and those of custom resource
 * definitions) and its resources, read from the discovery endpoints ({@code /api/v1}, {@code
 * /apis}, {@code /apis/GROUP/VERSION}) in parallel. Subresources ({@code deployments/scale}) are
 * left out. A group version whose discovery fails (an aggregated API whose server is down) is
 * listed in {@link #unavailable()} rather than failing the whole discovery, as kubectl does.
 */
public final class Discovery {
  private final List<ApiResource> preferred;
  private final List<ApiResource> all;
  private final List<String> unavailable;

  private Discovery(List<ApiResource> preferred, List<ApiResource> all, List<String> unavailable) {
    this.preferred = preferred;
    this.all = all;
    this.unavailable = unavailable;
  }

  /** Reads the server's discovery documents. */
  public static Discovery load(KubeConnection conn) {
    Map<String, Object> groups = conn.get("/apis", "discover the API groups");
    // group version -> whether it is its group's preferred version
    Map<String, Boolean> versions = new LinkedHashMap<>();
    versions.put("v1", true);
    for (Object o : list(groups.get("groups"))) {
      if (!(o instanceof Map<?, ?> g)) continue;
      String preferredVersion =
          g.get("preferredVersion") instanceof Map<?, ?> p ? (String) p.get("groupVersion") : null;
      for (Object v : list(g.get("versions"))) {
        if (v instanceof Map<?, ?> vm && vm.get("groupVersion") instanceof String gv) {
          versions.put(gv, gv.equals(preferredVersion));
        }
      }
    }
    List<ApiResource> preferred = new ArrayList<>();
    List<ApiResource> all = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Map<String, Future<List<ApiResource>>> futures = new LinkedHashMap<>();
      for (String gv : versions.keySet()) {
        futures.put(gv, pool.submit(() -> resources(conn, gv)));
      }
      for (var e : futures.entrySet()) {
        try {
          List<ApiResource> rs = e.getValue().get();
          all.addAll(rs);
          if (versions.get(e.getKey())) preferred.addAll(rs);
        } catch (java.util.concurrent.ExecutionException ex) {
          if (ex.getCause() instanceof KubeApiException k && k.status() != 401) {
            unavailable.add(e.getKey() + " (" + k.getMessage() + ")");
          } else if (ex.getCause() instanceof RuntimeException r) {
            throw r;
          } else {
            throw new IllegalStateException(ex.getCause());
          }
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new RoadieException(dev.roadie.core.ErrorCode.FAILURE, "interrupted", ex);
        }
      }
    }
    return new Discovery(List.copyOf(preferred), List.copyOf(all), List.copyOf(unavailable));
  }

  private static List<ApiResource> resources(KubeConnection conn, String groupVersion) {
    String path = groupVersion.contains("/") ? "/apis/" + groupVersion : "/api/" + groupVersion;
    Map<String, Object> doc = conn.get(path, "discover the resources of " + groupVersion);
    String group =
        groupVersion.contains("/") ? groupVersion.substring(0, groupVersion.indexOf('/')) : "";
    String version = groupVersion.substring(groupVersion.indexOf('/') + 1);
    List<ApiResource> out = new ArrayList<>();
    for (Object o : list(doc.get("resources"))) {
      if (!(o instanceof Map<?, ?> r)
          || !(r.get("name") instanceof String name)
          || name.contains("/")) continue;
      Set<String> verbs = new HashSet<>();
      for (Object v : list(r.get("verbs"))) verbs.add(String.valueOf(v));
      List<String> shortNames = new ArrayList<>();
      for (Object v : list(r.get("shortNames"))) shortNames.add(String.valueOf(v));
      out.add(
          new ApiResource(
              group,
              version,
              name,
              String.valueOf(r.get("kind")),
              Boolean.TRUE.equals(r.get("namespaced")),
              verbs,
              shortNames));
    }
    return out;
  }

  private static List<?> list(Object o) {
    return o instanceof List<?> l ? l : List.of();
  }

  /** Every resource in its group's preferred version. */
  public List<ApiResource> preferred() {
    return preferred;
  }

  /** Every resource in every version served. */
  public Collection<ApiResource> all() {
    return all;
  }

  /** Group versions whose discovery failed, each with why. */
  public List<String> unavailable() {
    return unavailable;
  }

  /**
   * The resource of objects with this {@code apiVersion} and {@code kind}, if the server serves it.
   */
  public Optional<ApiResource> forKind(String apiVersion, String kind) {
    return all.stream()
        .filter(r -> r.apiVersion().equals(apiVersion) && r.kind().equals(kind))
        .findFirst();
  }

  /** The preferred resource named {@code name} ({@code deployments.apps}), if served. */
  public Optional<ApiResource> byName(String name) {
    return preferred.stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
