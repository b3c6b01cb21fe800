package dev.roadie.kubernetes.backup;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.client.Discovery;
import dev.roadie.kubernetes.client.KubeApiException;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.objects.ObjectNormalizer;
import dev.roadie.kubernetes.objects.ObjectPaths;
import dev.roadie.kubernetes.objects.ObjectYaml;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One {@code k8s} backup: discovers what the server serves, lists every kind the selection covers
 * in every selected namespace (several lists at once, paged), and stores each object, stripped of
 * what the server owns ({@link ObjectNormalizer}), as one YAML document with sorted keys. Then the
 * cluster-scoped objects the namespaces use: the namespaces themselves, their persistent volumes
 * and storage classes, the definitions of their custom resources, the cluster roles their role
 * bindings name, the cluster role bindings of their service accounts, and the webhook
 * configurations whose services live there (with {@code clusterResources}: every cluster-scoped
 * object instead).
 *
 * <p>An unchanged object is the same bytes every time, so it is stored once; so are the trees of
 * unchanged kinds and namespaces, and a backup of an unchanged selection writes nothing but its
 * snapshot. A kind the credentials may not read is reported and recorded ({@link
 * KubernetesMetadata#forbidden}); the rest is still backed up.
 */
public final class ClusterBackup {
  private final BackupRequest request;
  private final KubernetesBackupOptions options;
  private final KubeConnection conn;
  private final Semaphore slots;

  /** kind -> its objects' file nodes, per top directory (namespace or _cluster). */
  private final Map<String, Map<String, ConcurrentSkipListMap<String, Node>>> tree =
      new ConcurrentHashMap<>();

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Set<String> forbidden = new ConcurrentSkipListSet<>();
  private final List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong ownedSkipped = new AtomicLong();

  /** What the namespaced objects name outside their namespaces. */
  private final Set<String> volumeNames = ConcurrentHashMap.newKeySet();

  private final Set<String> storageClasses = ConcurrentHashMap.newKeySet();
  private final Set<String> clusterRoles = ConcurrentHashMap.newKeySet();
  private final Set<String> usedKinds = ConcurrentHashMap.newKeySet();

  /** Each list made, with its resourceVersion, for a watch that starts where the backup ended. */
  private final Map<String, Listed> listVersions = new ConcurrentHashMap<>();

  /** A digest of each stored object's YAML, by path, to tell a real change from a status update. */
  private final Map<String, String> digests = new ConcurrentHashMap<>();

  /**
   * One collection listed: {@code resource} in {@code namespace} (null: all, or cluster-scoped) at
   * {@code resourceVersion}. {@code related}: listed for the objects the namespaces use, of which
   * only those stored matter.
   */
  public record Listed(
      ApiResource resource, String namespace, String resourceVersion, boolean related) {}

  /** A committed backup, with what a watch needs to start where it ended. */
  public record Saved(
      BackupResult result, Map<String, Listed> lists, Map<String, String> digests) {}

  private BackupWriter writer;

  public ClusterBackup(BackupRequest request, KubeConnection conn) {
    this.request = request;
    this.options = request.options(KubernetesBackupOptions.class);
    this.conn = conn;
    this.slots = new Semaphore(options.parallelism());
  }

  /** Backs up with a connection of its own. */
  public static BackupResult run(BackupRequest request) throws IOException {
    KubernetesBackupOptions o = request.options(KubernetesBackupOptions.class);
    try (KubeConnection conn = KubeConnection.open(o.environment(), o.context())) {
      return new ClusterBackup(request, conn).run();
    }
  }

  /** The default target name: {@code k8s://HOST:PORT/NS1,NS2} or {@code k8s://HOST:PORT/*}. */
  public static String target(KubeConnection conn, KubernetesBackupOptions o) {
    return "k8s://"
        + conn.serverAddress()
        + "/"
        + (o.allNamespaces() ? "*" : String.join(",", o.namespaces()));
  }

  /** The collections the last {@link #run} listed, by {@code kind} or {@code kind/namespace}. */
  public Map<String, Listed> listVersions() {
    return listVersions;
  }

  /** A digest of each object stored by the last {@link #run}, by its path. */
  public Map<String, String> digests() {
    return digests;
  }

  /** The digest {@link #digests} records for an object's stored YAML. */
  public static String digest(byte[] yaml) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(yaml));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public BackupResult run() throws IOException {
    Map<String, Object> version = conn.get("/version", "read the server version");
    Discovery discovery = Discovery.load(conn);
    for (String u : discovery.unavailable())
      warnings.add("API " + u + " could not be discovered: not backed up");
    List<ApiResource> kinds = selectKinds(discovery);
    Map<String, Map<String, Object>> namespaceObjects = new TreeMap<>();
    List<String> namespaces = namespaces(namespaceObjects);

    Repository repo = request.repository();
    try (BackupWriter w = new BackupWriter(repo, request.progress())) {
      this.writer = w;
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<?>> lists = new ArrayList<>();
        for (ApiResource r : kinds) {
          if (!r.namespaced()) continue;
          if (options.allNamespaces()) {
            lists.add(
                pool.submit(
                    () -> list(r, null, options.selector(), false, o -> storeNamespaced(r, o))));
          } else {
            for (String ns : namespaces) {
              lists.add(
                  pool.submit(
                      () -> list(r, ns, options.selector(), false, o -> storeNamespaced(r, o))));
            }
          }
        }
        awaitAll(lists);
        lists.clear();
        ApiResource namespaceKind = discovery.byName("namespaces").orElse(null);
        for (Map<String, Object> ns : namespaceObjects.values()) {
          if (namespaceKind != null) store(namespaceKind, ns);
        }
        if (options.clusterResources()) {
          for (ApiResource r : kinds) {
            if (!r.namespaced() && !r.name().equals("namespaces")) {
              lists.add(
                  pool.submit(
                      () -> list(r, null, options.selector(), false, o -> storeUnlessOwned(r, o))));
            }
          }
        } else {
          lists.addAll(related(discovery, Set.copyOf(namespaces), pool));
        }
        awaitAll(lists);
      }
      if (counts.isEmpty() && !forbidden.isEmpty()) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "nothing could be read: the credentials of context "
                + conn.context()
                + " may not list "
                + String.join(", ", forbidden)
                + "; no snapshot was written");
      }
      Id root = writeTrees(w);
      Map<String, Long> perKind = new TreeMap<>();
      counts.forEach((k, v) -> perKind.put(k, v.get()));
      KubernetesMetadata metadata =
          new KubernetesMetadata(
              conn.server(),
              (String) version.get("gitVersion"),
              namespaces,
              options.allNamespaces() ? Boolean.TRUE : null,
              perKind,
              List.copyOf(forbidden),
              discovery.unavailable().isEmpty() ? null : discovery.unavailable(),
              ownedSkipped.get(),
              options.selector(),
              options.clusterResources() ? Boolean.TRUE : null,
              options.includeStatus() ? Boolean.TRUE : null);
      List<String> paths = options.allNamespaces() ? List.of("*") : namespaces;
      Id id = w.commit(request.draft(target(conn, options), paths, root, null, metadata));
      return new BackupResult(repo.readSnapshot(id), List.copyOf(warnings));
    }
  }

  /** The preferred resources the selection covers that can be listed. */
  private List<ApiResource> selectKinds(Discovery discovery) {
    List<ApiResource> listable =
        discovery.preferred().stream()
            .filter(r -> r.verbs().contains("list") && r.verbs().contains("get"))
            .toList();
    for (String given : options.includeKinds()) {
      if (listable.stream().noneMatch(r -> r.answersTo(given))) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--include-kinds "
                + given
                + ": the server at "
                + conn.server()
                + " serves no such kind (see 'kubectl api-resources')");
      }
    }
    for (String given : options.excludeKinds()) {
      if (listable.stream().noneMatch(r -> r.answersTo(given))) {
        warnings.add("--exclude-kinds " + given + ": the server serves no such kind");
      }
    }
    List<ApiResource> out = new ArrayList<>();
    for (ApiResource r : listable) {
      boolean named = options.includeKinds().stream().anyMatch(r::answersTo);
      if (!options.includeKinds().isEmpty() && !named && !relatedKind(r)) continue;
      if (options.excludeKinds().stream().anyMatch(r::answersTo)) continue;
      if (!named && !options.includeOwned() && OwnedObjects.KINDS.contains(r.name())) continue;
      out.add(r);
    }
    return out;
  }

  /**
   * Cluster-scoped kinds taken along with the namespaces they serve, whatever --include-kinds says.
   */
  private boolean relatedKind(ApiResource r) {
    return !r.namespaced() && !options.clusterResources();
  }

  /**
   * The namespaces to back up; fills {@code objects} with the Namespace objects that may be read.
   */
  private List<String> namespaces(Map<String, Map<String, Object>> objects) {
    if (options.allNamespaces()) {
      KubeConnection.Response r = conn.send("GET", "/api/v1/namespaces", null, null);
      if (!r.ok()) {
        throw conn.error(
            r,
            "list the namespaces for --all-namespaces (give --namespace NS for those the "
                + "credentials may read)");
      }
      List<String> names = new ArrayList<>();
      for (Object o : (List<?>) r.json().getOrDefault("items", List.of())) {
        @SuppressWarnings("unchecked")
        Map<String, Object> ns = (Map<String, Object>) o;
        String name = (String) ((Map<?, ?>) ns.get("metadata")).get("name");
        names.add(name);
        objects.put(name, withKind(ns, "v1", "Namespace"));
      }
      return names.stream().sorted().toList();
    }
    List<String> missing = new ArrayList<>();
    for (String ns : options.namespaces()) {
      KubeConnection.Response r = conn.send("GET", "/api/v1/namespaces/" + ns, null, null);
      if (r.ok()) {
        objects.put(ns, withKind(r.json(), "v1", "Namespace"));
      } else if (r.status() == 404) {
        missing.add(ns);
      } else if (r.status() == 403) {
        forbidden.add("namespaces");
        warnings.add(
            "may not read namespace "
                + ns
                + " itself (403 Forbidden): its objects are backed up, "
                + "the Namespace object is not");
      } else {
        throw conn.error(r, "read namespace " + ns);
      }
    }
    if (!missing.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the cluster at "
              + conn.server()
              + " has no namespace "
              + String.join(", ", missing)
              + " (see 'kubectl get namespaces')");
    }
    return options.namespaces();
  }

  private static Map<String, Object> withKind(
      Map<String, Object> o, String apiVersion, String kind) {
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    return o;
  }

  /**
   * Lists {@code r} (in {@code namespace}, or everywhere when null) page by page and hands each
   * object on. A kind the credentials may not list is recorded and skipped.
   */
  private void list(
      ApiResource r,
      String namespace,
      String selector,
      boolean related,
      Consumer<Map<String, Object>> each) {
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RoadieException(ErrorCode.FAILURE, "interrupted", e);
    }
    try {
      String cont = null;
      do {
        StringBuilder path = new StringBuilder(r.path(namespace)).append("?limit=500");
        if (selector != null) path.append("&labelSelector=").append(KubeConnection.query(selector));
        if (cont != null) path.append("&continue=").append(KubeConnection.query(cont));
        KubeConnection.Response resp = conn.send("GET", path.toString(), null, null);
        String where = r.name() + (namespace != null ? " in " + namespace : "");
        if (resp.status() == 403) {
          forbidden.add(where);
          warnings.add("may not list " + where + " (403 Forbidden): not backed up");
          return;
        }
        if (resp.status() == 404 || resp.status() == 405) {
          warnings.add("could not list " + where + " (HTTP " + resp.status() + "): not backed up");
          return;
        }
        if (!resp.ok()) throw conn.error(resp, "list " + where);
        Map<String, Object> page = resp.json();
        Map<?, ?> meta = page.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
        cont = meta.get("continue") instanceof String s && !s.isEmpty() ? s : null;
        if (cont == null && meta.get("resourceVersion") instanceof String rv) {
          listVersions.put(
              r.name() + (namespace != null ? "/" + namespace : ""),
              new Listed(r, namespace, rv, related));
        }
        if (page.get("items") instanceof List<?> items) {
          for (Object o : items) {
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) o;
            each.accept(withKind(obj, r.apiVersion(), r.kind()));
          }
        }
      } while (cont != null);
    } finally {
      slots.release();
    }
  }

  private void storeNamespaced(ApiResource r, Map<String, Object> o) {
    if (!storeUnlessOwned(r, o)) return;
    Map<?, ?> spec = o.get("spec") instanceof Map<?, ?> s ? s : Map.of();
    switch (r.name()) {
      case "persistentvolumeclaims" -> {
        if (spec.get("volumeName") instanceof String v && !v.isEmpty()) volumeNames.add(v);
        if (spec.get("storageClassName") instanceof String c && !c.isEmpty()) storageClasses.add(c);
      }
      case "rolebindings.rbac.authorization.k8s.io" -> {
        if (o.get("roleRef") instanceof Map<?, ?> ref && "ClusterRole".equals(ref.get("kind"))) {
          clusterRoles.add(String.valueOf(ref.get("name")));
        }
      }
      default -> {}
    }
    // A custom resource's kind is named as its definition is (plural.group).
    usedKinds.add(r.name());
  }

  /**
   * The path and YAML a backup with these options stores for {@code o} of {@code r}, or null when
   * it leaves the object out (the cluster's own).
   */
  public static Map.Entry<String, byte[]> stored(
      KubernetesBackupOptions options, ApiResource r, Map<String, Object> o) {
    boolean named = options.includeKinds().stream().anyMatch(r::answersTo);
    if (!options.includeOwned() && !named && OwnedObjects.owner(r, o) != null) return null;
    Map<String, Object> clean =
        ObjectNormalizer.normalize(withKind(o, r.apiVersion(), r.kind()), options.includeStatus());
    Map<?, ?> metadata = (Map<?, ?>) clean.get("metadata");
    String namespace = r.namespaced() ? (String) metadata.get("namespace") : null;
    return Map.entry(
        ObjectPaths.path(namespace, r.name(), String.valueOf(metadata.get("name"))),
        ObjectYaml.write(clean));
  }

  /** Stores {@code o} unless a controller or the server makes it; whether it was stored. */
  private boolean storeUnlessOwned(ApiResource r, Map<String, Object> o) {
    boolean named = options.includeKinds().stream().anyMatch(r::answersTo);
    if (!options.includeOwned() && !named && OwnedObjects.owner(r, o) != null) {
      ownedSkipped.incrementAndGet();
      return false;
    }
    store(r, o);
    return true;
  }

  private void store(ApiResource r, Map<String, Object> o) {
    Map<String, Object> clean = ObjectNormalizer.normalize(o, options.includeStatus());
    Map<?, ?> metadata = (Map<?, ?>) clean.get("metadata");
    String name = String.valueOf(metadata.get("name"));
    String namespace = r.namespaced() ? (String) metadata.get("namespace") : null;
    byte[] yaml = ObjectYaml.write(clean);
    digests.put(ObjectPaths.path(namespace, r.name(), name), digest(yaml));
    Content content;
    try {
      // A document shorter than the chunker's minimum is one chunk either way: stored as it is.
      content =
          yaml.length <= ChunkerParams.SMALL.min()
              ? single(yaml)
              : writer.writeStream(new ByteArrayInputStream(yaml), ChunkerParams.SMALL);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Node node =
        new Node(
            ObjectPaths.file(name),
            Node.FILE,
            (long) yaml.length,
            0600,
            null,
            null,
            null,
            null,
            content.chunksHex(),
            content.chunkListsHex(),
            null,
            null);
    tree.computeIfAbsent(ObjectPaths.top(namespace), k -> new ConcurrentHashMap<>())
        .computeIfAbsent(r.name(), k -> new ConcurrentSkipListMap<>())
        .put(node.name(), node);
    counts.computeIfAbsent(r.name(), k -> new AtomicLong()).incrementAndGet();
    request.progress().files.incrementAndGet();
  }

  private Content single(byte[] yaml) throws IOException {
    BackupWriter.ContentBuilder b = writer.newContent();
    b.chunk(writer.writeChunk(yaml), yaml.length);
    return b.finish();
  }

  /**
   * The cluster-scoped objects the namespaces use. Each list may be forbidden on its own; what may
   * be read is still taken.
   */
  private List<Future<?>> related(Discovery d, Set<String> namespaces, ExecutorService pool) {
    List<Future<?>> out = new ArrayList<>();
    Set<String> pvClasses = ConcurrentHashMap.newKeySet();
    listClusterWide(
        d,
        "persistentvolumes",
        pool,
        out,
        (r, o) -> {
          Map<?, ?> spec = o.get("spec") instanceof Map<?, ?> s ? s : Map.of();
          Map<?, ?> claim = spec.get("claimRef") instanceof Map<?, ?> c ? c : Map.of();
          if (namespaces.contains(String.valueOf(claim.get("namespace")))
              || volumeNames.contains(name(o))) {
            store(r, o);
            if (spec.get("storageClassName") instanceof String c && !c.isEmpty()) pvClasses.add(c);
          }
        });
    listClusterWide(
        d,
        "customresourcedefinitions.apiextensions.k8s.io",
        pool,
        out,
        (r, o) -> {
          if (usedKinds.contains(name(o))) store(r, o);
        });
    Set<String> roles = ConcurrentHashMap.newKeySet();
    roles.addAll(clusterRoles);
    listClusterWide(
        d,
        "clusterrolebindings.rbac.authorization.k8s.io",
        pool,
        out,
        (r, o) -> {
          boolean ours =
              o.get("subjects") instanceof List<?> subjects
                  && subjects.stream()
                      .anyMatch(
                          s ->
                              s instanceof Map<?, ?> m
                                  && namespaces.contains(String.valueOf(m.get("namespace"))));
          if (ours && OwnedObjects.owner(r, o) == null) {
            store(r, o);
            if (o.get("roleRef") instanceof Map<?, ?> ref)
              roles.add(String.valueOf(ref.get("name")));
          }
        });
    for (String webhooks :
        List.of(
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io")) {
      listClusterWide(
          d,
          webhooks,
          pool,
          out,
          (r, o) -> {
            boolean ours =
                o.get("webhooks") instanceof List<?> hooks
                    && hooks.stream()
                        .anyMatch(
                            h ->
                                h instanceof Map<?, ?> m
                                    && m.get("clientConfig") instanceof Map<?, ?> cc
                                    && cc.get("service") instanceof Map<?, ?> svc
                                    && namespaces.contains(String.valueOf(svc.get("namespace"))));
            if (ours) store(r, o);
          });
    }
    // Cluster roles and storage classes are known once the lists above are done.
    List<Future<?>> first = List.copyOf(out);
    out.add(
        pool.submit(
            () -> {
              awaitAll(first);
              d.byName("clusterroles.rbac.authorization.k8s.io")
                  .filter(this::selected)
                  .ifPresent(r -> getEach(r, roles));
              Set<String> classes = new java.util.TreeSet<>(storageClasses);
              classes.addAll(pvClasses);
              d.byName("storageclasses.storage.k8s.io")
                  .filter(this::selected)
                  .ifPresent(r -> getEach(r, classes));
              return null;
            }));
    return out;
  }

  /**
   * Lists every object of the cluster-scoped resource {@code name} on the pool, when the server
   * serves it and the backup selects it, handing each to {@code each}.
   */
  private void listClusterWide(
      Discovery d,
      String name,
      ExecutorService pool,
      List<Future<?>> out,
      java.util.function.BiConsumer<ApiResource, Map<String, Object>> each) {
    d.byName(name)
        .filter(this::selected)
        .ifPresent(
            r -> out.add(pool.submit(() -> list(r, null, null, true, o -> each.accept(r, o)))));
  }

  private static String name(Map<String, Object> o) {
    return String.valueOf(((Map<?, ?>) o.get("metadata")).get("name"));
  }

  private boolean selected(ApiResource r) {
    return r.verbs().contains("list") && options.excludeKinds().stream().noneMatch(r::answersTo);
  }

  /** Gets each named cluster-scoped object of {@code r} that exists and is not the server's own. */
  private void getEach(ApiResource r, Collection<String> names) {
    for (String name : new java.util.TreeSet<>(names)) {
      KubeConnection.Response resp = conn.send("GET", r.path(null, name), null, null);
      if (resp.status() == 404) continue;
      if (resp.status() == 403) {
        forbidden.add(r.name());
        warnings.add("may not read " + r.name() + " " + name + " (403 Forbidden): not backed up");
        continue;
      }
      if (!resp.ok()) throw conn.error(resp, "read " + r.name() + " " + name);
      Map<String, Object> o = withKind(resp.json(), r.apiVersion(), r.kind());
      if (OwnedObjects.owner(r, o) == null) store(r, o);
    }
  }

  private Id writeTrees(BackupWriter w) throws IOException {
    List<Node> tops = new ArrayList<>();
    for (String top : new java.util.TreeSet<>(tree.keySet())) {
      List<Node> kinds = new ArrayList<>();
      Map<String, ConcurrentSkipListMap<String, Node>> byKind = tree.get(top);
      for (String kind : new java.util.TreeSet<>(byKind.keySet())) {
        Id sub = w.writeTree(new Tree(List.copyOf(byKind.get(kind).values())));
        kinds.add(dir(kind, sub));
      }
      tops.add(dir(top, w.writeTree(new Tree(kinds))));
    }
    return w.writeTree(new Tree(tops));
  }

  private static Node dir(String name, Id subtree) {
    return new Node(
        name, Node.DIR, null, 0700, null, null, null, null, null, null, subtree.hex(), null);
  }

  private static void awaitAll(List<Future<?>> futures) throws IOException {
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable c = e.getCause();
        for (Future<?> other : futures) other.cancel(true);
        if (c instanceof java.io.UncheckedIOException u) throw u.getCause();
        if (c instanceof RuntimeException r) throw r;
        if (c instanceof IOException io) throw io;
        throw new IllegalStateException(c);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RoadieException(ErrorCode.FAILURE, "interrupted", e);
      }
    }
  }

  /** For messages: whether an exception is the server refusing these credentials. */
  static boolean unauthorized(Throwable t) {
    return t instanceof KubeApiException k && k.status() == 401;
  }
}
