package dev.roadie.kubernetes.drift;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.kubernetes.backup.OwnedObjects;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.objects.ObjectNormalizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Compares what a cluster has, or had at a snapshot, with what the manifests in Git define.
 *
 * <p>With a server ({@code server} not null), each manifest is sent to it as a server-side dry-run
 * apply: the server answers with the object as it would store it (its defaults filled in, its
 * canonical forms) and with the exact set of fields the manifest sets; those fields, and only
 * those, are compared with the cluster's object. Defaults therefore never count as drift. When the
 * compared objects are the live cluster's, a field Git does not set also counts when a person's
 * tool set it (a {@code kubectl} field manager: a key removed from the manifest but still applied,
 * a label added by hand). Without a server (offline), the manifest's own fields are compared with
 * the recorded object as written, quantities by value.
 *
 * <p>Missing: Git defines it, the cluster does not have it. Extra: an object of a namespaced kind
 * the manifests use, in a namespace they name (or define), that they do not define; never the
 * objects the server creates itself ({@link #serverCreated}) nor those a controller owns.
 */
public final class Drift {
  /** The field manager of the dry runs; it owns nothing in the cluster, as nothing is written. */
  static final String FIELD_MANAGER = "roadie-drift";

  private static final int PARALLEL_OBJECTS = 16;
  private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final ClusterObjects cluster;
  private final LiveCluster server;
  private final String defaultNamespace;

  /**
   * @param cluster the objects to compare (the live cluster, or a snapshot's)
   * @param server the API server for dry runs (the live cluster, another, or null for offline)
   * @param defaultNamespace the namespace of namespaced manifests that name none
   */
  public Drift(ClusterObjects cluster, LiveCluster server, String defaultNamespace) {
    this.cluster = cluster;
    this.server = server;
    this.defaultNamespace = defaultNamespace;
  }

  /** Compares; {@code against} names the manifests in the report. */
  public DriftReport compare(String against, List<Manifest> manifests) throws IOException {
    KindScopes scopes = new KindScopes(cluster, server, manifests);
    Map<ObjectKey, Manifest> defined = new LinkedHashMap<>();
    for (Manifest m : manifests) {
      Boolean namespaced = scopes.namespaced(m.apiVersion(), m.kind());
      String ns =
          Boolean.FALSE.equals(namespaced)
              ? null
              : m.namespace() != null ? m.namespace() : defaultNamespace;
      ObjectKey key = new ObjectKey(ObjectKey.groupOf(m.apiVersion()), m.kind(), ns, m.name());
      Manifest earlier = defined.putIfAbsent(key, m);
      if (earlier != null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            key
                + " is defined twice: at "
                + earlier.origin()
                + " and at "
                + m.origin()
                + "; keep one");
      }
    }
    List<ObjectDrift> out = new ArrayList<>();
    int unchanged = 0;
    // Each object is a read and a dry run: several at once, as kubectl's own requests are bounded.
    Semaphore slots = new Semaphore(PARALLEL_OBJECTS);
    List<Future<ObjectDrift>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Map.Entry<ObjectKey, Manifest> e : defined.entrySet()) {
        results.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    return compareOne(e.getKey(), e.getValue());
                  } finally {
                    slots.release();
                  }
                }));
      }
      for (Future<ObjectDrift> f : results) {
        ObjectDrift d = Repository.await(f);
        if (d == null) unchanged++;
        else out.add(d);
      }
    }
    out.addAll(extras(defined, scopes));
    out.sort(Comparator.comparing(ObjectDrift::state).thenComparing(ObjectDrift::key));
    String mode = server == null ? "offline" : server == cluster ? "live" : "snapshot";
    return new DriftReport(cluster.describe(), against, mode, out, unchanged);
  }

  /** How one object Git defines differs from the cluster's; null when it does not. */
  private ObjectDrift compareOne(ObjectKey key, Manifest manifest) {
    ObjectDrift d = compareUnredacted(key, manifest);
    return d == null || !isSecret(key)
        ? d
        : new ObjectDrift(
            d.state(),
            d.key(),
            d.apiVersion(),
            d.origin(),
            d.fields().stream().map(Drift::redacted).toList(),
            d.message());
  }

  /** Shown instead of a Secret's values: a drift report goes to terminals and CI logs. */
  static final String REDACTED = "<redacted>";

  private static boolean isSecret(ObjectKey key) {
    return key.group().isEmpty() && key.kind().equals("Secret");
  }

  private static FieldDifference redacted(FieldDifference f) {
    if (!f.path().equals("/data")
        && !f.path().startsWith("/data/")
        && !f.path().startsWith("/stringData")) return f;
    return new FieldDifference(
        f.path(),
        f.inCluster(),
        f.inCluster() ? REDACTED : null,
        f.inGit(),
        f.inGit() ? REDACTED : null);
  }

  /**
   * Git's object as the client sends it: without what the server owns, in the namespace it will
   * have, and a Secret's {@code stringData} moved into {@code data} (base64) as the server stores
   * it.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> gitForm(ObjectKey key, Manifest manifest) {
    Map<String, Object> git = new TreeMap<>(ObjectNormalizer.normalize(manifest.object(), false));
    Map<String, Object> metadata = (Map<String, Object>) git.get("metadata");
    if (key.namespace() != null) metadata.put("namespace", key.namespace());
    else metadata.remove("namespace");
    if (isSecret(key) && git.remove("stringData") instanceof Map<?, ?> plain) {
      Map<String, Object> data =
          git.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : new TreeMap<>();
      plain.forEach(
          (k, v) ->
              data.put(
                  String.valueOf(k),
                  Base64.getEncoder()
                      .encodeToString(String.valueOf(v).getBytes(StandardCharsets.UTF_8))));
      git.put("data", data);
    }
    return git;
  }

  private ObjectDrift compareUnredacted(ObjectKey key, Manifest manifest) {
    Map<String, Object> git = gitForm(key, manifest);
    Map<String, Object> raw;
    try {
      raw = cluster.get(key, manifest.apiVersion());
    } catch (RoadieException e) {
      if (!(e instanceof dev.roadie.kubernetes.client.KubeApiException)) throw e;
      return failed(key, manifest, e.getMessage());
    }
    if (raw == null) {
      String uncertain = cluster.notCovered(key, resource(manifest.apiVersion(), key.kind()));
      if (uncertain != null) return failed(key, manifest, "not compared: " + uncertain);
      return new ObjectDrift(
          ObjectDrift.State.MISSING,
          key,
          manifest.apiVersion(),
          manifest.origin(),
          List.of(),
          null);
    }
    Map<String, Object> actual = ObjectNormalizer.normalize(raw, false);
    List<FieldDifference> fields;
    if (server == null) {
      fields = new FieldComparison(true).compare(FieldComparison.fieldsOf(git), actual, git);
    } else {
      Map<String, Object> applied;
      try {
        applied = server.dryRunApply(key, manifest.apiVersion(), git, FIELD_MANAGER);
      } catch (dev.roadie.kubernetes.client.KubeApiException e) {
        // What differs is still worth showing, compared as written since the server will not say
        // more.
        List<FieldDifference> asWritten =
            new FieldComparison(true).compare(FieldComparison.fieldsOf(git), actual, git);
        if (server == cluster) {
          return new ObjectDrift(
              ObjectDrift.State.FAILED,
              key,
              manifest.apiVersion(),
              manifest.origin(),
              asWritten,
              e.getMessage());
        }
        // A snapshot's object is compared with a cluster that only normalises: a refusal there (its
        // namespace is gone, its live object differs in an immutable field) says nothing of the
        // snapshot.
        return asWritten.isEmpty()
            ? null
            : new ObjectDrift(
                ObjectDrift.State.CHANGED,
                key,
                manifest.apiVersion(),
                manifest.origin(),
                asWritten,
                "compared as written: " + e.getMessage());
      }
      Map<String, Object> gitFields = managedFields(applied, FIELD_MANAGER, "Apply");
      fields =
          new ArrayList<>(
              new FieldComparison(false)
                  .compare(gitFields, actual, ObjectNormalizer.normalize(applied, false)));
      if (server == cluster) fields.addAll(setByHand(raw, gitFields, fields));
    }
    if (fields.isEmpty()) return null;
    return new ObjectDrift(
        ObjectDrift.State.CHANGED, key, manifest.apiVersion(), manifest.origin(), fields, null);
  }

  private static ObjectDrift failed(ObjectKey key, Manifest manifest, String why) {
    return new ObjectDrift(
        ObjectDrift.State.FAILED, key, manifest.apiVersion(), manifest.origin(), List.of(), why);
  }

  /**
   * Fields of the live object that Git does not set and that a person's tool set. A field that a
   * client-side {@code kubectl apply} last applied (its {@code last-applied-configuration}
   * annotation, as {@code kubectl diff} reads it) is one: Git had it and has it no longer. So is a
   * field owned by another {@code kubectl} field manager: a server-side apply, or an edit, patch,
   * label, annotate, scale, set or replace by hand. The managers of {@code kubectl create} and
   * client-side apply are not asked: a create owns the defaults the server filled in too.
   */
  private static List<FieldDifference> setByHand(
      Map<String, Object> raw, Map<String, Object> gitFields, List<FieldDifference> already) {
    List<Map<String, ?>> hands = new ArrayList<>();
    Map<String, Object> lastApplied = lastApplied(raw);
    if (lastApplied != null) hands.add(FieldComparison.fieldsOf(withoutIdentity(lastApplied)));
    // The annotation is kubectl's bookkeeping, never drift, and may hold a Secret's values: not
    // shown.
    Map<String, Object> shown = ObjectNormalizer.sortedCopy(raw);
    if (shown.get("metadata") instanceof Map<?, ?> m
        && m.get("annotations") instanceof Map<?, ?> a) {
      a.remove(LAST_APPLIED);
      if (a.isEmpty()) m.remove("annotations");
    }
    for (Map<String, Object> entry : managedFieldEntries(raw)) {
      if (!(entry.get("manager") instanceof String manager)
          || !manager.startsWith("kubectl")
          || manager.equals("kubectl-client-side-apply")
          || manager.equals("kubectl-create")
          || "status".equals(entry.get("subresource"))
          || !(entry.get("fieldsV1") instanceof Map<?, ?> f)) {
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> fields = (Map<String, Object>) f;
      hands.add(fields);
    }
    Set<String> seen = new LinkedHashSet<>();
    already.forEach(f -> seen.add(f.path()));
    List<FieldDifference> out = new ArrayList<>();
    for (Map<String, ?> hand : hands) {
      for (FieldDifference d : FieldComparison.unownedByGit(hand, gitFields, shown)) {
        if (!d.path().startsWith("/status/") && seen.add(d.path())) out.add(d);
      }
    }
    return out;
  }

  /**
   * What an applied manifest sets besides which object it is (apiVersion, kind, name, namespace),
   * without the empty maps kubectl writes ({@code annotations: {}}): the fields a server-side apply
   * would own.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutIdentity(Map<String, Object> manifest) {
    Map<String, Object> copy = ObjectNormalizer.sortedCopy(manifest);
    copy.remove("apiVersion");
    copy.remove("kind");
    if (copy.get("metadata") instanceof Map<?, ?> m) {
      m.remove("name");
      m.remove("namespace");
    }
    return (Map<String, Object>) dropEmptyMaps(copy);
  }

  private static Object dropEmptyMaps(Object value) {
    if (value instanceof Map<?, ?> map) {
      map.values().forEach(Drift::dropEmptyMaps);
      map.values().removeIf(v -> v instanceof Map<?, ?> child && child.isEmpty());
    } else if (value instanceof List<?> list) {
      list.forEach(Drift::dropEmptyMaps);
    }
    return value;
  }

  /** The manifest a client-side {@code kubectl apply} last applied, or null. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> lastApplied(Map<String, Object> raw) {
    if (raw.get("metadata") instanceof Map<?, ?> m
        && m.get("annotations") instanceof Map<?, ?> a
        && a.get(LAST_APPLIED) instanceof String json) {
      try {
        return JSON.readValue(json, Map.class);
      } catch (java.io.IOException e) {
        return null; // not kubectl's: nothing to learn from it
      }
    }
    return null;
  }

  /**
   * The FieldsV1 of one manager's entry in an object's {@code managedFields}; empty when it has
   * none.
   */
  static Map<String, Object> managedFields(
      Map<String, Object> object, String manager, String operation) {
    for (Map<String, Object> entry : managedFieldEntries(object)) {
      if (manager.equals(entry.get("manager"))
          && operation.equals(entry.get("operation"))
          && entry.get("subresource") == null
          && entry.get("fieldsV1") instanceof Map<?, ?> f) {
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) f;
        return fields;
      }
    }
    return Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> managedFieldEntries(Map<String, Object> object) {
    if (object.get("metadata") instanceof Map<?, ?> m
        && m.get("managedFields") instanceof List<?> list) {
      List<Map<String, Object>> out = new ArrayList<>();
      for (Object o : list) if (o instanceof Map<?, ?> e) out.add((Map<String, Object>) e);
      return out;
    }
    return List.of();
  }

  /**
   * Objects of the namespaced kinds Git uses, in the namespaces it names, that Git does not define.
   */
  private List<ObjectDrift> extras(Map<ObjectKey, Manifest> defined, KindScopes scopes) {
    Set<String> namespaces = new LinkedHashSet<>();
    Map<String, String> kinds = new LinkedHashMap<>(); // KIND.GROUP -> apiVersion
    Map<String, String> kindNames = new HashMap<>();
    for (Map.Entry<ObjectKey, Manifest> e : defined.entrySet()) {
      ObjectKey key = e.getKey();
      if (key.namespace() != null) {
        namespaces.add(key.namespace());
        kinds.putIfAbsent(key.kindAndGroup(), e.getValue().apiVersion());
        kindNames.put(key.kindAndGroup(), key.kind());
      } else if (key.group().isEmpty() && key.kind().equals("Namespace")) {
        namespaces.add(key.name());
      }
    }
    List<ObjectDrift> out = new ArrayList<>();
    for (Map.Entry<String, String> kind : kinds.entrySet()) {
      for (String ns : namespaces) {
        List<Map<String, Object>> objects;
        try {
          objects = cluster.list(kind.getValue(), kindNames.get(kind.getKey()), ns);
        } catch (dev.roadie.kubernetes.client.KubeApiException e) {
          ObjectKey what =
              new ObjectKey(
                  ObjectKey.groupOf(kind.getValue()), kindNames.get(kind.getKey()), ns, "*");
          out.add(
              new ObjectDrift(
                  ObjectDrift.State.FAILED,
                  what,
                  kind.getValue(),
                  null,
                  List.of(),
                  "cannot tell which objects are extra: " + e.getMessage()));
          continue;
        }
        ApiResource resource = resource(kind.getValue(), kindNames.get(kind.getKey()));
        for (Map<String, Object> object : objects) {
          ObjectKey key = ObjectKey.of(object);
          if (defined.containsKey(key)
              || serverCreated(key)
              || (resource != null && OwnedObjects.owner(resource, object) != null)) {
            continue;
          }
          out.add(
              new ObjectDrift(
                  ObjectDrift.State.EXTRA,
                  key,
                  String.valueOf(object.get("apiVersion")),
                  null,
                  List.of(),
                  null));
        }
      }
    }
    return out;
  }

  /**
   * Objects the server makes that a backup keeps but Git never defines: the {@code default} service
   * account of every namespace, the endpoints of the {@code kubernetes} service. The rest (a
   * controller's objects, {@code kube-root-ca.crt}, the {@code kubernetes} service, bootstrap
   * roles) are {@link OwnedObjects#owner}'s.
   */
  static boolean serverCreated(ObjectKey key) {
    String kind = key.kindAndGroup();
    if (kind.equals("ServiceAccount") && key.name().equals("default")) return true;
    return "default".equals(key.namespace())
        && key.name().equals("kubernetes")
        && (kind.equals("Endpoints") || kind.equals("EndpointSlice.discovery.k8s.io"));
  }

  /**
   * The resource of a kind: the server's, else the compared objects'; null when neither knows it.
   */
  private ApiResource resource(String apiVersion, String kind) {
    ApiResource r = server != null ? server.resource(apiVersion, kind) : null;
    return r != null || cluster == server ? r : cluster.resource(apiVersion, kind);
  }
}
