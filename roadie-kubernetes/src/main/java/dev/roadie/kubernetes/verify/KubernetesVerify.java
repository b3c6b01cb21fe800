package dev.roadie.kubernetes.verify;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.client.Discovery;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.objects.ObjectDiff;
import dev.roadie.kubernetes.objects.ObjectNormalizer;
import dev.roadie.kubernetes.objects.ObjectYaml;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import dev.roadie.kubernetes.restore.NamespaceMapping;
import dev.roadie.kubernetes.restore.RestoreTransforms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Verifies a {@code k8s} snapshot. Always: every stored object parses as a YAML object with an
 * apiVersion, a kind and a name. Then, by where the copy is:
 *
 * <ul>
 *   <li>a directory ({@code restore --target DIR}): each file holds the snapshot's object;
 *   <li>a cluster, {@link KubernetesVerifyOptions.Mode#COMPARE} (the default): each object is
 *       there, and a server-side dry-run apply of the snapshot's object would change nothing;
 *   <li>a cluster, {@link KubernetesVerifyOptions.Mode#ACCEPT}: the cluster would take each object
 *       as the restore would write it (a server-side dry-run apply; see {@link #accept}).
 * </ul>
 */
public final class KubernetesVerify {
  private static final int PARALLEL = 16;

  private KubernetesVerify() {}

  public static VerifyResult verify(VerifyRequest request) throws IOException {
    List<StoredObject> objects =
        SnapshotObjects.read(request.repository(), request.snapshot().snapshot(), e -> true);
    List<String> differences = Collections.synchronizedList(new ArrayList<>());
    List<Parsed> parsed = new ArrayList<>();
    for (StoredObject o : objects) {
      try {
        Map<String, Object> m = o.parse();
        if (!(m.get("apiVersion") instanceof String)
            || !(m.get("kind") instanceof String)
            || !(m.get("metadata") instanceof Map<?, ?> md)
            || !o.name().equals(md.get("name"))) {
          differences.add(o.path() + ": not a Kubernetes object named " + o.name());
          continue;
        }
        parsed.add(new Parsed(o, m));
      } catch (IOException e) {
        differences.add(e.getMessage());
      }
    }
    switch (request.copy()) {
      case Destination.Directory d -> directory(parsed, d.path(), differences);
      case Destination.Cluster c -> {
        KubernetesVerifyOptions o = request.options(KubernetesVerifyOptions.class, null);
        if (o == null) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "verifying against a cluster needs KubernetesVerifyOptions "
                  + "(where the kubeconfig is)");
        }
        try (KubeConnection conn = KubeConnection.open(o.environment(), c.context())) {
          if (o.mode() == KubernetesVerifyOptions.Mode.ACCEPT) {
            accept(conn, parsed, o.namespaceMapping(), differences);
          } else {
            compare(conn, parsed, o.namespaceMapping(), differences);
          }
        }
      }
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a k8s snapshot is verified against a directory or a "
                  + "cluster, not "
                  + request.copy().describe());
    }
    List<String> sorted = new ArrayList<>(differences);
    Collections.sort(sorted);
    return new VerifyResult(objects.size(), "objects", sorted);
  }

  private record Parsed(StoredObject stored, Map<String, Object> object) {}

  private static void directory(List<Parsed> parsed, Path dir, List<String> differences) {
    for (Parsed p : parsed) {
      Path file = dir.resolve(p.stored().path());
      try {
        Map<String, Object> copy = ObjectYaml.read(Files.readAllBytes(file));
        List<String> at = ObjectDiff.paths(p.object(), copy);
        if (!at.isEmpty())
          differences.add(p.stored().path() + ": differs at " + String.join(", ", at));
      } catch (java.nio.file.NoSuchFileException e) {
        differences.add(p.stored().path() + ": missing");
      } catch (IOException e) {
        differences.add(p.stored().path() + ": unreadable: " + e.getMessage());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void compare(
      KubeConnection conn,
      List<Parsed> parsed,
      Map<String, String> mapping,
      List<String> differences)
      throws IOException {
    Discovery discovery = Discovery.load(conn);
    forEach(
        parsed,
        p -> {
          Map<String, Object> want = ObjectNormalizer.sortedCopy(p.object());
          RestoreTransforms.apply(p.stored().kind(), want);
          Map<String, Object> md = (Map<String, Object>) want.get("metadata");
          String ns = md.get("namespace") instanceof String s ? mapping.getOrDefault(s, s) : null;
          if (ns != null) md.put("namespace", ns);
          String name =
              p.stored().kind().equals("namespaces")
                  ? mapping.getOrDefault(p.stored().name(), p.stored().name())
                  : p.stored().name();
          md.put("name", name);
          String where = p.stored().kind() + " " + (ns == null ? "" : ns + "/") + name;
          ApiResource r =
              discovery
                  .forKind(String.valueOf(want.get("apiVersion")), String.valueOf(want.get("kind")))
                  .orElse(null);
          if (r == null) {
            differences.add(
                where
                    + ": the cluster does not serve "
                    + want.get("apiVersion")
                    + " "
                    + want.get("kind"));
            return;
          }
          KubeConnection.Response live = conn.send("GET", r.path(ns, name), null, null);
          if (live.status() == 404) {
            differences.add(where + ": missing");
            return;
          }
          if (!live.ok()) throw conn.error(live, "read " + where);
          KubeConnection.Response applied =
              conn.send(
                  "PATCH",
                  r.path(ns, name) + "?fieldManager=roadie-verify&force=true&dryRun=All",
                  "application/apply-patch+yaml",
                  json(want));
          if (!applied.ok()) {
            differences.add(where + ": " + conn.error(applied, "compare").getMessage());
            return;
          }
          List<String> at =
              ObjectDiff.paths(
                  ObjectNormalizer.normalize(live.json(), false),
                  ObjectNormalizer.normalize(applied.json(), false));
          if (!at.isEmpty())
            differences.add(where + ": differs from the snapshot at " + String.join(", ", at));
        });
  }

  /** The label on a namespace that a check creates because the objects need it; removed after. */
  static final String SCRATCH_LABEL = "roadie.dev/verify-scratch";

  /**
   * Whether the cluster would take the snapshot as a restore with {@code mapping} would write it:
   * each object mapped and transformed as the restore does ({@link NamespaceMapping}, {@link
   * RestoreTransforms}), then sent as a server-side dry-run apply with strict field validation (the
   * API server's validation, defaulting and admission run; nothing is stored). The API server
   * admits no object into a namespace that does not exist, not even on a dry run: a namespace the
   * objects go into that the cluster lacks is created empty for the check (labelled {@value
   * #SCRATCH_LABEL}) and deleted after; no existing namespace or object is changed. A custom
   * resource whose definition the snapshot holds but the cluster lacks cannot be judged by the
   * server until that definition exists; it is not a difference.
   */
  @SuppressWarnings("unchecked")
  private static void accept(
      KubeConnection conn,
      List<Parsed> parsed,
      Map<String, String> mapping,
      List<String> differences)
      throws IOException {
    Discovery discovery = Discovery.load(conn);
    NamespaceMapping namespaces = new NamespaceMapping(mapping);
    List<Parsed> mapped = new ArrayList<>();
    java.util.Set<String> definedHere = new java.util.HashSet<>();
    java.util.Set<String> needed = new java.util.TreeSet<>();
    for (Parsed p : parsed) {
      Map<String, Object> o = ObjectNormalizer.sortedCopy(p.object());
      namespaces.rewrite(p.stored().kind(), o);
      RestoreTransforms.apply(p.stored().kind(), o);
      mapped.add(new Parsed(p.stored(), o));
      if (((Map<String, Object>) o.get("metadata")).get("namespace") instanceof String ns)
        needed.add(ns);
      if (p.stored().kind().equals("customresourcedefinitions.apiextensions.k8s.io")
          && o.get("spec") instanceof Map<?, ?> spec
          && spec.get("names") instanceof Map<?, ?> names) {
        definedHere.add(spec.get("group") + "/" + names.get("kind"));
      }
    }
    List<String> created = new ArrayList<>();
    try {
      for (String ns : needed) {
        KubeConnection.Response r = conn.send("GET", "/api/v1/namespaces/" + ns, null, null);
        if (r.ok()) {
          if (r.json().get("status") instanceof Map<?, ?> st
              && "Terminating".equals(st.get("phase"))) {
            differences.add(
                "namespace "
                    + ns
                    + ": being deleted in the cluster, which admits nothing into it; "
                    + "verify again once it is gone");
          }
          continue;
        }
        if (r.status() != 404) throw conn.error(r, "read namespace " + ns);
        KubeConnection.Response made =
            conn.send(
                "POST",
                "/api/v1/namespaces",
                "application/json",
                json(
                    Map.of(
                        "apiVersion",
                        "v1",
                        "kind",
                        "Namespace",
                        "metadata",
                        Map.of("name", ns, "labels", Map.of(SCRATCH_LABEL, "true")))));
        if (!made.ok())
          throw conn.error(made, "create namespace " + ns + ", which the check needs empty");
        created.add(ns);
      }
      forEach(
          mapped,
          p -> {
            Map<String, Object> want = p.object();
            Map<String, Object> md = (Map<String, Object>) want.get("metadata");
            String apiVersion = String.valueOf(want.get("apiVersion"));
            String kind = String.valueOf(want.get("kind"));
            String ns = md.get("namespace") instanceof String s ? s : null;
            String name = String.valueOf(md.get("name"));
            String where = p.stored().kind() + " " + (ns == null ? "" : ns + "/") + name;
            ApiResource r = discovery.forKind(apiVersion, kind).orElse(null);
            if (r == null) {
              String group = apiVersion.contains("/") ? apiVersion.replaceFirst("/.*", "") : "";
              if (definedHere.contains(group + "/" + kind)) return;
              differences.add(where + ": the cluster does not serve " + apiVersion + " " + kind);
              return;
            }
            KubeConnection.Response resp =
                conn.send(
                    "PATCH",
                    r.path(r.namespaced() ? ns : null, name)
                        + "?dryRun=All&fieldManager=roadie-verify&force=true&fieldValidation=Strict",
                    "application/apply-patch+yaml",
                    json(want));
            if (!resp.ok()) {
              differences.add(
                  where + ": the cluster refuses it: " + conn.error(resp, "apply").getMessage());
            }
          });
    } finally {
      for (String ns : created) conn.send("DELETE", "/api/v1/namespaces/" + ns, null, null);
    }
  }

  private interface Check {
    void run(Parsed p);
  }

  private static void forEach(List<Parsed> parsed, Check check) throws IOException {
    Semaphore slots = new Semaphore(PARALLEL);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = new ArrayList<>();
      for (Parsed p : parsed) {
        futures.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    check.run(p);
                  } finally {
                    slots.release();
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) dev.roadie.core.repo.Repository.await(f);
    }
  }

  private static byte[] json(Map<String, Object> o) {
    try {
      return KubeConnection.JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
