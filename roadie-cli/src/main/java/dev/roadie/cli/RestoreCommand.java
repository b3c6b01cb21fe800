package dev.roadie.cli;

import dev.roadie.bucket.BucketRestoreOptions;
import dev.roadie.bucket.BucketSource;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import dev.roadie.files.FileRestoreOptions;
import dev.roadie.kubernetes.KubernetesSource;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.physical.PhysicalBackup;
import dev.roadie.redis.RedisBackup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "restore",
    description = {
      "Restore a snapshot; what fits depends on the snapshot's kind:",
      "file: into a directory (--target DIR), or one file or stream to standard output (--stdout);",
      "postgres: into a database (--to postgresql://USER@HOST:PORT/DB);",
      "redis: into a running server (--to redis://HOST:PORT) or as a dump.rdb (--rdb-file PATH);",
      "postgres-physical: into a data directory set up for point-in-time recovery (--pgdata DIR);",
      "bucket: into a bucket (--to s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]), or as files",
      "into a directory (--target DIR).",
      "k8s: into a cluster (--to-cluster [--context C] [--namespace-mapping OLD:NEW]...) or as YAML files (--target DIR).",
      "SNAPSHOT is an id, a unique id prefix, or 'latest' (narrowed by --of, --kind, --tag)."
    })
final class RestoreCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;
  @Mixin PostgresRestoreOptions postgres;
  @Mixin PhysicalRestoreOptions physical;

  @Parameters(index = "0", paramLabel = "SNAPSHOT")
  String snapshot;

  @Option(
      names = "--target",
      paramLabel = "DIR",
      description = "file: the directory to restore into (created if missing).")
  Path targetDir;

  @Option(
      names = "--stdout",
      description =
          "file: write the snapshot's one file or stream (or the one --include names) to stdout.")
  boolean stdout;

  @Option(
      names = "--include",
      paramLabel = "PATH",
      description =
          "file: restore only this file or directory of "
              + "the snapshot; bucket: only objects whose names (keys below the backed-up prefix) match this glob "
              + "(* within a segment, ** across, ?, [abc]; a directory name takes everything below it).")
  String include;

  @Option(
      names = "--to",
      paramLabel = "URL",
      description =
          "Restore into a server: postgresql://USER@HOST:PORT/DB "
              + "for postgres snapshots, redis://[USER:PASSWORD@]HOST:PORT[/N] for redis snapshots (/N: one database), "
              + "s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX] for bucket snapshots (created if missing).")
  String to;

  @Option(
      names = "--delete-extra",
      description =
          "bucket: delete objects under the --to location that the snapshot "
              + "does not have (among those --include matches); without it they are left and counted.")
  boolean deleteExtra;

  @Option(
      names = "--storage-class",
      paramLabel = "CLASS",
      description =
          "bucket, with --to: write every object in this storage class instead of the recorded one "
              + "(for a server that does not offer it, such as MinIO for STANDARD_IA).")
  String storageClass;

  @Mixin BucketOptions bucket;

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description =
          "With 'latest': the newest snapshot of this target "
              + "(a URL as given to the backup, credentials and parameters left out, counts too).")
  String of;

  @Mixin RedisRestoreOptions redis;
  @Mixin KubernetesRestoreFlags k8s;

  @Override
  public Integer call() throws Exception {
    Destination destination = destination();
    try (Repository r = repo.open()) {
      // Every tree and blob of a restore needs the index: it loads while the snapshot is resolved
      // and the destination checked (the first tree read waits for it).
      r.io().submit(r::index);
      // 'latest' with a recovery target into a data directory is the newest base backup that covers
      // it.
      SnapshotRef ref =
          destination instanceof Destination.DataDirectory
              ? physical.resolve(r, snapshot, filters.filter(of))
              : r.resolve(snapshot, filters.filter(of));
      String kind = ref.snapshot().kind();
      SourceProvider source = Sources.forKind(kind);
      checkFits(ref, source, destination);
      if (!BucketSource.KIND.equals(kind)
          && (deleteExtra || storageClass != null || bucket.given())) {
        throw new RoadieException(
            ErrorCode.USAGE,
            (deleteExtra
                    ? "--delete-extra"
                    : storageClass != null ? "--storage-class" : bucket.givenName())
                + " applies to bucket snapshots, and snapshot "
                + ref.id().shortHex()
                + " is a "
                + kind
                + " snapshot");
      }
      if (KubernetesSource.KIND.equals(kind)) {
        // Into a cluster the restore reports object by object (and as JSON); as YAML files it is a
        // restore like any other.
        if (destination instanceof Destination.Cluster c) return k8s.run(r, ref, c);
        if (k8s.anyGiven()) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "the k8s restore options go with --to-cluster, not with "
                  + "--target DIR (which writes the objects as YAML files)");
        }
      }
      return restore(r, ref, destination);
    }
  }

  /**
   * The one place a restore writes to, from the flags; null when none was given. With --pgdata,
   * --target is the physical restore's recovery target ('immediate'), not a directory.
   */
  private Destination destination() {
    List<Destination> given = new ArrayList<>();
    if (targetDir != null && physical.pgdata == null)
      given.add(new Destination.Directory(targetDir));
    if (stdout) {
      given.add(new Destination.Stream(StandardOutput.open()));
    }
    if (to != null) given.add(new Destination.Server(to));
    if (redis.rdbFile != null) given.add(new Destination.File(redis.rdbFile));
    if (physical.pgdata != null) given.add(new Destination.DataDirectory(physical.pgdata));
    if (k8s.toCluster) given.add(new Destination.Cluster(k8s.access.context));
    if (given.size() > 1) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "give one place to restore to, not "
              + given.stream().map(RestoreCommand::option).collect(Collectors.joining(" and ")));
    }
    return given.isEmpty() ? null : given.get(0);
  }

  /**
   * Refuses a missing destination, or one that the snapshot's kind does not restore to, naming
   * those it does.
   */
  static void checkFits(SnapshotRef ref, SourceProvider source, Destination destination) {
    String kind = ref.snapshot().kind();
    List<Destination.Fit> fits = source.destinations(kind);
    String options = fits.stream().map(RestoreCommand::option).collect(Collectors.joining(" or "));
    String what = "snapshot " + ref.id().shortHex() + " is a " + kind + " snapshot";
    if (destination == null) {
      throw new RoadieException(ErrorCode.USAGE, what + ": say where to restore it: " + options);
    }
    if (fits.stream().noneMatch(f -> f.accepts(destination))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          what + "; " + option(destination) + " does not fit it: restore it with " + options);
    }
  }

  /** How a destination is given on this command line. */
  private static String option(Destination d) {
    return switch (d) {
      case Destination.Directory x -> "--target DIR";
      case Destination.Stream x -> "--stdout";
      case Destination.Server s -> "--to " + (s.scheme().isEmpty() ? "URL" : s.scheme() + "://…");
      case Destination.DataDirectory x -> "--pgdata DIR";
      case Destination.File x -> "--rdb-file PATH";
      case Destination.Cluster x -> "--to-cluster";
    };
  }

  private static String option(Destination.Fit f) {
    return switch (f.type()) {
      case DIRECTORY -> "--target DIR";
      case STREAM -> "--stdout";
      case SERVER -> "--to " + (f.form() != null ? f.form() : "URL");
      case DATA_DIRECTORY -> "--pgdata DIR";
      case FILE -> "--rdb-file PATH";
      case CLUSTER -> "--to-cluster [--context C]";
    };
  }

  /**
   * A restore through the source SPI, with its one summary line (none when the data went to
   * stdout).
   */
  private int restore(Repository r, SnapshotRef ref, Destination destination) throws Exception {
    boolean toStdout = destination instanceof Destination.Stream;
    RestoreRequest.Options options = options(r, ref);
    Progress progress = new Progress();
    long start = System.nanoTime();
    RestoreResult res;
    try (ProgressPrinter p = new ProgressPrinter(progress, "restore", !toStdout)) {
      res = Sources.restore(new RestoreRequest(r, ref, destination, options, progress));
    }
    for (String w : res.warnings()) System.err.println("roadie: warning: " + w);
    if (toStdout) {
      ((Destination.Stream) destination).out().flush();
      return 0;
    }
    long nanos = System.nanoTime() - start;
    String rate =
        res.rate() == null
            ? Format.rate(res.bytes(), nanos)
            : Math.round(res.rate().value() / Math.max(nanos / 1e9, 1e-9))
                + " "
                + res.rate().many()
                + "/s";
    System.out.println(
        "restored snapshot "
            + ref.id().shortHex()
            + " of "
            + ref.snapshot().target()
            + " to "
            + res.destination()
            + ": "
            + res.counts().stream().map(Object::toString).collect(Collectors.joining(", "))
            + ", "
            + Format.bytes(res.bytes())
            + " in "
            + Format.duration(Duration.ofNanos(nanos))
            + " ("
            + rate
            + ")");
    for (String note : res.notes()) System.out.println(note);
    return 0;
  }

  /** {@code --storage-class}, which applies to a restore into a bucket ({@code to}). */
  static String storageClass(String given, String to) {
    String c = BucketOptions.storageClass(given);
    if (c != null && to == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--storage-class applies to a restore into a bucket (--to s3://...); files have none");
    }
    return c;
  }

  /**
   * The restore options of the snapshot's kind, from this command's flags (null: the kind's
   * defaults).
   */
  private RestoreRequest.Options options(Repository r, SnapshotRef ref) {
    String kind = ref.snapshot().kind();
    return switch (kind) {
      case dev.roadie.files.FileSource.KIND -> new FileRestoreOptions(include, physical.force);
      case BucketSource.KIND ->
          new BucketRestoreOptions(
              bucket.settings(to), null, include, deleteExtra, storageClass(storageClass, to));
      case PostgresBackup.KIND -> postgres.options();
      case RedisBackup.KIND -> {
        redis.to = to;
        redis.validate(false);
        yield redis.options();
      }
      case PhysicalBackup.KIND -> physical.options(ref, repo, targetDir, postgres.jobs);
      default -> null;
    };
  }
}
