package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.verify.VerificationRecord;
import dev.roadie.core.verify.Verifier;
import dev.roadie.files.FileSource;
import dev.roadie.kubernetes.KubernetesSource;
import dev.roadie.kubernetes.client.KubeEnvironment;
import dev.roadie.kubernetes.restore.KubernetesRestoreOptions;
import dev.roadie.kubernetes.verify.KubernetesScratchCluster;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.PostgresSource;
import dev.roadie.postgres.physical.PhysicalBackup;
import dev.roadie.postgres.physical.PhysicalSource;
import dev.roadie.redis.RedisBackup;
import dev.roadie.redis.RedisSource;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify",
    description = {
      "Prove that snapshots restore: each is restored into scratch space roadie sets up and removes (a throwaway",
      "PostgreSQL cluster or redis-server it starts, a scratch database, a temporary directory), checked against",
      "what the backup recorded, and the result stored in the repository ('roadie verifications').",
      "Default: the newest snapshot of every target. Exit 0 when every check passes, 1 when one fails, 3 when the",
      "repository is damaged."
    })
final class VerifyCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;
  @Mixin ScratchOptions scratch;

  @Parameters(
      paramLabel = "SNAPSHOT",
      arity = "0..*",
      description =
          "Snapshots to verify (ids, id prefixes or 'latest'); default: the newest of every target.")
  List<String> snapshots = new ArrayList<>();

  @Option(names = "--of", paramLabel = "TARGET", description = "Only snapshots of this target.")
  String of;

  @Option(
      names = "--max-age",
      paramLabel = "DURATION",
      description =
          "Fail a target whose newest snapshot is older than this (30s, 15m, 6h, 7d), even if it restores.")
  String maxAge;

  @Option(
      names = "--target-time",
      paramLabel = "TIME",
      description =
          "postgres physical: recover to this time (ISO-8601 with offset) instead of the newest point.")
  String targetTime;

  @Option(
      names = "--rotate",
      paramLabel = "M",
      description =
          "Also read and verify every blob of the next of M slices of the packs, so that M runs read "
              + "them all ('check --read-data-subset n/M'); the record says which slice.")
  Integer rotate;

  @Option(
      names = "--json",
      description = "Print a JSON array, one object per verified snapshot with its checks.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Duration age = maxAge == null ? null : PruneOptions.duration("--max-age", maxAge);
    if (rotate != null && rotate < 1) {
      throw new dev.roadie.core.RoadieException(
          ErrorCode.USAGE, "--rotate takes the number of slices, 1 or more");
    }
    char[] password = repo.password("repository password: ");
    try (Repository r = repo.open(password)) {
      r.io().submit(r::index);
      List<SnapshotRef> all = r.snapshots(null);
      List<SnapshotRef> chosen = Verifier.select(r, snapshots, filters.filter(of), all);
      Verifier.Options options =
          new Verifier.Options(
              age,
              scratch.dir,
              ref ->
                  scratch.options(
                      ref,
                      targetTime,
                      new ScratchRestoreCommand(
                          repo.location(), repo.backendArguments(), password)),
              rotate,
              json ? null : line -> System.err.println(line));
      List<VerificationRecord> records = new Verifier(r, options).run(chosen, all);
      if (json) {
        System.out.println(Json.writePretty(records.stream().map(VerifyCommand::view).toList()));
      } else {
        for (VerificationRecord v : records) print(v);
        long failed = records.stream().filter(v -> !v.passed()).count();
        System.out.println(
            Plural.count(records.size(), "snapshot")
                + " verified: "
                + (records.size() - failed)
                + " passed"
                + (failed > 0 ? ", " + failed + " failed" : ""));
      }
      if (records.stream().anyMatch(v -> VerificationRecord.DAMAGED.equals(v.result()))) {
        return ErrorCode.INTEGRITY.exitCode();
      }
      return records.stream().allMatch(VerificationRecord::passed)
          ? 0
          : ErrorCode.FAILURE.exitCode();
    }
  }

  /** One record for people: a line for the snapshot, one per check, its details indented. */
  static void print(VerificationRecord v) {
    double seconds =
        Duration.between(Instant.parse(v.started()), Instant.parse(v.finished())).toMillis()
            / 1000.0;
    System.out.println(
        "snapshot "
            + v.snapshot().substring(0, 8)
            + " of "
            + v.target()
            + " ("
            + v.kind()
            + ", "
            + v.snapshotTime()
            + "): "
            + v.result().toUpperCase(java.util.Locale.ROOT)
            + " in "
            + Format.duration(Duration.ofMillis(Math.round(seconds * 1000))));
    Table t = new Table("CHECK", "RESULT", "");
    for (Check c : v.checks()) {
      t.row(c.name(), c.status(), c.summary());
      for (String d : c.details()) t.line("    " + d);
    }
    System.out.print(t.render("  "));
  }

  /** The JSON object of one verified snapshot: the stored record. */
  static Map<String, Object> view(VerificationRecord v) {
    Map<String, Object> m =
        new LinkedHashMap<>(
            Json.MAPPER.convertValue(
                v, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
    m.put("pass", v.passed());
    return m;
  }

  /** The scratch options of each kind, shared by verify and drill. */
  static final class ScratchOptions {
    @Option(
        names = "--scratch",
        paramLabel = "URL",
        description =
            "postgres: restore into a scratch database that roadie creates (and drops) on this server "
                + "(postgresql://USER@HOST:PORT/DB, DB being one to connect to), instead of a throwaway cluster.")
    String postgresServer;

    @Option(
        names = "--scratch-dir",
        paramLabel = "DIR",
        description = "Where scratch directories go (default: $TMPDIR or /tmp).")
    Path dir;

    @Option(
        names = "--pg-bin",
        paramLabel = "DIR",
        description =
            "Directory of the PostgreSQL server and client programs (default: /usr/lib/postgresql/N/bin "
                + "of the snapshot's major version N, or the nearest newer one).")
    Path pgBin;

    @Option(
        names = "--redis-server",
        paramLabel = "PATH",
        description = "The redis-server to start (default: on PATH).")
    String redisServer;

    @Option(
        names = "--scratch-cluster",
        paramLabel = "KUBECONFIG",
        description =
            "k8s: also ask the cluster of this kubeconfig (its current context) whether it would take every "
                + "object: a server-side dry-run apply of each, as the restore would write it; nothing is stored "
                + "(namespaces it lacks are created empty for the check and deleted after).")
    Path scratchCluster;

    @Option(
        names = "--namespace-mapping",
        paramLabel = "OLD:NEW",
        description =
            "k8s with --scratch-cluster: check the objects of namespace OLD as a restore into NEW would "
                + "write them (repeatable).")
    List<String> namespaceMapping = new ArrayList<>();

    @Option(
        names = "--jobs",
        paramLabel = "N",
        description = "Restore and count with N connections (default: the cores).")
    Integer jobs;

    /** The scratch cluster of a k8s snapshot, or null to check the objects by parsing alone. */
    private KubernetesScratchCluster kubernetes() {
      if (scratchCluster == null) {
        if (!namespaceMapping.isEmpty()) {
          throw new dev.roadie.core.RoadieException(
              ErrorCode.USAGE, "--namespace-mapping applies with --scratch-cluster KUBECONFIG");
        }
        return null;
      }
      if (!java.nio.file.Files.isRegularFile(scratchCluster)) {
        throw new dev.roadie.core.RoadieException(
            ErrorCode.USAGE,
            "--scratch-cluster "
                + scratchCluster
                + ": no such file; give the kubeconfig of the scratch cluster");
      }
      return new KubernetesScratchCluster(
          KubeEnvironment.file(scratchCluster),
          null,
          KubernetesRestoreOptions.parseMapping(namespaceMapping));
    }

    ScratchVerifyRequest.Options options(
        SnapshotRef ref, String targetTime, ScratchRestoreCommand restoreCommand) {
      int n = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
      return switch (ref.snapshot().kind()) {
        case PostgresBackup.KIND -> new PostgresSource.VerifyOptions(postgresServer, pgBin, n);
        case PhysicalBackup.KIND ->
            new PhysicalSource.VerifyOptions(pgBin, n, targetTime, restoreCommand);
        case RedisBackup.KIND -> new RedisSource.VerifyOptions(redisServer);
        case KubernetesSource.KIND -> kubernetes();
        case FileSource.KIND -> null;
        default -> null;
      };
    }
  }
}
