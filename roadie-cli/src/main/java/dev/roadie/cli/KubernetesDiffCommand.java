package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.kubernetes.KubernetesSource;
import dev.roadie.kubernetes.client.KubeConnection;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.drift.ClusterObjects;
import dev.roadie.kubernetes.drift.Drift;
import dev.roadie.kubernetes.drift.DriftReport;
import dev.roadie.kubernetes.drift.LiveCluster;
import dev.roadie.kubernetes.drift.Manifest;
import dev.roadie.kubernetes.drift.ManifestReader;
import dev.roadie.kubernetes.drift.RecordedObjects;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "k8s",
    description = {
      "Compare a Kubernetes cluster, live or as a k8s snapshot recorded it, with the",
      "manifests in Git: objects missing from the cluster, extra in it, and changed,",
      "field by field (cluster value → Git value). Exit status as kubectl diff's:",
      "0 no drift, 1 drift; 2 wrong usage or manifests that cannot be read,",
      "3 damaged repository, 4 any other failure (cluster unreachable, an object",
      "that could not be compared)."
    })
final class KubernetesDiffCommand implements Callable<Integer>, CommandExitCodes {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;
  @Mixin KubernetesAccess access;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "SNAPSHOT",
      description =
          "A k8s snapshot (id, id prefix or 'latest') to compare instead of the live cluster.")
  String snapshot;

  @Option(names = "--live", description = "Compare the live cluster.")
  boolean live;

  @Option(
      names = "--against",
      required = true,
      paramLabel = "DIR",
      description =
          "The manifests: a directory (every .yaml, .yml and .json file below it) or a kustomization "
              + "(rendered with 'kubectl kustomize'); one file also works.")
  Path against;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description =
          "The namespace of manifests of namespaced kinds that name none (default: default).")
  String namespace;

  @Option(
      names = "--offline",
      description =
          "With SNAPSHOT: ask no cluster; compare the fields the manifests set, "
              + "as written (see docs/commands.md for what that cannot tell).")
  boolean offline;

  @Option(
      names = "--kubectl",
      paramLabel = "PATH",
      description = "The kubectl that renders a kustomization " + "(default: kubectl on PATH).")
  Path kubectl;

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description = "With 'latest': the newest snapshot of this target.")
  String of;

  @Option(names = "--json", description = "Print the report as JSON (see docs/commands.md).")
  boolean json;

  /** 0 and 1 say whether there is drift, so every failure exits 2 or more, as kubectl diff's do. */
  @Override
  public int exitCode(ErrorCode code) {
    return switch (code) {
      case USAGE -> 2;
      case INTEGRITY -> 3;
      default -> 4;
    };
  }

  @Override
  public Integer call() throws Exception {
    if (live == (snapshot != null)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "say what to compare with the manifests: a SNAPSHOT of the "
              + "repository or --live"
              + (live ? ", not both" : ""));
    }
    if (offline && live) {
      throw new RoadieException(
          ErrorCode.USAGE, "--offline compares a SNAPSHOT without a cluster; --live needs one");
    }
    if (of != null && snapshot == null) {
      throw new RoadieException(
          ErrorCode.USAGE, "--of TARGET picks the snapshot 'latest' means; --live has none");
    }
    // The manifests first: a mistake in Git is reported before any server or repository is asked.
    List<Manifest> manifests = new ManifestReader(kubectl).read(against);
    KubeEnvironment env = access.environment();
    String ns = namespace != null ? namespace : "default";
    DriftReport report;
    if (live) {
      try (KubeConnection connection = KubeConnection.open(env, access.context)) {
        LiveCluster cluster = new LiveCluster(connection);
        report = new Drift(cluster, cluster, ns).compare(against.toString(), manifests);
      }
    } else {
      try (Repository r = repo.open()) {
        SnapshotRef ref = r.resolve(snapshot, filters.filter(of));
        if (!KubernetesSource.KIND.equals(ref.snapshot().kind())) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "snapshot "
                  + ref.id().shortHex()
                  + " is of kind '"
                  + ref.snapshot().kind()
                  + "'; diff k8s compares k8s snapshots (see 'roadie snapshots --kind k8s')");
        }
        ClusterObjects recorded = RecordedObjects.read(r, ref);
        boolean clusterGiven =
            !offline
                && (access.context != null
                    || !env.existingKubeconfigs().isEmpty()
                    || env.inCluster() != null);
        if (clusterGiven) {
          try (KubeConnection connection = KubeConnection.open(env, access.context)) {
            report =
                new Drift(recorded, new LiveCluster(connection), ns)
                    .compare(against.toString(), manifests);
          }
        } else {
          report = new Drift(recorded, null, ns).compare(against.toString(), manifests);
        }
      }
    }
    if (json) System.out.println(Json.writePretty(report.json()));
    else System.out.print(report.text());
    return report.failed() ? 4 : report.drift() ? 1 : 0;
  }
}
