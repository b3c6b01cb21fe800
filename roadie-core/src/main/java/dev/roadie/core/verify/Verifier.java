package dev.roadie.core.verify;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.check.Checker;
import dev.roadie.core.check.PackSlice;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchDirectoryVerify;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.Sources;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code roadie verify}: for each chosen snapshot, its source restores it into scratch space and
 * checks the copy ({@link dev.roadie.core.source.SourceProvider#verifyInScratch}); the scratch is
 * torn down whatever happened; freshness and a slice of the packs are checked when asked for; and
 * the outcome is stored as a {@link VerificationRecord} before the next snapshot starts.
 */
public final class Verifier {
  /**
   * How to verify.
   *
   * @param maxAge a target whose newest snapshot is older fails ({@code freshness}); null: not
   *     checked
   * @param scratchBase where scratch directories go; null: the system's temporary directory
   * @param kindOptions the scratch options of each snapshot's kind (a scratch server, the tools'
   *     directory), or null for the kind's defaults
   * @param rotate read the next of this many slices of the packs (null: none)
   * @param log progress lines for people
   */
  public record Options(
      Duration maxAge,
      Path scratchBase,
      Function<SnapshotRef, ScratchVerifyRequest.Options> kindOptions,
      Integer rotate,
      Consumer<String> log) {}

  private final Repository repo;
  private final Options options;

  public Verifier(Repository repo, Options options) {
    this.repo = repo;
    this.options = options;
  }

  /**
   * The snapshots {@code specs} name (ids, prefixes, {@code latest}, each within {@code filter}),
   * or with none the newest snapshot of every target (and kind) that {@code filter} accepts, by
   * target name.
   */
  public static List<SnapshotRef> select(
      Repository repo, List<String> specs, SnapshotFilter filter, List<SnapshotRef> all)
      throws IOException {
    if (!specs.isEmpty()) {
      List<SnapshotRef> out = new ArrayList<>();
      for (String spec : specs) {
        SnapshotRef r = repo.resolve(spec, filter);
        if (out.stream().noneMatch(o -> o.id().equals(r.id()))) out.add(r);
      }
      return out;
    }
    Map<String, SnapshotRef> newest = new LinkedHashMap<>();
    for (SnapshotRef r : all) { // oldest first: the last one of a target wins
      if (filter.matches(r.snapshot()))
        newest.put(r.snapshot().kind() + "\n" + r.snapshot().target(), r);
    }
    List<SnapshotRef> out = new ArrayList<>(newest.values());
    out.sort(
        Comparator.comparing((SnapshotRef r) -> r.snapshot().target())
            .thenComparing(r -> r.snapshot().kind()));
    if (out.isEmpty()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          repo.backend().location()
              + ": no snapshot"
              + (filter.isEmpty() ? "" : " matches " + filter)
              + " to verify; list them with 'roadie snapshots'");
    }
    return out;
  }

  /**
   * Verifies each snapshot in turn and stores its record; {@code all} is every snapshot of the
   * repository (for freshness). Returns the records in the same order.
   */
  public List<VerificationRecord> run(List<SnapshotRef> snapshots, List<SnapshotRef> all)
      throws IOException {
    Check readData = null;
    String slice = null;
    if (options.rotate() != null) {
      PackSlice s = nextSlice(options.rotate());
      slice = s.toString();
      readData = readSlice(s);
    }
    List<VerificationRecord> out = new ArrayList<>();
    for (SnapshotRef ref : snapshots) {
      VerificationRecord r = verify(ref, all, readData, slice);
      Records.write(repo, r);
      out.add(r);
    }
    return out;
  }

  private VerificationRecord verify(
      SnapshotRef ref, List<SnapshotRef> all, Check readData, String slice) throws IOException {
    String kind = ref.snapshot().kind();
    log(
        "verifying snapshot "
            + ref.id().shortHex()
            + " of "
            + ref.snapshot().target()
            + " ("
            + kind
            + ", "
            + ref.snapshot().time()
            + ")");
    Instant started = Instant.now();
    List<Check> checks = new ArrayList<>();
    ScratchVerifyResult result = null;
    Scratch scratch = Scratch.open(options.scratchBase());
    try {
      ScratchVerifyRequest.Options kindOptions =
          options.kindOptions() == null ? null : options.kindOptions().apply(ref);
      result =
          Sources.forKind(kind)
              .verifyInScratch(new ScratchVerifyRequest(repo, ref, scratch, kindOptions, null));
      checks.addAll(result.checks());
    } catch (RoadieException e) {
      if (e.code() == ErrorCode.USAGE)
        throw e; // a mistake in what was asked: nothing was verified, nothing recorded
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
    } catch (IOException e) {
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
    } finally {
      List<String> left = scratch.tearDown();
      if (!left.isEmpty()) {
        checks.add(
            Check.fail(
                "cleanup",
                "scratch space was not removed completely; remove it by hand",
                Map.of(),
                left));
      }
    }
    if (options.maxAge() != null) checks.add(freshness(ref, all, options.maxAge()));
    if (readData != null) checks.add(readData);
    Instant finished = Instant.now();
    VerificationRecord r =
        new VerificationRecord(
            VerificationRecord.VERSION,
            ref.snapshot().target(),
            kind,
            ref.id().hex(),
            ref.snapshot().time(),
            Hosts.host(),
            Hosts.user(),
            started.toString(),
            finished.toString(),
            VerificationRecord.resultOf(checks),
            checks,
            result == null ? null : result.restoredTo(),
            result == null ? null : result.recoveredTo(),
            slice);
    return r;
  }

  /**
   * Whether the newest snapshot of {@code ref}'s target (and kind) is at most {@code maxAge} old: a
   * target whose backups stopped fails even when its last snapshot restores.
   */
  static Check freshness(SnapshotRef ref, List<SnapshotRef> all, Duration maxAge) {
    SnapshotRef newest = ref;
    for (SnapshotRef r : all) {
      if (r.snapshot().kind().equals(ref.snapshot().kind())
          && r.snapshot().target().equals(ref.snapshot().target())
          && r.time().toInstant().isAfter(newest.time().toInstant())) {
        newest = r;
      }
    }
    Duration age =
        Duration.between(OffsetDateTime.parse(newest.snapshot().time()).toInstant(), Instant.now());
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("newestSnapshot", newest.id().hex());
    figures.put("newestTime", newest.snapshot().time());
    figures.put("ageSeconds", age.toSeconds());
    figures.put("maxAgeSeconds", maxAge.toSeconds());
    String what =
        "the newest snapshot of "
            + ref.snapshot().target()
            + " ("
            + newest.id().shortHex()
            + ") is "
            + Age.text(age)
            + " old";
    if (age.compareTo(maxAge) > 0) {
      return Check.fail(
          "freshness",
          what + ", more than --max-age " + Age.text(maxAge) + ": its backups have stopped or fail",
          figures,
          List.of());
    }
    return Check.pass("freshness", what + ", within --max-age " + Age.text(maxAge), figures);
  }

  /** The slice after the newest one recorded with the same m, or 1/m. */
  PackSlice nextSlice(int m) throws IOException {
    PackSlice last = null;
    for (Records.Stored<VerificationRecord> s : Records.verifications(repo, new ArrayList<>())) {
      PackSlice p = s.record().slice() == null ? null : PackSlice.parse(s.record().slice());
      if (p != null && p.m() == m) last = p;
    }
    return last == null ? new PackSlice(1, m) : last.next();
  }

  private Check readSlice(PackSlice slice) throws IOException {
    log("reading slice " + slice + " of the packs");
    long start = System.nanoTime();
    Checker.Report report = new Checker(repo, msg -> {}).run(slice);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("slice", slice.toString());
    figures.put("packsRead", report.packsRead());
    figures.put("packs", report.packs());
    figures.put("errors", report.errors().size());
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    String summary =
        "slice "
            + slice
            + ": "
            + Plural.count(report.packsRead(), "pack")
            + " of "
            + report.packs()
            + " read in full";
    if (report.ok()) return Check.pass("read-data", summary + ", no errors", figures);
    return new Check(
        "read-data",
        Check.DAMAGED,
        summary + ": " + Plural.count(report.errors().size(), "error"),
        figures,
        report.errors().subList(0, Math.min(100, report.errors().size())));
  }

  private void log(String line) {
    if (options.log() != null) options.log().accept(line);
  }
}
