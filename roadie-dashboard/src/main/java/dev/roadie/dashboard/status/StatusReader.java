package dev.roadie.dashboard.status;

import dev.roadie.core.Redact;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.json.Json;
import dev.roadie.core.prune.Pruner;
import dev.roadie.core.repo.DeletionPlan;
import dev.roadie.core.repo.Lease;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.RecoverableWindow;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.VerificationRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads the dashboard's status from a repository: targets from its snapshots, their verification
 * and drill records, the recoverable windows their sources report, and what a {@link
 * ScheduleProvider} adds. Read-only: it never writes to the repository. Thread-safe; one reader
 * serves every page view (it keeps the snapshots it has read, see {@link SnapshotCache}).
 */
public final class StatusReader implements AutoCloseable {
  /**
   * A backup older than its expected interval times this is late (amber): runs take time and start
   * with jitter.
   */
  static final double LATE = 1.25;

  /**
   * A backup older than twice its expected interval is too old (red), as the BackupTooOld alert
   * says.
   */
  static final double TOO_OLD = 2.0;

  /**
   * The snapshot history an interval is inferred from: the newest gaps, at least this many
   * snapshots.
   */
  static final int HISTORY_MIN = 3;

  static final int HISTORY_MAX = 21;

  /**
   * How the reader judges targets.
   *
   * @param expectedIntervals the expected interval per target name, as the caller knows it (a
   *     schedule's wins over it; without either, the snapshot history's median gap is used)
   * @param schedules the scheduler's view, or {@link ScheduleProvider#NONE}
   * @param secondRegion the repository copies go to, for the repository page's copy lag; or null
   */
  public record Options(
      Map<String, Duration> expectedIntervals,
      ScheduleProvider schedules,
      Clock clock,
      SecondRegion secondRegion) {
    public Options {
      expectedIntervals = Map.copyOf(expectedIntervals);
    }

    public Options(
        Map<String, Duration> expectedIntervals, ScheduleProvider schedules, Clock clock) {
      this(expectedIntervals, schedules, clock, null);
    }

    public static Options defaults() {
      return new Options(Map.of(), ScheduleProvider.NONE, Clock.systemUTC());
    }
  }

  /**
   * The second region's repository (the agent config's {@code secondRegion}), which the targets in
   * {@code targets} are copied to.
   *
   * @param location where it is, without credentials
   * @param opener opens it: on the first repository page view, and again after it failed
   */
  public record SecondRegion(String location, Opener opener, Set<String> targets) {
    public SecondRegion {
      targets = Set.copyOf(targets);
    }

    /** Opens the second region's repository (read-only use). */
    public interface Opener {
      Repository open() throws IOException;
    }
  }

  private final Repository repo;
  private final Options options;
  private final SnapshotCache cache;
  private final Object secondLock = new Object();
  private Repository second;
  private SnapshotCache secondCache;

  /**
   * The second region's last failure to open and when: it is tried again only after {@link
   * SnapshotCache#LISTING_TTL}, so an unreachable endpoint does not hold up every page view.
   */
  private String secondFailure;

  private long secondFailedAt;

  public StatusReader(Repository repo, Options options) {
    this.repo = repo;
    this.options = options;
    this.cache = new SnapshotCache(repo);
  }

  public Repository repository() {
    return repo;
  }

  /** The jobs running now, as the scheduler reports them (from memory; no repository read). */
  public List<ScheduleProvider.RunningJob> running() {
    return options.schedules().running();
  }

  /** Closes the second region's repository, if this reader opened it. */
  @Override
  public void close() throws IOException {
    synchronized (secondLock) {
      if (second != null) second.close();
      second = null;
      secondCache = null;
    }
  }

  /** Every target's status now. */
  public DashboardStatus read() throws IOException {
    Instant now = options.clock().instant();
    List<String> problems = new ArrayList<>();
    List<SnapshotRef> all = cache.refresh(problems);
    List<Records.Stored<VerificationRecord>> verifications = Records.verifications(repo, problems);
    List<Records.Stored<DrillRecord>> drills = Records.drills(repo, problems);
    Map<String, ScheduleProvider.Schedule> schedules = options.schedules().schedules();

    Grouped g = group(all);
    Map<String, List<SnapshotRef>> byTarget = new TreeMap<>(g.byTarget());
    Map<String, SnapshotRef> byId = g.byId();
    for (Map.Entry<String, ScheduleProvider.Schedule> e : schedules.entrySet()) {
      byTarget.putIfAbsent(key(e.getValue().kind(), e.getKey()), new ArrayList<>());
    }
    Map<String, List<Records.Stored<VerificationRecord>>> verifiedByTarget =
        verifications.stream()
            .collect(
                Collectors.groupingBy(
                    v -> key(v.record().kind(), v.record().target()),
                    LinkedHashMap::new,
                    Collectors.toList()));
    Map<String, List<TargetStatus.Drilled>> drilledByTarget = new LinkedHashMap<>();
    for (Records.Stored<DrillRecord> d : drills) {
      for (DrillRecord.Target t : d.record().targets()) {
        drilledByTarget
            .computeIfAbsent(key(t.kind(), t.target()), k -> new ArrayList<>())
            .add(new TargetStatus.Drilled(d.id().hex(), d.record(), t));
      }
    }
    Map<String, List<RecoverableWindow>> windows = windows(g, problems);

    List<TargetStatus> targets = new ArrayList<>();
    for (Map.Entry<String, List<SnapshotRef>> e : byTarget.entrySet()) {
      String[] kn = e.getKey().split("\u0000", 2);
      targets.add(
          target(
              kn[1],
              kn[0],
              e.getValue(),
              schedules.get(kn[1]),
              verifiedByTarget.getOrDefault(e.getKey(), List.of()),
              drilledByTarget.getOrDefault(e.getKey(), List.of()),
              windows.getOrDefault(e.getKey(), List.of()),
              now));
    }
    return new DashboardStatus(
        now,
        Redact.url(repo.backend().location()),
        repo.config().id(),
        targets,
        options.schedules().running(),
        byId,
        problems);
  }

  /** Snapshots by target (kind and name, in name order) and by id. */
  private record Grouped(
      List<SnapshotRef> of,
      Map<String, List<SnapshotRef>> byTarget,
      Map<String, SnapshotRef> byId,
      Map<String, List<SnapshotRef>> byKind,
      Map<String, String> targetOf) {}

  private volatile Grouped grouped;

  /**
   * The grouping of {@code all}, kept while the cache hands out the same list (no snapshot came or
   * went).
   */
  private Grouped group(List<SnapshotRef> all) {
    Grouped g = grouped;
    if (g != null && g.of() == all) return g;
    Map<String, List<SnapshotRef>> byTarget = new TreeMap<>();
    Map<String, SnapshotRef> byId = new HashMap<>(all.size() * 2);
    Map<String, List<SnapshotRef>> byKind = new TreeMap<>();
    Map<String, String> targetOf = new HashMap<>(all.size() * 2);
    for (SnapshotRef ref : all) {
      String key = key(ref.snapshot().kind(), ref.snapshot().target());
      byTarget.computeIfAbsent(key, k -> new ArrayList<>()).add(ref);
      byId.put(ref.id().hex(), ref);
      byKind.computeIfAbsent(ref.snapshot().kind(), k -> new ArrayList<>()).add(ref);
      targetOf.put(ref.id().hex(), key);
    }
    Map<String, List<SnapshotRef>> frozen = new TreeMap<>();
    byTarget.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    Map<String, List<SnapshotRef>> kinds = new TreeMap<>();
    byKind.forEach((k, v) -> kinds.put(k, List.copyOf(v)));
    g =
        new Grouped(
            all,
            Collections.unmodifiableMap(frozen),
            Collections.unmodifiableMap(byId),
            Collections.unmodifiableMap(kinds),
            Collections.unmodifiableMap(targetOf));
    grouped = g;
    return g;
  }

  private static String key(String kind, String target) {
    return kind + "\u0000" + target;
  }

  /** Each kind's provider reports the windows of its snapshots, in one call per kind. */
  private Map<String, List<RecoverableWindow>> windows(Grouped g, List<String> problems) {
    Map<String, List<SnapshotRef>> byKind = g.byKind();
    Map<String, String> targetOf = g.targetOf();
    Map<String, List<RecoverableWindow>> out = new HashMap<>();
    for (Map.Entry<String, List<SnapshotRef>> e : byKind.entrySet()) {
      if (!Sources.kinds().contains(e.getKey())) continue;
      SourceProvider provider = Sources.forKind(e.getKey());
      try {
        for (RecoverableWindow w : provider.recoverableWindows(repo, e.getValue())) {
          String target = targetOf.get(w.snapshot());
          if (target != null) out.computeIfAbsent(target, k -> new ArrayList<>()).add(w);
        }
      } catch (IOException | RuntimeException ex) {
        problems.add(
            "the recoverable windows of the "
                + e.getKey()
                + " snapshots could not be read: "
                + Redact.url(ex.getMessage()));
      }
    }
    for (List<RecoverableWindow> l : out.values())
      l.sort(Comparator.comparing(w -> Instant.parse(w.from())));
    return out;
  }

  private TargetStatus target(
      String name,
      String kind,
      List<SnapshotRef> snapshots,
      ScheduleProvider.Schedule schedule,
      List<Records.Stored<VerificationRecord>> verifications,
      List<TargetStatus.Drilled> drills,
      List<RecoverableWindow> windows,
      Instant now) {
    SnapshotRef last = snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    Instant lastTime = last == null ? null : last.time().toInstant();
    Duration age = last == null ? null : Duration.between(lastTime, now);
    TargetStatus.Expected expected = expected(name, snapshots, schedule);
    List<String> reasons = new ArrayList<>();
    Health health = expected == null ? Health.UNKNOWN : Health.OK;

    if (last == null) {
      health = Health.FAIL;
      reasons.add("never backed up");
    }
    if (schedule != null
        && schedule.lastFailure() != null
        && (lastTime == null || schedule.lastFailure().at().isAfter(lastTime))) {
      health = Health.FAIL;
      reasons.add(
          "the last run failed at "
              + schedule.lastFailure().at()
              + ": "
              + Redact.url(schedule.lastFailure().error()));
    }
    if (age != null && expected != null && !expected.interval().isZero()) {
      double ratio = (double) age.toMillis() / expected.interval().toMillis();
      if (ratio > TOO_OLD) {
        health = Health.FAIL;
        reasons.add(
            "the last backup is "
                + Durations.words(age)
                + " old, more than twice the expected interval of "
                + Durations.words(expected.interval()));
      } else if (ratio > LATE) {
        health = health.worst(Health.WARN);
        reasons.add(
            "the last backup is late: "
                + Durations.words(age)
                + " old, the expected interval is "
                + Durations.words(expected.interval()));
      }
    }
    Records.Stored<VerificationRecord> v =
        verifications.isEmpty() ? null : verifications.get(verifications.size() - 1);
    if (v != null && !v.record().passed()) {
      health = Health.FAIL;
      String failed =
          v.record().checks().stream()
              .filter(Check::failed)
              .map(c -> c.name() + (c.summary() == null ? "" : " (" + c.summary() + ")"))
              .collect(Collectors.joining("; "));
      reasons.add(
          "verification of snapshot "
              + shortId(v.record().snapshot())
              + " "
              + v.record().result()
              + " at "
              + v.record().finished()
              + (failed.isEmpty() ? "" : ": " + Redact.url(failed)));
    }
    TargetStatus.Drilled d = drills.isEmpty() ? null : drills.get(drills.size() - 1);
    if (d != null && !d.target().pass()) {
      health = health.worst(Health.WARN);
      reasons.add(
          "the last drill ("
              + d.drill().scenario()
              + ", "
              + d.drill().finished()
              + ") missed this target's "
              + "objectives or could not verify it");
    }
    RecoverableWindow newestWindow = windows.isEmpty() ? null : windows.get(windows.size() - 1);
    if (newestWindow != null && !newestWindow.complete()) {
      health = Health.FAIL;
      reasons.add(
          "the newest base backup cannot be restored from this repository"
              + (newestWindow.note() != null ? ": " + newestWindow.note() : ""));
    } else if (newestWindow != null && newestWindow.gapAt() != null) {
      health = health.worst(Health.WARN);
      reasons.add(
          newestWindow.note() != null
              ? newestWindow.note()
              : "the archived WAL has a gap at " + newestWindow.gapAt());
    }
    Duration rpo = null;
    if (last != null) {
      Instant newestPoint = lastTime;
      for (RecoverableWindow w : windows) {
        if (w.complete() && Instant.parse(w.to()).isAfter(newestPoint))
          newestPoint = Instant.parse(w.to());
      }
      rpo = Duration.between(newestPoint, now);
      if (rpo.isNegative()) rpo = Duration.ZERO;
    }
    Duration rpoObjective =
        schedule != null && schedule.rpoObjective() != null
            ? schedule.rpoObjective()
            : d != null && d.target().objective() != null
                ? Duration.ofSeconds(d.target().objective().rpoSeconds())
                : null;
    if (rpo != null && rpoObjective != null && rpo.compareTo(rpoObjective) > 0) {
      health = health.worst(Health.WARN);
      reasons.add(
          "data since "
              + Durations.words(rpo)
              + " ago would be lost now, more than the objective of "
              + Durations.words(rpoObjective));
    }
    return new TargetStatus(
        name,
        kind,
        health,
        reasons,
        snapshots,
        age,
        expected,
        schedule,
        verifications,
        drills,
        windows,
        rpo,
        rpoObjective);
  }

  /** The schedule's interval, else the caller's, else the median gap of the newest snapshots. */
  private TargetStatus.Expected expected(
      String name, List<SnapshotRef> snapshots, ScheduleProvider.Schedule s) {
    if (s != null && s.expectedInterval() != null)
      return new TargetStatus.Expected(s.expectedInterval(), "schedule");
    Duration given = options.expectedIntervals().get(name);
    if (given != null) return new TargetStatus.Expected(given, "given");
    if (snapshots.size() < HISTORY_MIN) return null;
    List<Long> gaps = new ArrayList<>();
    int from = Math.max(1, snapshots.size() - HISTORY_MAX + 1);
    for (int i = from; i < snapshots.size(); i++) {
      OffsetDateTime a = snapshots.get(i - 1).time();
      OffsetDateTime b = snapshots.get(i).time();
      gaps.add(Duration.between(a, b).toMillis());
    }
    gaps.sort(null);
    long median = gaps.get(gaps.size() / 2);
    if (median <= 0) return null;
    return new TargetStatus.Expected(Duration.ofMillis(median), "history");
  }

  static String shortId(String hex) {
    return hex == null ? "?" : hex.substring(0, Math.min(8, hex.length()));
  }

  /** What the repository page shows: stored bytes, deduplication, leases, deletion plans. */
  public RepositoryFacts repositoryFacts() throws IOException {
    Instant now = options.clock().instant();
    List<String> problems = new ArrayList<>();
    Map<String, Long> bytes = new LinkedHashMap<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    long stored = 0;
    for (ObjectKind k : ObjectKind.values()) {
      long b = 0;
      List<ObjectInfo> objects = repo.backend().list(k);
      for (ObjectInfo o : objects) b += o.size();
      bytes.put(k.directory(), b);
      counts.put(k.directory(), (long) objects.size());
      stored += b;
    }
    List<SnapshotRef> all = cache.refresh(problems);
    long source = 0;
    for (SnapshotRef r : all) {
      if (r.snapshot().stats() != null) source += r.snapshot().stats().bytesRead();
    }
    List<RepositoryFacts.LeaseInfo> leases = new ArrayList<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.LEASE)) {
      try {
        Lease.Record r =
            Json.read(
                repo.readSealed(info.name()), Lease.Record.class, "lease " + info.name().id());
        leases.add(
            new RepositoryFacts.LeaseInfo(
                r.host(),
                r.pid(),
                r.operation(),
                Instant.parse(r.started()),
                Instant.parse(r.refreshed()),
                Lease.fresh(r, now)));
      } catch (dev.roadie.core.backend.NoSuchObjectException e) {
        // released since the listing
      } catch (IOException | RuntimeException e) {
        problems.add(
            "lease "
                + StatusReader.shortId(info.name().id())
                + " is unreadable: "
                + e.getMessage());
      }
    }
    leases.sort(Comparator.comparing(RepositoryFacts.LeaseInfo::started));
    List<RepositoryFacts.PlanInfo> plans = new ArrayList<>();
    try {
      for (DeletionPlan p : DeletionPlan.readAll(repo)) {
        plans.add(
            new RepositoryFacts.PlanInfo(
                p.id().hex(),
                p.created(),
                p.packs().size(),
                p.snapshots().size(),
                p.created().plus(Pruner.DEFAULT_GRACE)));
      }
    } catch (IOException | RuntimeException e) {
      problems.add("the deletion plans are unreadable: " + e.getMessage());
    }
    double ratio = stored == 0 ? 0 : (double) source / stored;
    return new RepositoryFacts(
        Redact.url(repo.backend().location()),
        repo.config().id(),
        repo.config().version(),
        stored,
        bytes,
        counts,
        all.size(),
        source,
        ratio,
        leases,
        plans,
        copyLag(all),
        problems);
  }

  /**
   * The second region's copy of each copied target against its newest snapshot here. A copy keeps
   * its original's time and records its origin ({@link SnapshotCopier#origin}), which is how {@code
   * roadie copy} knows what the destination holds; the second region's snapshots are kept between
   * views like this repository's ({@link SnapshotCache}).
   */
  private CopyLag copyLag(List<SnapshotRef> here) {
    SecondRegion region = options.secondRegion();
    if (region == null) return null;
    List<String> problems = new ArrayList<>();
    List<SnapshotRef> there;
    dev.roadie.core.Id secondId;
    synchronized (secondLock) {
      if (second == null
          && secondFailure != null
          && System.nanoTime() - secondFailedAt < SnapshotCache.LISTING_TTL.toNanos()) {
        return new CopyLag(region.location(), List.of(), List.of(secondFailure));
      }
      try {
        if (second == null) {
          second = region.opener().open();
          secondCache = new SnapshotCache(second);
          secondFailure = null;
        }
        there = secondCache.refresh(problems);
        secondId = second.config().repositoryId();
      } catch (IOException | RuntimeException e) {
        try {
          close();
        } catch (IOException | RuntimeException ignored) {
          // it could not be read; closing what was opened of it is all that is left to try
        }
        secondFailure = "could not be read: " + Redact.url(String.valueOf(e.getMessage()));
        secondFailedAt = System.nanoTime();
        return new CopyLag(region.location(), List.of(), List.of(secondFailure));
      }
    }
    Set<SnapshotCopier.Origin> copied = new HashSet<>();
    Map<String, SnapshotRef> newestThere = new HashMap<>();
    for (SnapshotRef r : there) {
      copied.add(SnapshotCopier.origin(r, secondId));
      newestThere.put(key(r.snapshot().kind(), r.snapshot().target()), r); // oldest first
    }
    Map<String, SnapshotRef> newestHere = new TreeMap<>();
    for (SnapshotRef r : here) {
      if (region.targets().contains(r.snapshot().target()))
        newestHere.put(key(r.snapshot().kind(), r.snapshot().target()), r);
    }
    dev.roadie.core.Id hereId = repo.config().repositoryId();
    List<CopyLag.Target> targets = new ArrayList<>();
    for (Map.Entry<String, SnapshotRef> e : newestHere.entrySet()) {
      SnapshotRef newest = e.getValue();
      SnapshotRef copy = newestThere.get(e.getKey());
      targets.add(
          new CopyLag.Target(
              newest.snapshot().target(),
              newest.snapshot().kind(),
              newest.time().toInstant(),
              copy == null ? null : copy.time().toInstant(),
              copied.contains(SnapshotCopier.origin(newest, hereId))));
    }
    return new CopyLag(region.location(), targets, problems);
  }
}
