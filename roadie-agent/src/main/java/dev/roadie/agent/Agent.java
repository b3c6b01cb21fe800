package dev.roadie.agent;

import com.sun.net.httpserver.HttpHandler;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.Schedule;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.http.AgentHttp;
import dev.roadie.agent.job.RepositoryOpener;
import dev.roadie.agent.job.TargetJob;
import dev.roadie.agent.metrics.AgentMetrics;
import dev.roadie.agent.notify.Notifier;
import dev.roadie.agent.schedule.Scheduler;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.ContinuousRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.core.verify.VerificationRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code roadie agent}: the config's schedules run in this process (through the source SPI, never
 * by starting roadie per job), with metrics, the HTTP API and notifications. With {@code
 * metricsOnly} it runs no job and serves the metrics of a repository whose jobs run elsewhere
 * (Kubernetes CronJobs with {@code roadie run}), rebuilt from the repository every {@code refresh}.
 */
public final class Agent implements AutoCloseable {
  /**
   * How the agent runs.
   *
   * @param version roadie's version (the metric {@code roadie_build_info})
   * @param metricsOnly run no job; serve the metrics of the repository
   * @param refresh how often the metrics are rebuilt from the repository ({@code metricsOnly}), or
   *     else the targets' recoverable windows (archived WAL) are looked at again
   * @param clock the time (tests move it)
   * @param sleeper waits between retries (tests skip them)
   * @param log a line per event, for people
   */
  public record Options(
      String version,
      boolean metricsOnly,
      Duration refresh,
      Clock clock,
      TargetJob.Sleeper sleeper,
      Consumer<String> log) {
    public static Options of(String version, boolean metricsOnly, Consumer<String> log) {
      return new Options(
          version,
          metricsOnly,
          Duration.ofMinutes(1),
          Clock.systemUTC(),
          d -> Thread.sleep(d.toMillis()),
          log);
    }
  }

  private final AgentConfig config;
  private final Options options;
  private final Backend backend;
  private volatile AgentMetrics metrics;
  private final Notifier notifier;
  private final Scheduler scheduler;
  private final TargetJob job;
  private AgentHttp http;
  private final List<Thread> supervised = new ArrayList<>();
  private final Map<String, ContinuousRequest.Job> continuous =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Instant readyChecked = Instant.EPOCH;
  private volatile boolean ready;
  private volatile boolean stopped;

  public Agent(AgentConfig config, Options options) {
    this.config = config;
    this.options = options;
    this.backend = RepositoryOpener.backend(config.repository());
    this.metrics = new AgentMetrics(options.clock(), options.version());
    this.notifier = new Notifier(config.notifications(), options.log());
    this.job = new TargetJob(config, options.clock(), options.log(), options.sleeper());
    this.scheduler =
        options.metricsOnly()
            ? null
            : new Scheduler(config, new Jobs(), options.clock(), options.log());
  }

  /**
   * Opens the repository (refusing a missing one with the {@code roadie init} command), rebuilds
   * the metrics from it, starts the schedules (and the runs missed while down) and the HTTP server.
   * {@code dashboard}, when given, is served at {@code /}.
   */
  public void start(HttpHandler dashboard) throws IOException {
    AgentMetrics m = rebuild();
    Map<String, Instant> lastRuns = new HashMap<>();
    for (AgentMetrics.Status s : m.status()) {
      Instant last = s.lastRun();
      if (s.newestPoint() != null && (last == null || s.newestPoint().isAfter(last)))
        last = s.newestPoint();
      if (last != null) lastRuns.put(s.target(), last);
      if (s.lastOk() != null) notifier.known(s.target(), s.lastOk());
    }
    byte[] token =
        config.tokenFile() == null
            ? null
            : Files.readString(config.tokenFile(), StandardCharsets.UTF_8)
                .strip()
                .getBytes(StandardCharsets.UTF_8);
    http =
        new AgentHttp(config.listen(), token, out -> metrics.write(out), this::ready, this::status);
    if (dashboard != null) http.mount(dashboard);
    http.start();
    options
        .log()
        .accept(
            "listening on "
                + config.listen().host()
                + ":"
                + http.port()
                + " (/metrics, /healthz, "
                + "/readyz, /api/v1/status)");
    if (scheduler != null) {
      for (TargetConfig t : config.targets()) {
        if (t.schedule() instanceof Schedule.Continuous
            || t.schedule() instanceof Schedule.OnChange) {
          supervised.add(Thread.ofVirtual().name("roadie-" + t.name()).start(() -> supervise(t)));
        }
      }
      scheduler.start(lastRuns);
      supervised.add(Thread.ofVirtual().name("roadie-windows").start(this::refreshWindows));
    }
  }

  /**
   * Every {@code refresh}, how far each target's newest snapshot restores with what the repository
   * holds now: WAL archived since (by {@code wal-push} or a WAL stream, in this process or not)
   * moves a target's newest recoverable point, and so its RPO, without a job of its own.
   */
  private void refreshWindows() {
    Repository repo = null;
    try {
      while (!stopped) {
        synchronized (this) {
          try {
            wait(options.refresh().toMillis());
          } catch (InterruptedException e) {
            return;
          }
        }
        if (stopped) return;
        try {
          // Kept open: a window is worked out from fresh listings; only the key is derived once.
          if (repo == null) repo = RepositoryOpener.open(config.repository());
          for (String p : metrics.recoverableWindows(repo)) options.log().accept("metrics: " + p);
        } catch (IOException | RuntimeException e) {
          options
              .log()
              .accept("recoverable windows could not be worked out: " + TargetJob.message(e));
        }
      }
    } finally {
      if (repo != null) {
        try {
          repo.close();
        } catch (IOException e) {
          // only read from
        }
      }
    }
  }

  /** Fresh metrics from the repository, replacing the current ones. */
  private AgentMetrics rebuild() throws IOException {
    AgentMetrics m = new AgentMetrics(options.clock(), options.version());
    m.configure(config);
    try (Repository repo = RepositoryOpener.open(config.repository())) {
      for (String p : m.rebuild(repo)) options.log().accept("metrics: " + p);
    }
    metrics = m;
    return m;
  }

  /** Runs until {@link #stop}: the schedules, or with {@code metricsOnly} the periodic rebuild. */
  public void runUntilStopped() throws InterruptedException {
    if (scheduler != null) {
      scheduler.runUntilStopped();
      return;
    }
    while (!stopped) {
      synchronized (this) {
        wait(options.refresh().toMillis());
      }
      if (stopped) break;
      try {
        rebuild();
      } catch (IOException | RuntimeException e) {
        options.log().accept("metrics could not be rebuilt: " + TargetJob.message(e));
      }
    }
  }

  /**
   * Runs a continuous target (a WAL stream, snapshots on change) for the agent's life, restarting
   * it after a failure with a doubling wait (1 s to 1 min). Each snapshot it commits gets a run
   * record, as a scheduled backup's; each failure too.
   */
  private void supervise(TargetConfig t) {
    Duration wait = Duration.ofSeconds(1);
    while (!stopped) {
      Instant started = options.clock().instant();
      try (Repository repo = RepositoryOpener.open(config.repository())) {
        Duration settle =
            t.schedule() instanceof Schedule.OnChange oc ? oc.settle() : Duration.ZERO;
        ContinuousRequest.Job j =
            Sources.forKind(t.kind())
                .continuous(
                    new ContinuousRequest(
                        repo,
                        config.repository().location(),
                        t.kind(),
                        t.options(),
                        t.name(),
                        t.tags(),
                        settle,
                        result -> continuousRecord(repo, t, result, null),
                        line -> options.log().accept(t.name() + ": " + line)));
        continuous.put(t.name(), j);
        if (stopped) return;
        options.log().accept(t.name() + ": running " + t.schedule());
        j.run();
        wait = Duration.ofSeconds(1);
      } catch (IOException | RuntimeException e) {
        if (stopped) return;
        continuousRecord(null, t, null, e);
        options
            .log()
            .accept(
                t.name()
                    + ": "
                    + t.schedule()
                    + " failed: "
                    + TargetJob.message(e)
                    + "; restarting in "
                    + wait.toSeconds()
                    + "s");
      } finally {
        continuous.remove(t.name());
      }
      if (stopped) return;
      synchronized (this) {
        try {
          wait(wait.toMillis());
        } catch (InterruptedException ie) {
          return;
        }
      }
      wait =
          wait.multipliedBy(2).compareTo(Duration.ofMinutes(1)) > 0
              ? Duration.ofMinutes(1)
              : wait.multipliedBy(2);
      if (Duration.between(started, options.clock().instant()).toMinutes() > 10)
        wait = Duration.ofSeconds(1);
    }
  }

  /**
   * The run record of a snapshot a continuous job committed, or of its failure; stored, counted,
   * notified.
   */
  private void continuousRecord(
      Repository repo, TargetConfig t, BackupResult result, Throwable error) {
    String now = options.clock().instant().toString();
    var snap = result == null ? null : result.snapshot();
    var stats = snap == null ? null : snap.snapshot().stats();
    RunRecord r =
        new RunRecord(
            RunRecord.VERSION,
            t.name(),
            t.kind(),
            Hosts.host(),
            t.schedule() instanceof Schedule.OnChange ? "change" : "continuous",
            now,
            now,
            error == null ? RunRecord.SUCCESS : RunRecord.FAILURE,
            error == null ? null : TargetJob.message(error),
            error == null
                ? null
                : error instanceof RoadieException re ? re.code().name() : ErrorCode.FAILURE.name(),
            1,
            snap == null ? null : snap.id().hex(),
            snap == null ? null : snap.snapshot().time(),
            stats == null ? null : stats.bytesRead(),
            stats == null ? null : stats.bytesAdded(),
            List.of());
    try {
      if (repo != null) {
        Records.write(repo, r);
      } else {
        try (Repository fresh = RepositoryOpener.open(config.repository())) {
          Records.write(fresh, r);
        }
      }
    } catch (IOException | RuntimeException e) {
      options
          .log()
          .accept(t.name() + ": the run record could not be stored: " + TargetJob.message(e));
    }
    metrics.record(r);
    notifier.run(r);
  }

  /** Starts every due schedule now (the scheduler's tick: tests drive the clock with it). */
  public int tick() {
    return scheduler == null ? 0 : scheduler.tick();
  }

  /** Ends {@link #runUntilStopped} without waiting: no new job starts (for a signal handler). */
  public void requestStop() {
    stopped = true;
    if (scheduler != null) scheduler.requestStop();
    synchronized (this) {
      notifyAll();
    }
  }

  /**
   * Stops: no new job starts, running jobs are waited for up to {@code grace} (a backup commits its
   * snapshot or writes none), then the HTTP server and the notifications end. Returns whether every
   * job ended in time.
   */
  public boolean stop(Duration grace) throws InterruptedException {
    stopped = true;
    synchronized (this) {
      notifyAll();
    }
    for (ContinuousRequest.Job j : continuous.values()) j.stop();
    boolean clean = scheduler == null || scheduler.stop(grace);
    long deadline = System.nanoTime() + grace.toNanos();
    for (Thread t : supervised) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      if (!t.join(Duration.ofMillis(left))) clean = false;
    }
    notifier.close();
    if (http != null) http.close();
    return clean;
  }

  @Override
  public void close() throws InterruptedException {
    if (!stopped) stop(Duration.ofSeconds(30));
  }

  public int port() {
    return http.port();
  }

  public AgentMetrics metrics() {
    return metrics;
  }

  private boolean ready() {
    Instant now = Instant.now();
    if (Duration.between(readyChecked, now).toSeconds() >= 5) {
      try {
        backend.read(ObjectName.CONFIG);
        ready = true;
      } catch (IOException | RuntimeException e) {
        ready = false;
      }
      readyChecked = now;
    }
    return ready;
  }

  /**
   * One configured target as the agent knows it now (the status API and the dashboard).
   *
   * @param lastOk whether the newest run succeeded, or null before any run
   * @param recoverablePoint the newest moment the target can be restored to: its newest snapshot's
   *     time, or later with archived WAL
   * @param rpoSeconds now minus the newest recoverable point, or null before any snapshot
   */
  public record TargetState(
      String name,
      String kind,
      String schedule,
      Instant nextRun,
      Instant nextVerification,
      Duration expectedInterval,
      boolean running,
      Instant lastRun,
      Boolean lastOk,
      String lastError,
      Instant newestSnapshot,
      Instant recoverablePoint,
      Double rpoSeconds) {}

  /** The backup jobs running now, oldest first, with their progress; answered from memory. */
  public List<TargetJob.Running> running() {
    return job.running();
  }

  /** Every configured target's state, in the config's order; answered from memory. */
  public List<TargetState> targets() {
    Map<String, Instant> next =
        scheduler == null ? Map.of() : scheduler.nextRuns(Scheduler.Work.BACKUP);
    Map<String, Instant> nextVerify =
        scheduler == null ? Map.of() : scheduler.nextRuns(Scheduler.Work.VERIFY);
    Map<String, AgentMetrics.Status> known = new HashMap<>();
    for (AgentMetrics.Status s : metrics.status()) known.put(s.target(), s);
    List<TargetState> out = new ArrayList<>();
    for (TargetConfig t : config.targets()) {
      AgentMetrics.Status s = known.get(t.name());
      out.add(
          new TargetState(
              t.name(),
              t.kind(),
              t.schedule().toString(),
              next.get(t.name()),
              nextVerify.get(t.name()),
              t.expectedInterval(),
              scheduler != null && scheduler.running(t.name()),
              s == null ? null : s.lastRun(),
              s == null ? null : s.lastOk(),
              s == null ? null : s.lastError(),
              s == null ? null : s.newestPoint(),
              s == null ? null : s.recoverablePoint(),
              s == null ? null : s.rpoSeconds()));
    }
    return out;
  }

  private Object status() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("time", options.clock().instant().toString());
    doc.put("repository", config.repository().location());
    doc.put("metricsOnly", options.metricsOnly());
    List<Map<String, Object>> targets = new ArrayList<>();
    for (TargetState t : targets()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.name());
      m.put("kind", t.kind());
      m.put("schedule", t.schedule());
      m.put("running", t.running());
      m.put("lastRun", text(t.lastRun()));
      m.put("lastResult", t.lastOk() == null ? null : t.lastOk() ? "success" : "failure");
      m.put("lastError", t.lastError());
      m.put("nextRun", text(t.nextRun()));
      m.put("nextVerification", text(t.nextVerification()));
      m.put("newestSnapshot", text(t.newestSnapshot()));
      m.put("recoverablePoint", text(t.recoverablePoint()));
      m.put("rpoSeconds", t.rpoSeconds());
      m.put(
          "expectedIntervalSeconds",
          t.expectedInterval() == null ? null : t.expectedInterval().toSeconds());
      targets.add(m);
    }
    doc.put("targets", targets);
    return doc;
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }

  /** The scheduler's jobs: a backup job, or a verification of the target's newest snapshot. */
  private final class Jobs implements Scheduler.Jobs {
    @Override
    public void run(TargetConfig target, Scheduler.Work work, String trigger)
        throws InterruptedException {
      if (work == Scheduler.Work.BACKUP) {
        RunRecord r = job.run(target, trigger);
        metrics.record(r);
        notifier.run(r);
        options
            .log()
            .accept(target.name() + ": " + (r.succeeded() ? "succeeded" : "FAILED: " + r.error()));
      } else {
        verify(target);
      }
      try {
        metrics.storedBytes(backend);
      } catch (IOException | RuntimeException e) {
        options.log().accept("repository size unknown: " + TargetJob.message(e));
      }
    }

    @Override
    public void skipped(TargetConfig target, Scheduler.Work work) {
      if (work == Scheduler.Work.BACKUP) metrics.skipped(target.name(), target.kind());
    }

    private void verify(TargetConfig target) {
      try (Repository repo = RepositoryOpener.open(config.repository())) {
        SnapshotRef newest = null;
        for (SnapshotRef s : repo.snapshots(null)) {
          if (target.name().equals(s.snapshot().target())
              && target.kind().equals(s.snapshot().kind())) newest = s;
        }
        if (newest == null) {
          options.log().accept(target.name() + ": no snapshot to verify yet");
          return;
        }
        VerificationRecord v = TargetJob.verifySnapshot(repo, newest, options.log());
        metrics.verification(v);
        notifier.verification(v);
        options
            .log()
            .accept(
                target.name() + ": verification of " + newest.id().shortHex() + ": " + v.result());
      } catch (IOException | RuntimeException e) {
        options
            .log()
            .accept(target.name() + ": verification could not run: " + TargetJob.message(e));
      }
    }
  }
}
