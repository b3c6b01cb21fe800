package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.AuditLog;
import dev.roadie.core.repo.AuditOperation;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.kubernetes.KubernetesSource;
import dev.roadie.kubernetes.backup.ChangeWatch;
import dev.roadie.kubernetes.backup.ClusterBackup;
import dev.roadie.kubernetes.backup.KubernetesBackupOptions;
import dev.roadie.kubernetes.client.KubeConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "k8s",
    description = {
      "Back up Kubernetes objects: every kind the API server serves (custom resources too) in the given namespaces,",
      "one YAML document per object without what the server owns, plus the cluster-scoped objects they use",
      "(their namespaces, persistent volumes and storage classes, custom resource definitions, cluster roles and",
      "bindings, webhook configurations). The kubeconfig is found as kubectl finds it.",
      "Default target: k8s://SERVER:PORT/NS1,NS2 (k8s://SERVER:PORT/* with --all-namespaces)."
    })
final class KubernetesBackupCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin BackupOptions options;
  @Mixin KubernetesAccess access;

  static final class Scope {
    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "NS",
        split = ",",
        required = true,
        description = "A namespace to back up (repeatable, or comma-separated).")
    List<String> namespaces = new ArrayList<>();

    @Option(
        names = {"-A", "--all-namespaces"},
        required = true,
        description = "Back up every namespace.")
    boolean all;
  }

  /** Checked in {@link KubernetesBackupOptions}, whose message names both options. */
  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Scope scope;

  @Option(
      names = "--include-kinds",
      paramLabel = "KIND",
      split = ",",
      description =
          "Only these kinds (as kubectl names them: deployments, deployments.apps, Deployment, deploy).")
  List<String> includeKinds = new ArrayList<>();

  @Option(
      names = "--exclude-kinds",
      paramLabel = "KIND",
      split = ",",
      description = "Leave these kinds out (e.g. secrets).")
  List<String> excludeKinds = new ArrayList<>();

  @Option(
      names = {"-l", "--selector"},
      paramLabel = "SELECTOR",
      description = "Only objects with these labels (app=web,tier!=db).")
  String selector;

  @Option(
      names = "--cluster-resources",
      description = "Every cluster-scoped object, not only those the namespaces use.")
  boolean clusterResources;

  @Option(
      names = "--include-status",
      description = "Keep each object's status (left out by default).")
  boolean includeStatus;

  @Option(
      names = "--include-owned",
      description =
          "Keep what controllers make (pods of a deployment, replica sets, "
              + "controller revisions, managed endpoints, events, leases); left out by default.")
  boolean includeOwned;

  @Option(
      names = "--parallel",
      paramLabel = "N",
      defaultValue = "16",
      description = "List requests in flight at once (default 16).")
  int parallel;

  @Option(
      names = "--on-change",
      description =
          "Keep running: watch the selection and take a snapshot once changes "
              + "settle (the first one at once). Ends cleanly on SIGTERM or SIGINT.")
  boolean onChange;

  @Option(
      names = "--settle",
      paramLabel = "DURATION",
      defaultValue = "10s",
      description =
          "With --on-change: how long the selection must stay unchanged before a snapshot (default 10s).")
  String settle;

  @Override
  public Integer call() throws Exception {
    if (!onChange && !"10s".equals(settle)) {
      throw new RoadieException(ErrorCode.USAGE, "--settle goes with --on-change");
    }
    Duration settleFor = ChangeWatch.parseDuration("--settle", settle);
    boolean all = scope != null && scope.all;
    List<String> namespaces =
        scope == null || all
            ? List.of()
            : scope.namespaces.stream().flatMap(s -> Arrays.stream(s.split(","))).toList();
    KubernetesBackupOptions what =
        new KubernetesBackupOptions(
            access.environment(),
            access.context,
            namespaces,
            all,
            includeKinds,
            excludeKinds,
            selector,
            clusterResources,
            includeStatus,
            includeOwned,
            parallel);
    List<String> tags = options.tags();
    if (onChange && options.time != null)
      throw new RoadieException(ErrorCode.USAGE, "--time cannot go with --on-change");
    try (Repository r = repo.open();
        KubeConnection conn = KubeConnection.open(what.environment(), what.context())) {
      if (!onChange) {
        print(backup(r, conn, what, tags, options.snapshotTime()));
        return 0;
      }
      ChangeWatch watch =
          new ChangeWatch(
              conn,
              what,
              settleFor,
              () -> {
                ClusterBackup.Saved saved = audited(r, () -> backup(r, conn, what, tags, null));
                print(saved);
                return saved;
              },
              message -> System.err.println("roadie: " + message));
      // SIGTERM or SIGINT ends the watch: the snapshot in progress is finished (or none is
      // written), the watches are closed, and the command returns 0 as a scheduler stopping it
      // expects. A signal handler rather than a shutdown hook: a hook runs once the JVM is already
      // exiting with 143, racing this thread's last words.
      for (String name : List.of("TERM", "INT")) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> watch.stop());
      }
      watch.run();
      System.err.println("roadie: stopped watching");
      return 0;
    }
  }

  /**
   * One backup of a watch as an operation of its own in the audit trail: a watch runs for weeks,
   * and each snapshot's entry must exist as soon as the snapshot does (check looks for it).
   */
  private static ClusterBackup.Saved audited(Repository r, ChangeWatch.Backup backup)
      throws java.io.IOException {
    AuditOperation watch = r.audit();
    if (watch == null) return backup.take();
    AuditOperation each = new AuditOperation(watch.operation());
    r.audit(each);
    try {
      ClusterBackup.Saved saved = backup.take();
      AuditLog.write(r, each, null);
      return saved;
    } catch (java.io.IOException | RuntimeException e) {
      AuditLog.write(r, each, CommandAudit.describe(e));
      throw e;
    } finally {
      r.audit(watch);
    }
  }

  private ClusterBackup.Saved backup(
      Repository r,
      KubeConnection conn,
      KubernetesBackupOptions what,
      List<String> tags,
      String time)
      throws java.io.IOException {
    Progress progress = new Progress();
    try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json && !onChange)) {
      BackupRequest request =
          new BackupRequest(
              r, KubernetesSource.KIND, what, options.target, tags, time, null, progress);
      ClusterBackup backup = new ClusterBackup(request, conn);
      BackupResult result = backup.run();
      return new ClusterBackup.Saved(result, backup.listVersions(), backup.digests());
    }
  }

  private void print(ClusterBackup.Saved saved) {
    SavedSnapshot.print(saved.result().snapshot(), saved.result().warnings(), options.json);
    System.out.flush();
  }
}
