package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.kubernetes.restore.ClusterRestore;
import dev.roadie.kubernetes.restore.KubernetesRestoreOptions;
import dev.roadie.kubernetes.restore.RestoreReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of {@code roadie restore} for k8s snapshots restored into a cluster. */
final class KubernetesRestoreFlags {
  @Option(
      names = "--to-cluster",
      description =
          "k8s: restore into the cluster of the kubeconfig's current context " + "(or --context).")
  boolean toCluster;

  @Mixin KubernetesAccess access;

  @Option(
      names = "--namespace-mapping",
      paramLabel = "OLD:NEW",
      split = ",",
      description =
          "k8s: restore namespace OLD as NEW (repeatable); every reference to OLD is rewritten.")
  List<String> mapping = new ArrayList<>();

  @Option(
      names = "--existing",
      paramLabel = "skip|update",
      defaultValue = "skip",
      description =
          "k8s: an object that exists is left as it is and reported when it differs (skip, the default), "
              + "or server-side applied with field manager roadie (update).")
  String existing;

  @Option(
      names = "--dry-run",
      description = "k8s: ask the server (server-side dry run) what would happen; change nothing.")
  boolean dryRun;

  @Option(
      names = "--order",
      paramLabel = "KIND",
      split = ",",
      description = "k8s: restore these kinds first, in this order, before the default order.")
  List<String> order = new ArrayList<>();

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      split = ",",
      description =
          "k8s: restore only these namespaces of the snapshot (and its cluster-scoped objects).")
  List<String> namespaces = new ArrayList<>();

  @Option(
      names = "--include-kinds",
      paramLabel = "KIND",
      split = ",",
      description = "k8s: restore only these kinds.")
  List<String> includeKinds = new ArrayList<>();

  @Option(
      names = "--exclude-kinds",
      paramLabel = "KIND",
      split = ",",
      description = "k8s: do not restore these kinds.")
  List<String> excludeKinds = new ArrayList<>();

  @Option(names = "--json", description = "k8s: print the report as JSON.")
  boolean json;

  /** Whether any k8s restore option other than the destination was given. */
  boolean anyGiven() {
    return !mapping.isEmpty()
        || !"skip".equals(existing)
        || dryRun
        || !order.isEmpty()
        || !namespaces.isEmpty()
        || !includeKinds.isEmpty()
        || !excludeKinds.isEmpty()
        || json
        || access.context != null
        || access.kubeconfig != null;
  }

  KubernetesRestoreOptions options() {
    KubernetesRestoreOptions.Existing policy =
        switch (existing.toLowerCase(Locale.ROOT)) {
          case "skip" -> KubernetesRestoreOptions.Existing.SKIP;
          case "update" -> KubernetesRestoreOptions.Existing.UPDATE;
          default ->
              throw new RoadieException(
                  ErrorCode.USAGE, "--existing " + existing + ": give skip or update");
        };
    return new KubernetesRestoreOptions(
        access.environment(),
        KubernetesRestoreOptions.parseMapping(mapping),
        policy,
        dryRun,
        order,
        namespaces,
        includeKinds,
        excludeKinds,
        KubernetesRestoreOptions.DEFAULT_PARALLELISM,
        KubernetesRestoreOptions.DEFAULT_RETRY);
  }

  /** Restores into the cluster and prints the report; exit status 1 when an object failed. */
  int run(Repository r, SnapshotRef ref, Destination.Cluster destination) throws Exception {
    long start = System.nanoTime();
    RestoreReport report = new ClusterRestore(r, ref, destination, options()).run();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("snapshot", ref.id().hex());
      out.put("server", report.target());
      out.put("dryRun", report.dryRun());
      Map<String, Long> counts = new LinkedHashMap<>();
      report.counts().forEach((a, n) -> counts.put(a.name().toLowerCase(Locale.ROOT), n));
      out.put("counts", counts);
      List<Map<String, Object>> objects = new ArrayList<>();
      for (RestoreReport.Entry e : report.entries()) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("kind", e.kind());
        if (e.namespace() != null) o.put("namespace", e.namespace());
        o.put("name", e.name());
        o.put("action", e.action().name().toLowerCase(Locale.ROOT));
        if (e.detail() != null) o.put("detail", e.detail());
        if (e.from() != null) o.put("from", e.from());
        objects.add(o);
      }
      out.put("objects", objects);
      System.out.println(Json.writePretty(out));
    } else {
      System.out.println(
          (report.dryRun() ? "dry run: restore" : "restore")
              + " of snapshot "
              + ref.id().shortHex()
              + " of "
              + ref.snapshot().target()
              + " into "
              + report.target()
              + ":");
      for (RestoreReport.Entry e : report.entries()) {
        System.out.println(
            String.format("%-16s %s", e.action().word(report.dryRun()), e.object())
                + (e.from() != null ? " (from " + e.from() + ")" : "")
                + (e.detail() != null ? ": " + e.detail() : ""));
      }
      System.out.println(
          report.entries().size()
              + " objects in "
              + Format.duration(took)
              + ": "
              + report.counts().entrySet().stream()
                  .map(c -> c.getValue() + " " + c.getKey().word(report.dryRun()))
                  .collect(Collectors.joining(", ")));
    }
    if (report.failed()) {
      System.err.println(
          "roadie: " + report.failures().size() + " object(s) could not be restored (see above)");
      return ErrorCode.FAILURE.exitCode();
    }
    return 0;
  }
}
