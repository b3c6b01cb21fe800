package dev.roadie.core.verify;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Repository;
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
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A disaster-recovery drill: every target of the scenario recovered from the repository into
 * scratch space, one after another as one operator would, each verified as {@code roadie verify}
 * does, with its recovery time (RTO: from the drill's start until the copy answered with verified
 * data) and recovery point (RPO: from the requested point back to the newest moment the copy holds)
 * measured and held to its objectives. The caller opens the repository as the scenario demands (the
 * second region's, or from nothing but its location and password) after {@code start}, so that
 * opening counts towards the recovery time.
 */
public final class Drill {

  /** The scenarios of the guide, with its recovery objectives. */
  public enum Scenario {
    DATABASE_CORRUPTION("database-corruption", Duration.ofHours(1), Duration.ofMinutes(30)),
    REGION_OUTAGE("region-outage", Duration.ofHours(6), Duration.ofHours(2)),
    COMPLETE_LOSS("complete-loss", Duration.ofHours(24), Duration.ofHours(4));

    public final String id;
    public final Duration rpo;
    public final Duration rto;

    Scenario(String id, Duration rpo, Duration rto) {
      this.id = id;
      this.rpo = rpo;
      this.rto = rto;
    }

    public DrillRecord.Objective objective() {
      return new DrillRecord.Objective(rpo.toSeconds(), rto.toSeconds());
    }

    public static Scenario parse(String id) {
      for (Scenario s : values()) {
        if (s.id.equals(id)) return s;
      }
      throw new RoadieException(
          ErrorCode.USAGE,
          "no drill scenario '"
              + id
              + "': choose database-corruption, "
              + "region-outage or complete-loss");
    }
  }

  /**
   * What to drill.
   *
   * @param start the moment the drill began (the disaster); recovery times count from it
   * @param requestedPoint the moment to recover to: for database corruption a point in time before
   *     the damage, otherwise {@code start}; recovery points count back from it
   * @param kinds the snapshot kinds the scenario recovers
   * @param targets the targets to drill, or null for every target of those kinds in the repository
   * @param objectives per target, objectives that replace the scenario's
   * @param defaults the objectives of targets without their own
   * @param kindOptions the scratch options for a snapshot recovered to the requested point
   * @param repository the repository's location as reports show it (no credentials)
   */
  public record Plan(
      Scenario scenario,
      Instant start,
      Instant requestedPoint,
      Predicate<String> kinds,
      List<String> targets,
      Map<String, DrillRecord.Objective> objectives,
      DrillRecord.Objective defaults,
      Path scratchBase,
      BiFunction<SnapshotRef, Instant, ScratchVerifyRequest.Options> kindOptions,
      String repository,
      Consumer<String> log) {}

  private final Repository repo;
  private final Plan plan;

  public Drill(Repository repo, Plan plan) {
    this.repo = repo;
    this.plan = plan;
  }

  /**
   * Runs the drill over {@code all} (every snapshot of the repository, oldest first) and stores its
   * record.
   */
  public DrillRecord run(List<SnapshotRef> all) throws IOException {
    Map<String, List<SnapshotRef>> byTarget = new LinkedHashMap<>();
    for (SnapshotRef r : all) {
      if (plan.kinds().test(r.snapshot().kind())) {
        byTarget
            .computeIfAbsent(
                r.snapshot().kind() + "\n" + r.snapshot().target(), k -> new ArrayList<>())
            .add(r);
      }
    }
    List<String> keys = new ArrayList<>(byTarget.keySet());
    keys.sort(Comparator.naturalOrder());
    List<DrillRecord.Target> targets = new ArrayList<>();
    if (plan.targets() != null) {
      for (String t : plan.targets()) {
        if (keys.stream().noneMatch(k -> k.endsWith("\n" + t))) {
          targets.add(missing(t, "no snapshot of this target in " + plan.repository()));
        }
      }
    }
    for (String key : keys) {
      List<SnapshotRef> history = byTarget.get(key);
      String target = history.get(0).snapshot().target();
      if (plan.targets() != null && !plan.targets().contains(target)) continue;
      targets.add(recover(target, history));
    }
    if (targets.isEmpty()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          plan.repository()
              + ": no snapshot for a "
              + plan.scenario().id
              + " drill; list them with 'roadie snapshots'");
    }
    Instant finished = Instant.now();
    Double rpo =
        targets.stream().anyMatch(t -> t.rpoSeconds() == null)
            ? null
            : targets.stream().mapToDouble(DrillRecord.Target::rpoSeconds).max().orElse(0);
    double rto = ScratchDirectoryVerify.seconds(Duration.between(plan.start(), finished).toNanos());
    DrillRecord record =
        new DrillRecord(
            DrillRecord.VERSION,
            plan.scenario().id,
            plan.repository(),
            Hosts.host(),
            plan.start().toString(),
            finished.toString(),
            plan.requestedPoint().toString(),
            targets,
            rto,
            rpo,
            targets.stream().allMatch(DrillRecord.Target::pass));
    Records.write(repo, record);
    return record;
  }

  private DrillRecord.Objective objective(String target) {
    return plan.objectives() != null && plan.objectives().containsKey(target)
        ? plan.objectives().get(target)
        : plan.defaults();
  }

  private DrillRecord.Target missing(String target, String why) {
    return new DrillRecord.Target(
        target,
        null,
        null,
        null,
        null,
        0,
        null,
        objective(target),
        false,
        false,
        List.of(),
        List.of(why));
  }

  private DrillRecord.Target recover(String target, List<SnapshotRef> history) throws IOException {
    // The newest snapshot taken by the requested point: a later one already holds the damage.
    SnapshotRef ref = null;
    for (SnapshotRef r : history) {
      if (!r.time().toInstant().isAfter(plan.requestedPoint())) ref = r;
    }
    String kind = history.get(0).snapshot().kind();
    if (ref == null) {
      return new DrillRecord.Target(
          target,
          kind,
          null,
          null,
          null,
          0,
          null,
          objective(target),
          false,
          false,
          List.of(),
          List.of(
              "no snapshot of "
                  + target
                  + " was taken by the requested point "
                  + plan.requestedPoint()
                  + ": the oldest is from "
                  + history.get(0).snapshot().time()));
    }
    log(
        "recovering "
            + target
            + " from snapshot "
            + ref.id().shortHex()
            + " ("
            + kind
            + ", "
            + ref.snapshot().time()
            + ")");
    List<Check> checks = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    ScratchVerifyResult result = null;
    Instant ready;
    Scratch scratch = Scratch.open(plan.scratchBase());
    try {
      ScratchVerifyRequest.Options options =
          plan.kindOptions() == null ? null : plan.kindOptions().apply(ref, plan.requestedPoint());
      result =
          Sources.forKind(kind)
              .verifyInScratch(new ScratchVerifyRequest(repo, ref, scratch, options, null));
      checks.addAll(result.checks());
    } catch (RoadieException e) {
      if (e.code() == ErrorCode.USAGE) throw e;
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
    } catch (IOException e) {
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
    } finally {
      // The copy answered with verified data before the deeper scans and the tear-down: neither
      // is recovery time.
      ready = result != null && result.answeredAt() != null ? result.answeredAt() : Instant.now();
      List<String> left = scratch.tearDown();
      if (!left.isEmpty())
        notes.add("scratch space was not removed completely: " + String.join("; ", left));
    }
    boolean verified = checks.stream().noneMatch(Check::failed);
    double rto = ScratchDirectoryVerify.seconds(Duration.between(plan.start(), ready).toNanos());
    Double rpo = null;
    String recoveredTo = result == null ? null : result.recoveredTo();
    if (recoveredTo != null && verified) {
      Instant at = OffsetDateTime.parse(recoveredTo).toInstant();
      rpo =
          Math.max(
              0,
              ScratchDirectoryVerify.seconds(
                  Duration.between(at, plan.requestedPoint()).toNanos()));
    }
    DrillRecord.Objective o = objective(target);
    if (!verified) notes.add("the recovered copy did not verify: the recovery failed");
    if (rpo != null && rpo > o.rpoSeconds()) {
      notes.add(
          "recovery point objective missed: "
              + Age.text(Duration.ofSeconds(Math.round(rpo)))
              + " of data lost, "
              + "the objective is "
              + Age.text(Duration.ofSeconds(o.rpoSeconds())));
    }
    if (rto > o.rtoSeconds()) {
      notes.add(
          "recovery time objective missed: "
              + Age.text(Duration.ofSeconds(Math.round(rto)))
              + ", the objective "
              + "is "
              + Age.text(Duration.ofSeconds(o.rtoSeconds())));
    }
    boolean pass = verified && rpo != null && rpo <= o.rpoSeconds() && rto <= o.rtoSeconds();
    return new DrillRecord.Target(
        target,
        kind,
        ref.id().hex(),
        ref.snapshot().time(),
        recoveredTo,
        rto,
        rpo,
        o,
        verified,
        pass,
        checks,
        notes);
  }

  private void log(String line) {
    if (plan.log() != null) plan.log().accept(line);
  }
}
