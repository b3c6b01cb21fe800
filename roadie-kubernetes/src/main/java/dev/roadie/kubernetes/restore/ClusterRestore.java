package dev.roadie.kubernetes.restore;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.kubernetes.backup.OwnedObjects;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.client.Discovery;
import dev.roadie.kubernetes.client.KubeApiException;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.objects.ObjectDiff;
import dev.roadie.kubernetes.objects.ObjectNormalizer;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import dev.roadie.kubernetes.restore.RestoreReport.Action;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Restores a {@code k8s} snapshot into a cluster: objects are read from the snapshot, mapped to
 * their new namespaces, made fit for the new cluster ({@link RestoreTransforms}), and created step
 * by step in {@link RestoreOrder}, in parallel within a step. After the custom resource definitions
 * it waits until each is established and served. An object that exists is left as it is and
 * compared ({@code --existing skip}) or server-side applied ({@code --existing update}); a
 * persistent volume that exists is never replaced: under a namespace mapping the mapped claim gets
 * a copy of it under a new name. Transient refusals are retried with backoff; every object gets a
 * line in the {@link RestoreReport}.
 *
 * <p>Checked before anything is written: the credentials and the server, and that no mapped
 * namespace exists holding objects the snapshot does not have (unless {@code --existing update}).
 */
public final class ClusterRestore {
  private static final Set<String> WORKLOADS =
      Set.of("deployments.apps", "statefulsets.apps", "daemonsets.apps");
  private static final String CRDS = "customresourcedefinitions.apiextensions.k8s.io";

  private final Repository repo;
  private final SnapshotRef snapshot;
  private final Destination.Cluster destination;
  private final KubernetesRestoreOptions options;
  private final NamespaceMapping mapping;
  private final RestoreReport.Builder report = new RestoreReport.Builder();

  private KubeConnection conn;
  private Discovery discovery;
  private RestoreOrder order;

  /** One object on its way into the cluster. */
  private static final class Planned {
    final String kind;
    final String fromNamespace;
    final String fromName;
    final Map<String, Object> object;
    ApiResource resource;
    int step;
    String note;

    /**
     * A released volume that exists, whose claim this restore brings back: its stale claim uid
     * goes.
     */
    boolean rebind;

    Planned(StoredObject s, Map<String, Object> object) {
      this.kind = s.kind();
      this.fromNamespace = s.namespace();
      this.fromName = s.name();
      this.object = object;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> metadata() {
      return (Map<String, Object>) object.get("metadata");
    }

    String namespace() {
      return (String) metadata().get("namespace");
    }

    String name() {
      return (String) metadata().get("name");
    }

    String apiVersion() {
      return String.valueOf(object.get("apiVersion"));
    }

    String objectKind() {
      return String.valueOf(object.get("kind"));
    }

    String from() {
      boolean moved =
          !java.util.Objects.equals(fromNamespace, namespace()) || !fromName.equals(name());
      return moved ? (fromNamespace == null ? "" : fromNamespace + "/") + fromName : null;
    }
  }

  public ClusterRestore(
      Repository repo,
      SnapshotRef snapshot,
      Destination.Cluster destination,
      KubernetesRestoreOptions options) {
    this.repo = repo;
    this.snapshot = snapshot;
    this.destination = destination;
    this.options = options;
    this.mapping = new NamespaceMapping(options.namespaceMapping());
  }

  public RestoreReport run() throws IOException {
    List<StoredObject> stored =
        SnapshotObjects.read(
            repo,
            snapshot.snapshot(),
            e ->
                (options.namespaces().isEmpty()
                        || e.namespace() == null
                        || options.namespaces().contains(e.namespace()))
                    && (!"namespaces".equals(e.kind())
                        || options.namespaces().isEmpty()
                        || options.namespaces().contains(e.name()))
                    && (options.includeKinds().isEmpty()
                        || options.includeKinds().stream().anyMatch(k -> names(k, e.kind())))
                    && options.excludeKinds().stream().noneMatch(k -> names(k, e.kind())));
    try (KubeConnection c = KubeConnection.open(options.environment(), destination.context())) {
      this.conn = c;
      return restore(stored);
    }
  }

  /**
   * Whether a kind as a person gives it ({@code deployments}, {@code deployments.apps}, {@code
   * Deployment}) names {@code dir}.
   */
  static boolean names(String given, String dir) {
    String g = given.toLowerCase(Locale.ROOT);
    String resource = dir.contains(".") ? dir.substring(0, dir.indexOf('.')) : dir;
    return g.equals(dir)
        || g.equals(resource)
        || (g.endsWith("s") ? g : g + "s").equals(resource)
        || (g.endsWith("y") && (g.substring(0, g.length() - 1) + "ies").equals(resource));
  }

  private RestoreReport restore(List<StoredObject> stored) throws IOException {
    conn.get("/version", "read the server version");
    discovery = Discovery.load(conn);
    order = RestoreOrder.of(resolveOrder());
    List<Planned> plan = new ArrayList<>();
    for (StoredObject s : stored) {
      Map<String, Object> o;
      try {
        o = s.parse();
      } catch (IOException e) {
        report.add(-1, s.kind(), s.namespace(), s.name(), Action.FAILED, e.getMessage(), null);
        continue;
      }
      mapping.rewrite(s.kind(), o);
      RestoreTransforms.apply(s.kind(), o);
      plan.add(new Planned(s, o));
    }
    checkMappedNamespaces(plan);
    resolveResources(plan);
    volumes(plan);
    assignSteps(plan);

    List<List<Planned>> steps = new ArrayList<>();
    for (int i = 0; i < order.steps().size(); i++) steps.add(new ArrayList<>());
    for (Planned p : plan) steps.get(p.step).add(p);
    Set<String> newNamespaces = newNamespaces(plan);
    for (int i = 0; i < steps.size(); i++) {
      List<Planned> step = steps.get(i);
      if (step.isEmpty()) continue;
      runStep(step, newNamespaces);
      if (order.steps().get(i).contains(CRDS)) awaitDefinitions(step, plan);
    }
    return report.build(options.dryRun(), conn.server());
  }

  /**
   * --order's kinds as resource names the server knows (or as given, for kinds it does not serve
   * yet).
   */
  private List<String> resolveOrder() {
    List<String> out = new ArrayList<>();
    for (String given : options.order()) {
      String name =
          discovery.all().stream()
              .filter(r -> r.answersTo(given))
              .map(ApiResource::name)
              .findFirst()
              .orElse(given.toLowerCase(Locale.ROOT));
      if (!out.contains(name)) out.add(name);
    }
    return out;
  }

  /**
   * A mapped namespace that exists and holds objects the snapshot does not have is refused unless
   * {@code --existing update}: restoring into it would mix two applications, and is more likely a
   * mistyped mapping than an intent.
   */
  private void checkMappedNamespaces(List<Planned> plan) {
    for (var m : options.namespaceMapping().entrySet()) {
      String to = m.getValue();
      List<Planned> ours = plan.stream().filter(p -> to.equals(p.namespace())).toList();
      if (ours.isEmpty() || options.existing() == KubernetesRestoreOptions.Existing.UPDATE)
        continue;
      KubeConnection.Response ns = conn.send("GET", "/api/v1/namespaces/" + to, null, null);
      if (ns.status() == 404) continue;
      if (!ns.ok() && ns.status() != 403) throw conn.error(ns, "read namespace " + to);
      Set<String> kinds =
          new TreeSet<>(
              List.of(
                  "configmaps",
                  "secrets",
                  "services",
                  "deployments.apps",
                  "persistentvolumeclaims"));
      ours.forEach(p -> kinds.add(p.kind));
      Set<String> theirs = new TreeSet<>();
      for (String kind : kinds) {
        ApiResource r = discovery.byName(kind).orElse(null);
        if (r == null || !r.namespaced() || !r.verbs().contains("list")) continue;
        KubeConnection.Response list = conn.send("GET", r.path(to) + "?limit=500", null, null);
        if (!list.ok()) continue;
        Set<String> snapshotNames = new java.util.HashSet<>();
        ours.stream().filter(p -> p.kind.equals(kind)).forEach(p -> snapshotNames.add(p.name()));
        for (Object item : (List<?>) list.json().getOrDefault("items", List.of())) {
          @SuppressWarnings("unchecked")
          Map<String, Object> o = (Map<String, Object>) item;
          String name = String.valueOf(((Map<?, ?>) o.get("metadata")).get("name"));
          if (snapshotNames.contains(name) || OwnedObjects.owner(r, o) != null) continue;
          if (kind.equals("serviceaccounts") && name.equals("default")) continue;
          theirs.add(kind + "/" + name);
        }
      }
      if (!theirs.isEmpty()) {
        List<String> some = theirs.stream().limit(5).toList();
        throw new RoadieException(
            ErrorCode.USAGE,
            "--namespace-mapping "
                + m.getKey()
                + ":"
                + to
                + ": namespace "
                + to
                + " exists and holds "
                + theirs.size()
                + " object(s) that are not in the snapshot ("
                + String.join(", ", some)
                + (theirs.size() > some.size() ? ", …" : "")
                + "); restoring "
                + m.getKey()
                + " into it would mix the two. "
                + "Map to a new namespace, or pass --existing update to restore into it anyway; nothing was restored");
      }
    }
  }

  /**
   * Finds each object's resource; a kind the cluster does not serve and no definition in the plan
   * makes is failed.
   */
  private void resolveResources(List<Planned> plan) {
    Map<String, Planned> definitions = new HashMap<>(); // group/kind -> CRD
    for (Planned p : plan) {
      if (p.kind.equals(CRDS)
          && p.object.get("spec") instanceof Map<?, ?> spec
          && spec.get("names") instanceof Map<?, ?> names) {
        definitions.put(spec.get("group") + "/" + names.get("kind"), p);
      }
    }
    for (var it = plan.iterator(); it.hasNext(); ) {
      Planned p = it.next();
      p.resource = discovery.forKind(p.apiVersion(), p.objectKind()).orElse(null);
      if (p.resource != null) continue;
      String group =
          p.apiVersion().contains("/")
              ? p.apiVersion().substring(0, p.apiVersion().indexOf('/'))
              : "";
      if (definitions.containsKey(group + "/" + p.objectKind()))
        continue; // served once its definition is restored
      List<String> served =
          discovery.all().stream()
              .filter(r -> r.group().equals(group) && r.kind().equals(p.objectKind()))
              .map(ApiResource::apiVersion)
              .toList();
      String why =
          !served.isEmpty()
              ? "the cluster serves "
                  + p.objectKind()
                  + " in "
                  + String.join(", ", served)
                  + ", not "
                  + p.apiVersion()
              : p.kind.contains(".") && !group.isEmpty() && !builtIn(group)
                  ? "the cluster has no CustomResourceDefinition for "
                      + p.objectKind()
                      + " ("
                      + p.kind
                      + ") and the "
                      + "snapshot does not hold it: install the definition (or restore it with --include-kinds "
                      + "customresourcedefinitions), then restore again with --include-kinds "
                      + p.kind
                  : "the cluster does not serve " + p.apiVersion() + " " + p.objectKind();
      report.add(-1, p.kind, p.namespace(), p.name(), Action.FAILED, why, p.from());
      it.remove();
    }
  }

  private static boolean builtIn(String group) {
    return !group.contains(".") || group.endsWith(".k8s.io") || group.endsWith(".kubernetes.io");
  }

  /**
   * Volumes: a dynamically provisioned volume whose reclaim policy is Delete is not restored (its
   * disk went with its claim; the claim provisions a new one, as Velero does without snapshots); a
   * volume that exists is never replaced, and under a mapping the mapped claim gets a copy of it
   * under a new name; a claim whose volume does not come back loses its binding.
   */
  @SuppressWarnings("unchecked")
  private void volumes(List<Planned> plan) {
    Map<String, String> renamed = new HashMap<>();
    Set<String> restored = new java.util.HashSet<>();
    for (var it = plan.iterator(); it.hasNext(); ) {
      Planned p = it.next();
      if (!p.kind.equals("persistentvolumes")) continue;
      Map<String, Object> spec = (Map<String, Object>) p.object.getOrDefault("spec", Map.of());
      Map<String, Object> annotations = NamespaceMapping.child(p.object, "metadata", "annotations");
      if ("Delete".equals(spec.get("persistentVolumeReclaimPolicy"))
          && annotations != null
          && annotations.containsKey("pv.kubernetes.io/provisioned-by")) {
        report.add(
            -1,
            p.kind,
            null,
            p.name(),
            Action.SKIPPED,
            "dynamically provisioned with reclaim policy Delete: its "
                + "claim provisions a new volume",
            null);
        it.remove();
        continue;
      }
      Map<String, Object> claim = NamespaceMapping.child(p.object, "spec", "claimRef");
      boolean claimMapped =
          claim != null
              && p.fromNamespace == null
              && !java.util.Objects.equals(claim.get("namespace"), originalClaimNamespace(p));
      KubeConnection.Response live = conn.send("GET", p.resource.path(null, p.name()), null, null);
      if (live.ok() && !claimMapped && claim != null && claimGone(live.json(), claim)) {
        p.rebind = true;
      }
      if (live.ok() && claimMapped) {
        String newName = cloneName(p.name(), String.valueOf(claim.get("namespace")));
        p.note =
            "a copy of persistent volume "
                + p.name()
                + ", which exists (never replaced), for claim "
                + claim.get("namespace")
                + "/"
                + claim.get("name");
        renamed.put(p.name() + "@" + claim.get("namespace"), newName);
        p.metadata().put("name", newName);
      }
      restored.add(p.name());
    }
    for (Planned p : plan) {
      if (!p.kind.equals("persistentvolumeclaims")) continue;
      // The volume controller binds afresh; its old bookkeeping would mark the claim Lost.
      RestoreTransforms.dropBindAnnotations(p.object);
      Map<String, Object> spec = (Map<String, Object>) p.object.getOrDefault("spec", Map.of());
      if (!(spec.get("volumeName") instanceof String volume) || volume.isEmpty()) continue;
      String newName = renamed.get(volume + "@" + p.namespace());
      if (newName != null) {
        spec.put("volumeName", newName);
        p.note = "bound to " + newName + ", a copy of persistent volume " + volume;
      } else if (!restored.contains(volume)) {
        RestoreTransforms.unbindClaim(p.object);
      }
    }
  }

  /**
   * Whether a live volume is still bound, by uid, to a claim of the namespace and name the snapshot
   * binds it to, and that claim is gone (deleted with its namespace): the volume then waits,
   * Released, for nobody, and this restore brings its claim back.
   */
  private boolean claimGone(Map<String, Object> live, Map<String, Object> claim) {
    Map<String, Object> liveClaim = NamespaceMapping.child(live, "spec", "claimRef");
    if (liveClaim == null
        || !(liveClaim.get("uid") instanceof String uid)
        || !java.util.Objects.equals(liveClaim.get("namespace"), claim.get("namespace"))
        || !java.util.Objects.equals(liveClaim.get("name"), claim.get("name"))) {
      return false;
    }
    KubeConnection.Response pvc =
        conn.send(
            "GET",
            "/api/v1/namespaces/"
                + claim.get("namespace")
                + "/persistentvolumeclaims/"
                + claim.get("name"),
            null,
            null);
    if (pvc.status() == 404) return true;
    return pvc.ok()
        && NamespaceMapping.child(pvc.json(), "metadata") instanceof Map<String, Object> md
        && !uid.equals(md.get("uid"));
  }

  /** The namespace a volume's claim had in the snapshot (before mapping). */
  private String originalClaimNamespace(Planned pv) {
    Map<String, Object> claim = NamespaceMapping.child(pv.object, "spec", "claimRef");
    if (claim == null) return null;
    String now = String.valueOf(claim.get("namespace"));
    return options.namespaceMapping().entrySet().stream()
        .filter(e -> e.getValue().equals(now))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(now);
  }

  /** A stable new name for the copy of volume {@code name} for a claim in {@code namespace}. */
  static String cloneName(String name, String namespace) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest((namespace + "/" + name).getBytes(StandardCharsets.UTF_8));
      String suffix = "-" + HexFormat.of().formatHex(h, 0, 4);
      return (name.length() + suffix.length() > 253
              ? name.substring(0, 253 - suffix.length())
              : name)
          + suffix;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Each object's step; the workloads behind webhook services go just before the webhook
   * configurations.
   */
  @SuppressWarnings("unchecked")
  private void assignSteps(List<Planned> plan) {
    Set<String> webhookServices = new java.util.HashSet<>();
    for (Planned p : plan) {
      if (p.kind.startsWith("validatingwebhookconfigurations.")
          || p.kind.startsWith("mutatingwebhookconfigurations.")) {
        if (p.object.get("webhooks") instanceof List<?> hooks) {
          for (Object h : hooks) {
            Map<String, Object> svc =
                h instanceof Map<?, ?> m
                    ? NamespaceMapping.child((Map<String, Object>) m, "clientConfig", "service")
                    : null;
            if (svc != null) webhookServices.add(svc.get("namespace") + "/" + svc.get("name"));
          }
        }
      }
    }
    List<Map<String, Object>> selectors =
        new ArrayList<>(); // namespace + selector of those services
    for (Planned p : plan) {
      if (p.kind.equals("services") && webhookServices.contains(p.namespace() + "/" + p.name())) {
        Map<String, Object> sel = NamespaceMapping.child(p.object, "spec", "selector");
        if (sel != null && !sel.isEmpty())
          selectors.add(Map.of("namespace", p.namespace(), "selector", sel));
      }
    }
    for (Planned p : plan) {
      p.step = order.stepOf(p.kind);
      if (WORKLOADS.contains(p.kind)
          && order.webhookBackendsStep() >= 0
          && order.stepOf(p.kind) == order.stepOf(RestoreOrder.REST)) {
        Map<String, Object> labels =
            NamespaceMapping.child(p.object, "spec", "template", "metadata", "labels");
        for (Map<String, Object> s : selectors) {
          if (s.get("namespace").equals(p.namespace())
              && labels != null
              && labels
                  .entrySet()
                  .containsAll(((Map<String, Object>) s.get("selector")).entrySet())) {
            p.step = order.webhookBackendsStep();
          }
        }
      }
    }
  }

  /**
   * Namespaces the plan creates that the cluster does not have yet (a dry run cannot check what
   * goes into them).
   */
  private Set<String> newNamespaces(List<Planned> plan) {
    Set<String> out = new java.util.HashSet<>();
    if (!options.dryRun()) return out;
    for (Planned p : plan) {
      if (p.kind.equals("namespaces")) {
        KubeConnection.Response r = conn.send("GET", "/api/v1/namespaces/" + p.name(), null, null);
        if (r.status() == 404) out.add(p.name());
      }
    }
    return out;
  }

  private void runStep(List<Planned> step, Set<String> newNamespaces) throws IOException {
    Semaphore slots = new Semaphore(options.parallelism());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = new ArrayList<>();
      for (Planned p : step) {
        futures.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    restoreOne(p, newNamespaces);
                  } catch (RoadieException e) {
                    if (unauthorized(e)) throw e;
                    report.add(
                        p.step,
                        p.kind,
                        p.namespace(),
                        p.name(),
                        Action.FAILED,
                        e.getMessage(),
                        p.from());
                  } finally {
                    slots.release();
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) Repository.await(f);
    }
  }

  private static boolean unauthorized(RoadieException e) {
    return e instanceof KubeApiException k && k.status() == 401;
  }

  private void restoreOne(Planned p, Set<String> newNamespaces) {
    if (p.resource == null) {
      // Its definition is restored in this run. On a dry run it is not served yet; otherwise the
      // wait for it failed and said so.
      if (!options.dryRun()) return;
      report.add(
          p.step,
          p.kind,
          p.namespace(),
          p.name(),
          Action.CREATED,
          "its CustomResourceDefinition is created by this "
              + "restore first; not checked by the server",
          p.from());
      return;
    }
    if (options.dryRun() && p.namespace() != null && newNamespaces.contains(p.namespace())) {
      report.add(
          p.step,
          p.kind,
          p.namespace(),
          p.name(),
          Action.CREATED,
          "namespace "
              + p.namespace()
              + " is created by this restore first; not checked by the server",
          p.from());
      return;
    }
    byte[] body = json(p.object);
    String collection = p.resource.path(p.namespace());
    KubeConnection.Response r =
        retrying(p, () -> conn.send("POST", collection + dryRun("?"), "application/json", body));
    if (r.ok()) {
      report.add(p.step, p.kind, p.namespace(), p.name(), Action.CREATED, p.note, p.from());
      return;
    }
    KubeApiException error = conn.error(r, "create " + p.resource.name() + " " + where(p));
    if (r.status() != 409 || !"AlreadyExists".equals(error.reason())) throw error;
    existing(p, body);
  }

  /** An object of the same name exists: compare, then leave it or apply over it. */
  private void existing(Planned p, byte[] body) {
    String path = p.resource.path(p.namespace(), p.name());
    KubeConnection.Response live = retrying(p, () -> conn.send("GET", path, null, null));
    if (!live.ok()) throw conn.error(live, "read " + p.resource.name() + " " + where(p));
    boolean neverReplaced = p.kind.equals("persistentvolumes");
    if (p.rebind && !options.dryRun()) {
      // The claim's old uid keeps the volume from binding to the restored claim of the same name.
      KubeConnection.Response patched =
          retrying(
              p,
              () ->
                  conn.send(
                      "PATCH",
                      path,
                      "application/json-patch+json",
                      "[{\"op\":\"remove\",\"path\":\"/spec/claimRef/uid\"},{\"op\":\"remove\",\"path\":\"/spec/claimRef/resourceVersion\"}]"
                          .getBytes(StandardCharsets.UTF_8)));
      if (!patched.ok())
        throw conn.error(patched, "free released volume " + p.name() + " for its restored claim");
      p.note = "its claim was gone; it now waits for the restored claim";
      live = retrying(p, () -> conn.send("GET", path, null, null));
      if (!live.ok()) throw conn.error(live, "read " + p.resource.name() + " " + where(p));
    }
    String apply = path + "?fieldManager=roadie&force=true";
    KubeConnection.Response applied =
        retrying(
            p,
            () -> conn.send("PATCH", apply + "&dryRun=All", "application/apply-patch+yaml", body));
    if (!applied.ok()) throw conn.error(applied, "compare " + p.resource.name() + " " + where(p));
    List<String> differences =
        ObjectDiff.paths(
            ObjectNormalizer.normalize(live.json(), false),
            ObjectNormalizer.normalize(applied.json(), false));
    if (differences.isEmpty()) {
      report.add(p.step, p.kind, p.namespace(), p.name(), Action.UNCHANGED, p.note, p.from());
      return;
    }
    String at =
        String.join(", ", differences.stream().limit(5).toList())
            + (differences.size() > 5 ? ", …" : "");
    // Under a mapping, a cluster-scoped object of the same name serves the original namespace too
    // (its bindings, its webhook): pointing it at the copy would take it from the original.
    boolean shared = !mapping.isEmpty() && p.namespace() == null && !p.kind.equals("namespaces");
    if (neverReplaced || shared || options.existing() == KubernetesRestoreOptions.Existing.SKIP) {
      report.add(
          p.step,
          p.kind,
          p.namespace(),
          p.name(),
          Action.SKIPPED,
          "exists and differs from the snapshot at "
              + at
              + (neverReplaced
                  ? " (a persistent volume that exists is never replaced)"
                  : shared
                      ? " (a cluster-scoped object is not updated under a namespace mapping: the original uses it)"
                      : ""),
          p.from());
      return;
    }
    KubeConnection.Response updated =
        retrying(
            p, () -> conn.send("PATCH", apply + dryRun("&"), "application/apply-patch+yaml", body));
    if (!updated.ok()) throw conn.error(updated, "update " + p.resource.name() + " " + where(p));
    report.add(
        p.step, p.kind, p.namespace(), p.name(), Action.UPDATED, "differed at " + at, p.from());
  }

  private String dryRun(String separator) {
    return options.dryRun() ? separator + "dryRun=All" : "";
  }

  private static String where(Planned p) {
    return (p.namespace() == null ? "" : p.namespace() + "/") + p.name();
  }

  /**
   * Sends until the answer is not a transient refusal (429, 5xx: an admission webhook whose server
   * is not up yet; a conflict) or {@code retryFor} has passed, backing off from a quarter second to
   * five seconds. A server that cannot be reached is retried the same way.
   */
  private KubeConnection.Response retrying(Planned p, Supplier<KubeConnection.Response> send) {
    long deadline = System.nanoTime() + options.retryFor().toNanos();
    long sleep = 250;
    while (true) {
      KubeConnection.Response r;
      try {
        r = send.get();
      } catch (RoadieException.Retriable e) {
        if (System.nanoTime() > deadline) throw e;
        pause(sleep);
        sleep = Math.min(sleep * 2, 5000);
        continue;
      }
      boolean conflict = r.status() == 409 && !"AlreadyExists".equals(reason(r));
      if ((r.status() == 429 || r.status() >= 500 || conflict) && System.nanoTime() < deadline) {
        pause(sleep);
        sleep = Math.min(sleep * 2, 5000);
        continue;
      }
      return r;
    }
  }

  private static String reason(KubeConnection.Response r) {
    try {
      return String.valueOf(r.json().get("reason"));
    } catch (RoadieException e) {
      return "";
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RoadieException(ErrorCode.FAILURE, "interrupted", e);
    }
  }

  /**
   * Waits until every definition restored is established and its resources are served, then reads
   * discovery again and finds the resources of the custom objects that waited for it.
   */
  @SuppressWarnings("unchecked")
  private void awaitDefinitions(List<Planned> definitions, List<Planned> plan) {
    if (options.dryRun()) return;
    long deadline = System.nanoTime() + options.retryFor().toNanos();
    for (Planned d : definitions) {
      boolean established = false;
      while (!established && System.nanoTime() < deadline) {
        KubeConnection.Response r = conn.send("GET", d.resource.path(null, d.name()), null, null);
        if (r.ok()
            && r.json().get("status") instanceof Map<?, ?> status
            && status.get("conditions") instanceof List<?> cs) {
          established =
              cs.stream()
                  .anyMatch(
                      c ->
                          c instanceof Map<?, ?> m
                              && "Established".equals(m.get("type"))
                              && "True".equals(m.get("status")));
        }
        if (!established) pause(200);
      }
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (Planned p : plan)
      if (p.resource == null) wanted.add(p.apiVersion() + " " + p.objectKind());
    while (true) {
      discovery = Discovery.load(conn);
      for (Planned p : plan) {
        if (p.resource == null)
          p.resource = discovery.forKind(p.apiVersion(), p.objectKind()).orElse(null);
      }
      if (plan.stream().allMatch(p -> p.resource != null) || System.nanoTime() > deadline) break;
      pause(250);
    }
    for (var it = plan.iterator(); it.hasNext(); ) {
      Planned p = it.next();
      if (p.resource == null) {
        report.add(
            p.step,
            p.kind,
            p.namespace(),
            p.name(),
            Action.FAILED,
            "its CustomResourceDefinition was restored but "
                + "the cluster did not serve "
                + p.apiVersion()
                + " "
                + p.objectKind()
                + " within "
                + options.retryFor().toSeconds()
                + " s",
            p.from());
        it.remove();
      }
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
