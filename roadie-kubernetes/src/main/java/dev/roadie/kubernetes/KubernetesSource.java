package dev.roadie.kubernetes;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.ScratchDirectoryVerify;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.kubernetes.backup.ClusterBackup;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.backup.KubernetesMetadata;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.objects.ObjectBrowser;
import dev.roadie.kubernetes.objects.StoredObject;
import dev.roadie.kubernetes.restore.ClusterRestore;
import dev.roadie.kubernetes.restore.DirectoryRestore;
import dev.roadie.kubernetes.restore.KubernetesRestoreOptions;
import dev.roadie.kubernetes.restore.RestoreReport;
import dev.roadie.kubernetes.verify.KubernetesScratchCluster;
import dev.roadie.kubernetes.verify.KubernetesVerify;
import dev.roadie.kubernetes.verify.KubernetesVerifyOptions;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code k8s} source: the objects of selected namespaces (and the cluster-scoped objects they
 * use), one YAML document each. Restores into a cluster ({@link Destination.Cluster}, with {@link
 * KubernetesRestoreOptions}) or as files into a directory.
 */
public final class KubernetesSource implements SourceProvider {
  public static final String KIND = "k8s";

  @Override
  public Set<String> kinds() {
    return Set.of(KIND);
  }

  @Override
  public SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return new ObjectBrowser(repo, snapshot);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return KubernetesMetadata.class;
  }

  /**
   * {@code namespaces} or {@code allNamespaces: true}, {@code includeKinds}, {@code excludeKinds},
   * {@code selector}, {@code clusterResources}, {@code includeStatus}, {@code includeOwned}, {@code
   * parallel}, {@code kubeconfig} (else the config reader's {@code KUBECONFIG}, {@code
   * ~/.kube/config} or the pod's service account) and {@code context}: as {@code roadie backup
   * k8s}.
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    List<String> namespaces = options.strings("namespaces");
    boolean all = options.flag("allNamespaces", false);
    List<String> include = options.strings("includeKinds");
    List<String> exclude = options.strings("excludeKinds");
    String selector = options.string("selector");
    boolean clusterResources = options.flag("clusterResources", false);
    boolean includeStatus = options.flag("includeStatus", false);
    boolean includeOwned = options.flag("includeOwned", false);
    int parallel = options.integer("parallel", KubernetesBackupOptions.DEFAULT_PARALLELISM, 1, 256);
    java.nio.file.Path kubeconfig = options.path("kubeconfig");
    String context = options.string("context");
    options.refuseUnknown(kind);
    Map<String, String> env = options.environment();
    KubeEnvironment environment =
        kubeconfig != null
            ? KubeEnvironment.file(kubeconfig)
            : KubeEnvironment.of(env, java.nio.file.Path.of(env.getOrDefault("HOME", "/root")));
    try {
      return new KubernetesBackupOptions(
          environment,
          context,
          namespaces,
          all,
          include,
          exclude,
          selector,
          clusterResources,
          includeStatus,
          includeOwned,
          parallel);
    } catch (RoadieException e) {
      throw options.error(
          all ? "allNamespaces" : "namespaces",
          e.getMessage()
              .replace("--namespace NS (repeatable)", "namespaces: [NS, ...]")
              .replace("--namespace NS", "namespaces")
              .replace("--all-namespaces", "allNamespaces: true"));
    }
  }

  /**
   * Snapshots on change ({@link ChangeWatch}): the first at once, then each time changes have
   * settled.
   */
  @Override
  public dev.roadie.core.source.ContinuousRequest.Job continuous(
      dev.roadie.core.source.ContinuousRequest r) {
    KubernetesBackupOptions what = (KubernetesBackupOptions) r.options();
    return new dev.roadie.core.source.ContinuousRequest.Job() {
      private volatile dev.roadie.kubernetes.backup.ChangeWatch watch;
      private volatile boolean stopped;

      @Override
      public void run() throws IOException {
        try (dev.roadie.kubernetes.client.KubeConnection conn =
            dev.roadie.kubernetes.client.KubeConnection.open(what.environment(), what.context())) {
          watch =
              new dev.roadie.kubernetes.backup.ChangeWatch(
                  conn,
                  what,
                  r.settle(),
                  () -> {
                    ClusterBackup b =
                        new ClusterBackup(
                            new BackupRequest(
                                r.repository(), KIND, what, r.target(), r.tags(), null, null, null),
                            conn);
                    BackupResult result = b.run();
                    r.onSnapshot().accept(result);
                    return new ClusterBackup.Saved(result, b.listVersions(), b.digests());
                  },
                  r.log());
          if (!stopped) watch.run();
        }
      }

      @Override
      public void stop() {
        stopped = true;
        if (watch != null) watch.stop();
      }
    };
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    return ClusterBackup.run(request);
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(
        Destination.Fit.of(Destination.Type.CLUSTER),
        Destination.Fit.of(Destination.Type.DIRECTORY));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    switch (request.destination()) {
      case Destination.Directory d -> {
        List<StoredObject> objects =
            DirectoryRestore.write(request.repository(), request.snapshot(), d.path());
        long bytes = objects.stream().mapToLong(o -> o.yaml().length).sum();
        return new RestoreResult(
            d.describe(),
            List.of(RestoreResult.Count.of(objects.size(), "object", "objects")),
            bytes,
            List.of());
      }
      case Destination.Cluster c -> {
        KubernetesRestoreOptions o = request.options(KubernetesRestoreOptions.class, null);
        if (o == null) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "a k8s restore into a cluster needs KubernetesRestoreOptions "
                  + "(where the kubeconfig is)");
        }
        RestoreReport report =
            new ClusterRestore(request.repository(), request.snapshot(), c, o).run();
        if (report.failed()) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              report.failures().size()
                  + " object(s) could not be restored: "
                  + report.failures().stream()
                      .limit(10)
                      .map(e -> e.object() + ": " + e.detail())
                      .collect(Collectors.joining("; ")));
        }
        List<RestoreResult.Count> counts = new ArrayList<>();
        report
            .counts()
            .forEach(
                (a, n) ->
                    counts.add(
                        RestoreResult.Count.of(
                            n, "object " + a.word(o.dryRun()), "objects " + a.word(o.dryRun()))));
        return new RestoreResult(report.target(), counts, 0, List.of());
      }
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a k8s snapshot restores into a cluster (--to-cluster) "
                  + "or as YAML files into a directory (--target DIR), not to "
                  + request.destination().describe());
    }
  }

  @Override
  public VerifyResult verify(VerifyRequest request) throws IOException {
    return KubernetesVerify.verify(request);
  }

  /**
   * Restores into a scratch directory and compares each file with the snapshot's object (every
   * object parses); with a {@link KubernetesScratchCluster}, then asks that cluster whether it
   * would take every object (a server-side dry-run apply, {@link
   * KubernetesVerifyOptions.Mode#ACCEPT}): an object it refuses fails the check, named.
   */
  @Override
  public ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request) throws IOException {
    KubernetesScratchCluster cluster = request.options(KubernetesScratchCluster.class, null);
    ScratchVerifyResult files =
        ScratchDirectoryVerify.run(
            this,
            new ScratchVerifyRequest(
                request.repository(),
                request.snapshot(),
                request.scratch(),
                null,
                request.progress()));
    if (cluster == null || files.checks().get(0).failed()) return files;
    List<Check> checks = new ArrayList<>(files.checks());
    long start = System.nanoTime();
    String where = cluster.environment().described();
    try {
      VerifyResult v =
          KubernetesVerify.verify(
              new VerifyRequest(
                  request.repository(),
                  request.snapshot(),
                  new Destination.Cluster(cluster.context()),
                  new KubernetesVerifyOptions(
                      cluster.environment(),
                      cluster.namespaceMapping(),
                      KubernetesVerifyOptions.Mode.ACCEPT)));
      Map<String, Object> figures = new java.util.LinkedHashMap<>();
      figures.put("objects", v.checked());
      figures.put("refused", v.differences().size());
      figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
      checks.add(
          Check.of(
              "scratch-cluster",
              v.matches()
                  ? "the scratch cluster ("
                      + where
                      + ") takes every object (server-side dry-run apply)"
                  : v.differences().size()
                      + " of "
                      + v.checked()
                      + " objects refused by the scratch cluster ("
                      + where
                      + ")",
              figures,
              v.differences()));
    } catch (RoadieException e) {
      if (e.code() == ErrorCode.USAGE) throw e;
      checks.add(
          Check.fail(
              "scratch-cluster",
              "the scratch cluster (" + where + ") could not be asked: " + e.getMessage(),
              Map.of(),
              List.of()));
    }
    return new ScratchVerifyResult(
        checks, files.restoredTo(), files.recoveredTo(), files.answeredAt());
  }

  /**
   * {@code k8s://HOST[:PORT]/NS,…} as a backup records it: port 443 when none is given, the
   * namespaces sorted.
   */
  @Override
  public Set<String> targetNames(String kind, String given) {
    if (!given.startsWith("k8s://")) return Set.of();
    try {
      URI u = URI.create("https://" + given.substring("k8s://".length()));
      if (u.getHost() == null) return Set.of();
      String path = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
      String namespaces =
          path.equals("*")
              ? "*"
              : Arrays.stream(path.split(","))
                  .filter(s -> !s.isBlank())
                  .sorted()
                  .collect(Collectors.joining(","));
      String host = u.getHost();
      return Set.of(
          "k8s://" + host + ":" + (u.getPort() > 0 ? u.getPort() : 443) + "/" + namespaces);
    } catch (IllegalArgumentException e) {
      return Set.of();
    }
  }

  @Override
  public String summary(Snapshot snapshot) {
    KubernetesMetadata m = SourceMetadata.of(snapshot, KubernetesMetadata.class);
    long total = m.total();
    Map<String, Long> perKind = m.objects() == null ? Map.of() : m.objects();
    int namespaces = m.namespaces() == null ? 0 : m.namespaces().size();
    String s =
        total
            + (total == 1 ? " object" : " objects")
            + " of "
            + perKind.size()
            + (perKind.size() == 1 ? " kind" : " kinds")
            + " in "
            + namespaces
            + (namespaces == 1 ? " namespace" : " namespaces");
    if (m.forbidden() != null && !m.forbidden().isEmpty()) {
      s += " (" + m.forbidden().size() + " not readable: " + String.join(", ", m.forbidden()) + ")";
    }
    return s;
  }
}
