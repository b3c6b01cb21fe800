package dev.roadie.agent.metrics;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.RecoverableWindow;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.core.verify.VerificationRecord;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's Prometheus metrics (docs/agent.md lists each). They are rebuilt from the repository
 * at start ({@link #rebuild}: snapshots, run records, verification and drill records), so that a
 * restarted agent, or {@code roadie agent --metrics-only} beside CronJobs, reports the truth,
 * failures included; then updated as the agent's own jobs end.
 *
 * <p>Every per-target metric has the labels {@code target} and {@code kind}.
 */
public final class AgentMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Clock clock;
  private final Map<String, TargetState> targets = new ConcurrentHashMap<>();

  private final Gauge lastSuccess;
  private final Gauge lastStatus;
  private final Histogram duration;
  private final Gauge readBytes;
  private final Gauge addedBytes;
  private final Gauge expectedInterval;
  private final Counter backups;
  private final Counter skipped;
  private final Gauge verifyLastSuccess;
  private final Gauge verifyLastStatus;
  private final Gauge drillRto;
  private final Gauge drillRpo;
  private final Gauge storedBytes;

  /** What the RPO and the status API need of a target. */
  private static final class TargetState {
    final String kind;

    /** The newest snapshot's time, and the snapshot (its id; the snapshot once read). */
    volatile Instant newestPoint;

    volatile String newestId;
    volatile SnapshotRef newestRef;

    /**
     * The newest moment the newest snapshot restores to with the repository's side objects (its
     * recoverable window's end: a physical base backup and the WAL archived after it), or null.
     */
    volatile Instant windowEnd;

    volatile Instant lastRun;
    volatile Boolean lastOk;
    volatile String lastError;

    TargetState(String kind) {
      this.kind = kind;
    }
  }

  public AgentMetrics(Clock clock, String version) {
    this.clock = clock;
    String[] tk = {"target", "kind"};
    lastSuccess =
        Gauge.builder()
            .name("roadie_backup_last_success_timestamp_seconds")
            .help("Time of the target's newest successful backup (Unix seconds).")
            .labelNames(tk)
            .register(registry);
    lastStatus =
        Gauge.builder()
            .name("roadie_backup_last_status")
            .help("1 if the target's last backup job succeeded, 0 if it failed.")
            .labelNames(tk)
            .register(registry);
    duration =
        Histogram.builder()
            .name("roadie_backup_duration_seconds")
            .help("Duration of backup jobs.")
            .classicOnly()
            .classicUpperBounds(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)
            .labelNames(tk)
            .register(registry);
    readBytes =
        Gauge.builder()
            .name("roadie_backup_read_bytes")
            .help("Bytes the target's newest backup read from the source.")
            .labelNames(tk)
            .register(registry);
    addedBytes =
        Gauge.builder()
            .name("roadie_backup_added_bytes")
            .help(
                "Bytes the target's newest backup added to the repository (after deduplication and compression).")
            .labelNames(tk)
            .register(registry);
    expectedInterval =
        Gauge.builder()
            .name("roadie_backup_expected_interval_seconds")
            .help("The longest gap between two backups that the target's schedule allows.")
            .labelNames(tk)
            .register(registry);
    backups =
        Counter.builder()
            .name("roadie_backups_total")
            .help("Backup jobs run, by result (success, failure).")
            .labelNames("target", "kind", "result")
            .register(registry);
    skipped =
        Counter.builder()
            .name("roadie_backups_skipped_total")
            .help(
                "Scheduled runs skipped because the target's previous run was still going (concurrency policy Forbid).")
            .labelNames(tk)
            .register(registry);
    verifyLastSuccess =
        Gauge.builder()
            .name("roadie_verify_last_success_timestamp_seconds")
            .help("Time the target's newest passing verification finished (Unix seconds).")
            .labelNames(tk)
            .register(registry);
    verifyLastStatus =
        Gauge.builder()
            .name("roadie_verify_last_status")
            .help("1 if the target's newest verification passed, 0 if it failed.")
            .labelNames(tk)
            .register(registry);
    drillRto =
        Gauge.builder()
            .name("roadie_drill_rto_seconds")
            .help("Recovery time the target's newest drill measured.")
            .labelNames(tk)
            .register(registry);
    drillRpo =
        Gauge.builder()
            .name("roadie_drill_rpo_seconds")
            .help("Data loss (recovery point) the target's newest drill measured.")
            .labelNames(tk)
            .register(registry);
    GaugeWithCallback.builder()
        .name("roadie_rpo_seconds")
        .help(
            "Now minus the target's newest recoverable point (its newest snapshot, or the newest"
                + " archived WAL after it).")
        .labelNames(tk)
        .callback(
            cb -> {
              Instant now = clock.instant();
              targets.forEach(
                  (name, s) -> {
                    Instant point = recoverablePoint(s);
                    if (point != null) {
                      cb.call(Duration.between(point, now).toMillis() / 1000.0, name, s.kind);
                    }
                  });
            })
        .register(registry);
    storedBytes =
        Gauge.builder()
            .name("roadie_repository_stored_bytes")
            .help("Bytes of packs stored in the repository.")
            .register(registry);
    Gauge.builder()
        .name("roadie_build_info")
        .help("roadie's version.")
        .labelNames("version")
        .register(registry)
        .labelValues(version)
        .set(1);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** The text exposition of every metric (what {@code /metrics} serves). */
  public void write(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
  }

  public String text() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private TargetState state(String target, String kind) {
    return targets.computeIfAbsent(target, t -> new TargetState(kind));
  }

  /** The configured targets' expected intervals. */
  public void configure(AgentConfig config) {
    for (TargetConfig t : config.targets()) {
      state(t.name(), t.kind());
      if (t.expectedInterval() != null) {
        expectedInterval.labelValues(t.name(), t.kind()).set(t.expectedInterval().toSeconds());
      }
    }
  }

  /**
   * Rebuilds everything from the repository: the newest snapshot of each target (its time, bytes
   * and the RPO), every run record (counts, durations, the last status), the newest verification
   * and drill of each target, and the packs' size. Unreadable records are passed over and returned.
   */
  public List<String> rebuild(Repository repo) throws IOException {
    List<String> problems = new ArrayList<>();
    for (SnapshotRef s :
        repo.snapshots(problems)) { // oldest first: the newest of a target is set last
      Snapshot snap = s.snapshot();
      if (snap.target() == null) continue;
      TargetState st = state(snap.target(), snap.kind());
      Instant t = s.time().toInstant();
      if (st.newestPoint == null || t.isAfter(st.newestPoint)) {
        st.newestPoint = t;
        st.newestId = s.id().hex();
        st.newestRef = s;
        if (snap.stats() != null) {
          readBytes.labelValues(snap.target(), snap.kind()).set(snap.stats().bytesRead());
          addedBytes.labelValues(snap.target(), snap.kind()).set(snap.stats().bytesAdded());
        }
        setMax(lastSuccess, snap.target(), snap.kind(), t);
        if (st.lastOk == null) lastStatus.labelValues(snap.target(), snap.kind()).set(1);
      }
    }
    for (Records.Stored<RunRecord> r : Records.runs(repo, problems)) {
      record(r.record(), false);
    }
    for (Records.Stored<VerificationRecord> v : Records.verifications(repo, problems)) {
      verification(v.record());
    }
    for (Records.Stored<DrillRecord> d : Records.drills(repo, problems)) {
      drill(d.record());
    }
    problems.addAll(recoverableWindows(repo));
    storedBytes(repo);
    return problems;
  }

  /**
   * Works out how far each target's newest snapshot restores with the side objects the repository
   * holds now (for a physical PostgreSQL base backup: up to the newest WAL archived after it), by
   * the kinds' own {@link SourceProvider#recoverableWindows}, as listings and the dashboard show
   * it. Read-only: one call per kind, which lists its side objects once. Returns what could not be
   * worked out (the target's point is then its snapshot's time).
   */
  public List<String> recoverableWindows(Repository repo) {
    List<String> problems = new ArrayList<>();
    Map<String, List<SnapshotRef>> byKind = new java.util.HashMap<>();
    Map<String, TargetState> ofSnapshot = new java.util.HashMap<>();
    targets.forEach(
        (name, st) -> {
          String id = st.newestId;
          if (id == null) return;
          SnapshotRef ref = st.newestRef;
          if (ref == null || !ref.id().hex().equals(id)) {
            try {
              ref = repo.readSnapshot(dev.roadie.core.Id.parse(id));
            } catch (IOException | RuntimeException e) {
              // Forgotten since (retention): the next job or rebuild names the newest again.
              problems.add(name + ": snapshot " + id + " cannot be read: " + e.getMessage());
              return;
            }
            st.newestRef = ref;
          }
          byKind.computeIfAbsent(st.kind, k -> new ArrayList<>()).add(ref);
          ofSnapshot.put(id, st);
        });
    Map<TargetState, Instant> ends = new java.util.HashMap<>();
    for (Map.Entry<String, List<SnapshotRef>> e : byKind.entrySet()) {
      if (!Sources.kinds().contains(e.getKey())) continue;
      try {
        for (RecoverableWindow w :
            Sources.forKind(e.getKey()).recoverableWindows(repo, e.getValue())) {
          TargetState st = ofSnapshot.get(w.snapshot());
          // A window the repository cannot restore (its own WAL missing) recovers nothing.
          if (st != null && w.complete())
            ends.merge(st, Instant.parse(w.to()), (a, b) -> a.isAfter(b) ? a : b);
        }
      } catch (IOException | RuntimeException ex) {
        problems.add(
            "the recoverable windows of the "
                + e.getKey()
                + " snapshots could not be read: "
                + ex.getMessage());
        for (SnapshotRef ref : e.getValue()) ends.putIfAbsent(ofSnapshot.get(ref.id().hex()), null);
      }
    }
    for (TargetState st : ofSnapshot.values()) {
      if (!ends.containsKey(st)) st.windowEnd = null;
      else if (ends.get(st) != null) st.windowEnd = ends.get(st);
    }
    return problems;
  }

  /** The newest point a target can be restored to: its snapshot's time or its window's end. */
  private static Instant recoverablePoint(TargetState s) {
    Instant snapshot = s.newestPoint;
    Instant window = s.windowEnd;
    if (snapshot == null) return window;
    return window != null && window.isAfter(snapshot) ? window : snapshot;
  }

  /** The size of the repository's packs. */
  public void storedBytes(Repository repo) throws IOException {
    storedBytes(repo.backend());
  }

  /** The size of the packs of the repository at {@code backend} (a listing: no password needed). */
  public void storedBytes(dev.roadie.core.backend.Backend backend) throws IOException {
    long sum = 0;
    for (ObjectInfo i : backend.list(ObjectKind.PACK)) sum += i.size();
    storedBytes.set(sum);
  }

  /** A job that just ended. */
  public void record(RunRecord r) {
    record(r, true);
  }

  private void record(RunRecord r, boolean live) {
    TargetState st = state(r.target(), r.kind());
    Instant finished = Instant.parse(r.finished());
    if (st.lastRun != null && finished.isBefore(st.lastRun)) {
      // An older record read after a newer one: it counts, but does not set the status.
      count(r);
      return;
    }
    count(r);
    st.lastRun = finished;
    st.lastOk = r.succeeded();
    st.lastError = r.error();
    lastStatus.labelValues(r.target(), r.kind()).set(r.succeeded() ? 1 : 0);
    if (r.snapshot() != null && r.snapshotTime() != null) {
      Instant t = OffsetDateTime.parse(r.snapshotTime()).toInstant();
      if (st.newestPoint == null || t.isAfter(st.newestPoint)) {
        st.newestPoint = t;
        st.newestId = r.snapshot();
        st.newestRef = null;
        st.windowEnd = null; // the older snapshot's window; the next refresh works out this one's
      }
      if (r.readBytes() != null) readBytes.labelValues(r.target(), r.kind()).set(r.readBytes());
      if (r.addedBytes() != null) addedBytes.labelValues(r.target(), r.kind()).set(r.addedBytes());
    }
    if (r.succeeded())
      setMax(
          lastSuccess,
          r.target(),
          r.kind(),
          r.snapshotTime() != null ? OffsetDateTime.parse(r.snapshotTime()).toInstant() : finished);
  }

  private void count(RunRecord r) {
    backups.labelValues(r.target(), r.kind(), r.succeeded() ? "success" : "failure").inc();
    Duration d = Duration.between(Instant.parse(r.started()), Instant.parse(r.finished()));
    duration.labelValues(r.target(), r.kind()).observe(d.toMillis() / 1000.0);
  }

  /** A scheduled run not started because the previous one was still going. */
  public void skipped(String target, String kind) {
    skipped.labelValues(target, kind).inc();
  }

  public void verification(VerificationRecord v) {
    if (v.target() == null) return;
    verifyLastStatus.labelValues(v.target(), v.kind()).set(v.passed() ? 1 : 0);
    if (v.passed()) setMax(verifyLastSuccess, v.target(), v.kind(), Instant.parse(v.finished()));
  }

  public void drill(DrillRecord d) {
    for (DrillRecord.Target t : d.targets()) {
      drillRto.labelValues(t.target(), t.kind()).set(t.rtoSeconds());
      if (t.rpoSeconds() != null) drillRpo.labelValues(t.target(), t.kind()).set(t.rpoSeconds());
    }
  }

  private static void setMax(Gauge g, String target, String kind, Instant t) {
    var dp = g.labelValues(target, kind);
    double v = t.toEpochMilli() / 1000.0;
    if (v > dp.get()) dp.set(v);
  }

  /**
   * A target's state for the status API: {@code newestPoint} is its newest snapshot's time, {@code
   * recoverablePoint} the newest moment it can be restored to (later with archived WAL), from which
   * {@code rpoSeconds} is counted.
   */
  public record Status(
      String target,
      String kind,
      Instant lastRun,
      Boolean lastOk,
      String lastError,
      Instant newestPoint,
      Instant recoverablePoint,
      Double rpoSeconds) {}

  public List<Status> status() {
    Instant now = clock.instant();
    List<Status> out = new ArrayList<>();
    targets.forEach(
        (name, s) -> {
          Instant point = recoverablePoint(s);
          out.add(
              new Status(
                  name,
                  s.kind,
                  s.lastRun,
                  s.lastOk,
                  s.lastError,
                  s.newestPoint,
                  point,
                  point == null ? null : Duration.between(point, now).toMillis() / 1000.0));
        });
    out.sort(java.util.Comparator.comparing(Status::target));
    return out;
  }
}
