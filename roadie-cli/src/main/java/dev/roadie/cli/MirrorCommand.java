package dev.roadie.cli;

import dev.roadie.bucket.mirror.BucketMirror;
import dev.roadie.bucket.mirror.MirrorReport;
import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.bucket.mirror.MirrorSide;
import dev.roadie.bucket.mirror.MirrorWatch;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.json.Json;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "mirror",
    description = {
      "Make bucket DST (or a prefix of it) a copy of bucket SRC: what differs is copied with its metadata and tags,"
          + " compared by content (a SHA-256 recorded on each copy), not by size. Needs no repository.",
      "--check only compares; --watch keeps DST current until stopped."
    })
final class MirrorCommand implements Callable<Integer> {
  /** A check that could not compare exits with this (as diff and cmp do); 1 means "they differ". */
  static final int CHECK_TROUBLE = 2;

  @Parameters(
      index = "0",
      paramLabel = "SRC",
      description =
          "Source: s3://BUCKET[/PREFIX] (endpoint from --from-s3-endpoint, $AWS_ENDPOINT_URL_S3, "
              + "$AWS_ENDPOINT_URL, else AWS) or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX].")
  String source;

  @Parameters(
      index = "1",
      paramLabel = "DST",
      description =
          "Destination, in the same forms (endpoint from --s3-endpoint, then the same variables); "
              + "its bucket is created when missing.")
  String destination;

  @Option(
      names = "--delete",
      description =
          "Delete objects of DST that SRC does not have (without it they are kept "
              + "and counted).")
  boolean delete;

  @Option(
      names = "--allow-empty-source",
      description =
          "With --delete: go on when SRC lists no objects at all "
              + "(refused otherwise: a wrong prefix must not empty DST).")
  boolean allowEmptySource;

  @Option(
      names = "--tags",
      description =
          "Also find objects whose tags alone changed (which changes neither ETag nor time) "
              + "and set their tags: both sides are listed with their tags where the server "
              + "offers it (MinIO), which takes longer. --check always compares tags.")
  boolean tags;

  @Option(
      names = "--storage-class",
      paramLabel = "CLASS",
      description =
          "Storage class of every object the mirror writes to DST, such as STANDARD_IA "
              + "(default: the source object's own). Objects already current keep theirs.")
  String storageClass;

  @Option(
      names = "--check",
      description =
          "Compare SRC and DST and change nothing. Exit 0: equal; 1: they differ; "
              + "2 or more: could not compare.")
  boolean check;

  @Option(
      names = "--watch",
      description =
          "Keep DST current until SIGTERM or Ctrl-C: the source's notifications "
              + "(MinIO) within moments, and a full compare every --full-every.")
  boolean watch;

  @Option(
      names = "--full-every",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description =
          "With --watch: time between full compares, such as 10m, 1h (default: ${DEFAULT-VALUE}).")
  String fullEvery;

  @Option(
      names = "--parallel",
      paramLabel = "N",
      defaultValue = "16",
      description = "Objects copied or compared at once (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(
      names = "--json",
      description = "Print the report as JSON (with --watch: one JSON object per line).")
  boolean json;

  @Option(
      names = "--from-s3-endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint of an s3://BUCKET source (default: $AWS_ENDPOINT_URL_S3, then "
              + "$AWS_ENDPOINT_URL, then AWS).")
  String fromS3Endpoint;

  @Option(
      names = "--from-profile",
      paramLabel = "NAME",
      description =
          "AWS profile with the source's credentials and region (default: the AWS SDK's chain).")
  String fromProfile;

  @Option(
      names = "--from-s3-ca-file",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authorities trusted for the source's https endpoint.")
  Path fromS3CaFile;

  @Option(
      names = "--s3-endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint of an s3://BUCKET destination (default: $AWS_ENDPOINT_URL_S3, then "
              + "$AWS_ENDPOINT_URL, then AWS).")
  String s3Endpoint;

  @Option(
      names = "--profile",
      paramLabel = "NAME",
      description =
          "AWS profile with the destination's credentials and region (default: the AWS SDK's chain).")
  String profile;

  @Option(
      names = "--s3-ca-file",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authorities trusted for the destination's https endpoint.")
  Path s3CaFile;

  @Override
  public Integer call() throws Exception {
    if (check && (watch || delete)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--check changes nothing: leave out " + (watch ? "--watch" : "--delete"));
    }
    if (allowEmptySource && !delete) {
      throw new RoadieException(ErrorCode.USAGE, "--allow-empty-source goes with --delete");
    }
    if (check && storageClass != null) {
      throw new RoadieException(
          ErrorCode.USAGE, "--check writes nothing: leave out --storage-class");
    }
    Duration full = PruneOptions.duration("--full-every", fullEvery);
    BucketMirror.Options options =
        new BucketMirror.Options(
            delete,
            allowEmptySource,
            parallel,
            256L << 20,
            tags,
            BucketOptions.storageClass(storageClass));
    MirrorWatch.Options watchOptions =
        watch ? new MirrorWatch.Options(full, Duration.ofMinutes(1)) : null;
    S3Location srcLocation = location("source", source, fromS3Endpoint, "--from-s3-endpoint");
    S3Location dstLocation = location("destination", destination, s3Endpoint, "--s3-endpoint");
    S3Settings srcSettings =
        settings(srcLocation, fromS3Endpoint, "--from-s3-endpoint", fromProfile, fromS3CaFile);
    S3Settings dstSettings = settings(dstLocation, s3Endpoint, "--s3-endpoint", profile, s3CaFile);
    boolean sameBucket =
        srcLocation.bucket().equals(dstLocation.bucket())
            && java.util.Objects.equals(srcSettings.endpoint(), dstSettings.endpoint());
    if (sameBucket
        && (srcLocation.prefix().startsWith(dstLocation.prefix())
            || dstLocation.prefix().startsWith(srcLocation.prefix()))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "SRC "
              + srcLocation
              + " and DST "
              + dstLocation
              + " overlap: a mirror into itself would copy its own copies; use separate buckets or prefixes");
    }
    try (MirrorSide src = MirrorSide.open("source", srcLocation, srcSettings);
        MirrorSide dst = MirrorSide.open("destination", dstLocation, dstSettings, src)) {
      BucketMirror mirror = new BucketMirror(src, dst, options, this::printItem);
      if (watch) return watch(mirror, watchOptions);
      long start = System.nanoTime();
      if (check) return check(mirror);
      if (mirror.createDestinationBucket()) log("created the bucket " + dst.bucket());
      MirrorReport r = mirror.mirror();
      printReport(r, false, System.nanoTime() - start);
      if (r.stopped() && !r.stoppedForGood()) return ErrorCode.TEMPORARY.exitCode();
      return r.failed() ? ErrorCode.FAILURE.exitCode() : 0;
    }
  }

  private int check(BucketMirror mirror) throws InterruptedException {
    long start = System.nanoTime();
    MirrorReport r;
    try {
      r = mirror.check();
    } catch (RoadieException e) {
      System.err.println("roadie: " + e.getMessage());
      return e.code() == ErrorCode.FAILURE ? CHECK_TROUBLE : e.code().exitCode();
    }
    printReport(r, true, System.nanoTime() - start);
    if (r.stopped()) return ErrorCode.TEMPORARY.exitCode();
    if (r.count(Kind.FAILED) > 0) return CHECK_TROUBLE;
    return r.differs() ? 1 : 0;
  }

  private int watch(BucketMirror mirror, MirrorWatch.Options options) throws InterruptedException {
    MirrorWatch w = new MirrorWatch(mirror, options, this::log);
    // SIGTERM and Ctrl-C end the watch like any other stop: the copies in hand finish, the total is
    // printed, and the exit status is 0 (a JVM ended by the signal itself would exit with 143).
    sun.misc.SignalHandler stop = signal -> w.stop();
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
    MirrorReport total = w.run();
    if (json) {
      Map<String, Object> last = new LinkedHashMap<>();
      last.put("total", total.toMap(false).get("counts"));
      last.put("bytesCopied", total.bytesCopied());
      System.out.println(new String(Json.write(last), java.nio.charset.StandardCharsets.UTF_8));
    } else {
      System.out.println(summary(total, false));
    }
    return 0;
  }

  /**
   * One object done: a line, unless it is unchanged (or, in a mirror, an extra kept: counted at the
   * end).
   */
  private void printItem(Kind kind, String key, String reason, long bytes) {
    if (kind == Kind.UNCHANGED || (kind == Kind.EXTRA && !check)) return;
    if (json) {
      if (!watch) return; // the report at the end lists them
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("time", Instant.now().toString());
      m.put("kind", kind.name().toLowerCase(java.util.Locale.ROOT));
      m.put("key", key);
      if (reason != null) m.put("reason", reason);
      if (bytes > 0) m.put("bytes", bytes);
      synchronized (System.out) {
        System.out.println(new String(Json.write(m), java.nio.charset.StandardCharsets.UTF_8));
      }
      return;
    }
    String word =
        check && kind == Kind.FAILED
            ? "not compared"
            : kind.name().toLowerCase(java.util.Locale.ROOT);
    String line =
        word
            + " "
            + key
            + (kind == Kind.COPIED || kind == Kind.UPDATED && bytes > 0
                ? " (" + Format.bytes(bytes) + (kind == Kind.UPDATED ? ", " + reason : "") + ")"
                : reason != null ? ": " + reason : "");
    PrintStream out = kind == Kind.FAILED ? System.err : System.out;
    synchronized (System.out) {
      out.println(line);
    }
  }

  private void printReport(MirrorReport r, boolean isCheck, long nanos) {
    if (json) {
      Map<String, Object> m = r.toMap(isCheck);
      m.put("seconds", Math.round(nanos / 1e6) / 1e3);
      System.out.println(Json.writePretty(m));
      return;
    }
    if (r.stopped()) System.err.println("roadie: mirror stopped early: " + r.stoppedBy());
    System.out.println(summary(r, isCheck) + " in " + Format.duration(Duration.ofNanos(nanos)));
  }

  private String summary(MirrorReport r, boolean isCheck) {
    if (isCheck) {
      return (r.differs() ? "differ: " : "equal: ")
          + r.count(Kind.UNCHANGED)
          + " equal, "
          + r.count(Kind.MISSING)
          + " missing, "
          + r.count(Kind.EXTRA)
          + " extra, "
          + r.count(Kind.DIFFERENT)
          + " different"
          + (r.count(Kind.FAILED) > 0 ? ", " + r.count(Kind.FAILED) + " not compared" : "");
    }
    String extra =
        r.count(Kind.EXTRA) > 0
            ? ", " + r.count(Kind.EXTRA) + " only in the destination (kept; --delete removes them)"
            : "";
    return r.count(Kind.COPIED)
        + " copied, "
        + r.count(Kind.UPDATED)
        + " updated, "
        + r.count(Kind.DELETED)
        + " deleted, "
        + r.count(Kind.SKIPPED)
        + " skipped, "
        + r.count(Kind.FAILED)
        + " failed, "
        + r.count(Kind.UNCHANGED)
        + " unchanged"
        + extra
        + "; "
        + Format.bytes(r.bytesCopied())
        + " copied";
  }

  private void log(String line) {
    System.err.println(Instant.now().toString().substring(0, 19) + "Z roadie mirror: " + line);
  }

  /**
   * A bucket location for {@code role}; an endpoint option with a location that names its own is
   * refused.
   */
  private static S3Location location(
      String role, String text, String endpoint, String endpointOption) {
    if (!S3Location.isS3(text)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the "
              + role
              + " '"
              + text
              + "' is not a bucket location: use "
              + "s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]");
    }
    S3Location l = S3Location.parse(text);
    if (endpoint != null && l.endpoint() != null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the "
              + role
              + " "
              + l
              + " names its endpoint already: leave out "
              + endpointOption
              + ", or use s3://BUCKET with "
              + endpointOption);
    }
    return l;
  }

  private static S3Settings settings(
      S3Location location, String endpoint, String endpointOption, String profile, Path caFile) {
    URI uri =
        endpoint != null
            ? BackendSettings.parseEndpoint(endpoint, endpointOption)
            : BucketOptions.environmentEndpoint();
    return S3Settings.of(location, new BackendSettings(uri, null, null, profile, caFile));
  }
}
