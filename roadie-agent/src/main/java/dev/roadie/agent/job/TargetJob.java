package dev.roadie.agent.job;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.retention.Retention;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.core.verify.VerificationRecord;
import dev.roadie.core.verify.Verifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One job of one target, exactly as the agent runs it and {@code roadie run} runs it once: the
 * backup, then the retention, copy and verification its config asks for, then the run record that
 * says how it went (written also when the job failed, unless the repository itself cannot be
 * reached). Retriable failures (a transient storage or network error) are tried again with backoff;
 * others fail at once.
 */
public final class TargetJob {
  private final AgentConfig config;
  private final Clock clock;
  private final Consumer<String> log;
  private final Sleeper sleeper;
  private final Set<Running> running = ConcurrentHashMap.newKeySet();

  /**
   * A job running now: its target, when it started, the step it is in and the counters its backup
   * updates ({@link Progress}, the same the CLI's progress line reads). Reading them costs nothing
   * to the job.
   */
  public static final class Running {
    private final TargetConfig target;
    private final Instant started;
    private volatile Progress progress = new Progress();
    private volatile String step = "backup";

    Running(TargetConfig target, Instant started) {
      this.target = target;
      this.started = started;
    }

    public TargetConfig target() {
      return target;
    }

    public Instant started() {
      return started;
    }

    /** {@code backup}, {@code retention}, {@code copy} or {@code verify}. */
    public String step() {
      return step;
    }

    /** The counters of the current try's backup. */
    public Progress progress() {
      return progress;
    }
  }

  /** Waits between tries; the scheduler's tests pass one that does not sleep. */
  public interface Sleeper {
    void sleep(java.time.Duration d) throws InterruptedException;
  }

  public TargetJob(AgentConfig config, Clock clock, Consumer<String> log, Sleeper sleeper) {
    this.config = config;
    this.clock = clock;
    this.log = log;
    this.sleeper = sleeper;
  }

  public TargetJob(AgentConfig config, Consumer<String> log) {
    this(config, Clock.systemUTC(), log, d -> Thread.sleep(d.toMillis()));
  }

  /**
   * Runs the job for {@code target} and returns its record, stored in the repository when it could
   * be reached. Never throws for a failure of the job itself: the record carries it.
   */
  public RunRecord run(TargetConfig target, String trigger) throws InterruptedException {
    Instant started = clock.instant();
    Running now = new Running(target, started);
    running.add(now);
    try {
      return run(target, trigger, started, now);
    } finally {
      running.remove(now);
    }
  }

  /** The jobs running now, oldest first. */
  public List<Running> running() {
    List<Running> out = new ArrayList<>(running);
    out.sort(java.util.Comparator.comparing(Running::started));
    return out;
  }

  private RunRecord run(TargetConfig target, String trigger, Instant started, Running now)
      throws InterruptedException {
    int attempt = 0;
    while (true) {
      attempt++;
      now.progress = new Progress();
      now.step = "backup";
      Attempt a = attempt(target, now);
      boolean retriable =
          a.error instanceof RoadieException.Retriable
              || (a.error instanceof RoadieException r && r.code() == ErrorCode.TEMPORARY);
      if (a.error == null
          || !retriable
          || a.snapshot != null
          || attempt >= config.retry().attempts()) {
        RunRecord record = record(target, trigger, started, attempt, a);
        store(record);
        return record;
      }
      java.time.Duration wait = config.retry().delayAfter(attempt);
      log.accept(
          target.name()
              + ": "
              + message(a.error)
              + "; trying again in "
              + wait.toSeconds()
              + "s (try "
              + (attempt + 1)
              + " of "
              + config.retry().attempts()
              + ")");
      sleeper.sleep(wait);
    }
  }

  /**
   * What one try did: the snapshot (if one was written), the steps after it, and the first error.
   */
  private static final class Attempt {
    SnapshotRef snapshot;
    final List<RunRecord.Step> steps = new ArrayList<>();
    Throwable error;
    String failedStep;
  }

  private Attempt attempt(TargetConfig target, Running now) {
    Attempt a = new Attempt();
    if (target.options() == null) {
      a.error =
          new RoadieException(
              ErrorCode.USAGE, target.name() + ": the target's options are not valid");
      return a;
    }
    try (Repository repo = RepositoryOpener.open(config.repository())) {
      BackupRequest request =
          new BackupRequest(
              repo,
              target.kind(),
              target.options(),
              target.name(),
              target.tags(),
              null,
              null,
              now.progress);
      BackupResult result = Sources.backup(request);
      a.snapshot = result.snapshot();
      log.accept(
          target.name()
              + ": snapshot "
              + a.snapshot.id().shortHex()
              + " saved ("
              + Sources.summary(a.snapshot.snapshot())
              + ")");
      now.step = "retention";
      step(a, "retention", () -> retention(repo, target));
      now.step = "copy";
      step(a, "copy", () -> copy(repo, target, a.snapshot));
      now.step = "verify";
      step(a, "verify", () -> verify(repo, target, a.snapshot));
    } catch (IOException | RuntimeException e) {
      if (a.error == null) a.error = e;
    }
    return a;
  }

  private interface Step {
    /** What the step did, or null when it was not asked for. */
    String run() throws IOException;
  }

  private void step(Attempt a, String name, Step step) {
    try {
      String summary = step.run();
      if (summary != null) a.steps.add(new RunRecord.Step(name, RunRecord.SUCCESS, summary));
    } catch (IOException | RuntimeException e) {
      a.steps.add(new RunRecord.Step(name, RunRecord.FAILURE, message(e)));
      if (a.error == null) {
        a.error = e;
        a.failedStep = name;
      }
      log.accept(target(a) + name + " failed: " + message(e));
    }
  }

  private static String target(Attempt a) {
    return a.snapshot == null ? "" : a.snapshot.snapshot().target() + ": ";
  }

  /**
   * Forgets the target's snapshots that its retention does not keep, and the side objects no
   * snapshot needs.
   */
  private String retention(Repository repo, TargetConfig target) throws IOException {
    if (target.retention() == null) return null;
    List<SnapshotRef> all = repo.snapshots(null);
    List<Retention.Item<SnapshotRef>> group = new ArrayList<>();
    for (SnapshotRef s : all) {
      Snapshot snap = s.snapshot();
      if (target.name().equals(snap.target()) && target.kind().equals(snap.kind())) {
        group.add(new Retention.Item<>(s, s.time(), snap.tags()));
      }
    }
    Retention.Decision<SnapshotRef> d = Retention.apply(target.retention(), group);
    Set<dev.roadie.core.Id> gone = new HashSet<>();
    for (SnapshotRef s : d.remove()) {
      repo.backend().delete(ObjectName.of(ObjectKind.SNAPSHOT, s.id().hex()));
      gone.add(s.id());
    }
    List<SnapshotRef> remaining = all.stream().filter(s -> !gone.contains(s.id())).toList();
    for (SourceProvider source : Sources.all()) {
      for (SideObjects.Removed x : source.forget(new SideObjects.Forget(repo, remaining, false))) {
        log.accept(
            target.name()
                + ": removed "
                + x.what()
                + ": "
                + x.objects()
                + " "
                + x.unit()
                + " "
                + x.reason());
      }
    }
    return "kept " + Plural.count(d.keep().size(), "snapshot") + ", removed " + d.remove().size();
  }

  private String copy(Repository repo, TargetConfig target, SnapshotRef snapshot)
      throws IOException {
    if (!target.copy() || config.copyTo() == null) return null;
    try (Repository to = RepositoryOpener.open(config.copyTo())) {
      SnapshotCopier.Result r =
          new SnapshotCopier(repo, to, msg -> log.accept(target.name() + ": copy: " + msg))
              .copy(List.of(snapshot));
      return r.copied().isEmpty()
          ? "already in " + config.copyTo().location()
          : "copied to "
              + config.copyTo().location()
              + " as "
              + r.copied().get(0).to().substring(0, 8);
    }
  }

  private String verify(Repository repo, TargetConfig target, SnapshotRef snapshot)
      throws IOException {
    if (target.verify() == null || !target.verify().afterBackup()) return null;
    VerificationRecord v = verifySnapshot(repo, snapshot, log);
    if (!v.passed()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "verification of snapshot " + snapshot.id().shortHex() + ": " + v.result());
    }
    return "snapshot " + snapshot.id().shortHex() + " verified: " + v.result();
  }

  /**
   * Verifies one snapshot in scratch space with its kind's default scratch options; the record is
   * stored.
   */
  public static VerificationRecord verifySnapshot(
      Repository repo, SnapshotRef snapshot, Consumer<String> log) throws IOException {
    Verifier.Options o = new Verifier.Options(null, null, ref -> null, null, log);
    return new Verifier(repo, o).run(List.of(snapshot), repo.snapshots(null)).get(0);
  }

  private RunRecord record(
      TargetConfig target, String trigger, Instant started, int attempts, Attempt a) {
    String error = null;
    String code = null;
    if (a.error != null) {
      error = (a.failedStep != null ? a.failedStep + " failed: " : "") + message(a.error);
      code = a.error instanceof RoadieException r ? r.code().name() : ErrorCode.FAILURE.name();
    }
    Snapshot s = a.snapshot == null ? null : a.snapshot.snapshot();
    return new RunRecord(
        RunRecord.VERSION,
        target.name(),
        target.kind(),
        Hosts.host(),
        trigger,
        iso(started),
        iso(clock.instant()),
        a.error == null ? RunRecord.SUCCESS : RunRecord.FAILURE,
        error,
        code,
        attempts,
        a.snapshot == null ? null : a.snapshot.id().hex(),
        s == null ? null : s.time(),
        s == null || s.stats() == null ? null : s.stats().bytesRead(),
        s == null || s.stats() == null ? null : s.stats().bytesAdded(),
        a.steps);
  }

  /**
   * Stores the record; a repository that cannot be reached loses it (the metrics still count the
   * run).
   */
  private void store(RunRecord record) {
    try (Repository repo = RepositoryOpener.open(config.repository())) {
      Records.write(repo, record);
    } catch (IOException | RuntimeException e) {
      log.accept(record.target() + ": the run record could not be stored: " + message(e));
    }
  }

  static String iso(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
  }

  /**
   * A failure's message for people: roadie's own, or what failed on a file; never a stack trace.
   */
  public static String message(Throwable t) {
    if (t instanceof UncheckedIOException u) t = u.getCause();
    if (t instanceof RoadieException r) return r.getMessage();
    if (t instanceof IOException io) return FileFailure.describe(io);
    return t.toString();
  }

  /** The time of a record as an instant. */
  public static OffsetDateTime time(String iso) {
    return OffsetDateTime.parse(iso).withOffsetSameInstant(ZoneOffset.UTC);
  }
}
