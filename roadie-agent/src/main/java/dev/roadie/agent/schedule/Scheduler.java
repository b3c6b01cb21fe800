package dev.roadie.agent.schedule;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.Schedule;
import dev.roadie.agent.config.TargetConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Starts each target's jobs when its cron schedule says, in the schedule's time zone:
 *
 * <ul>
 *   <li>Concurrency policy Forbid: a run that comes due while the target's previous job (backup or
 *       verification) is still going, or waiting for a slot, is skipped and counted, never queued.
 *   <li>At most {@code maxParallel} jobs run at once; the rest wait for a slot.
 *   <li>Jitter: each run starts up to the target's {@code jitter} later, at random.
 *   <li>Missed runs: at start, a target whose newest run is older than its schedule's last due time
 *       (the agent was down) is run once at once ({@code missedRuns: once}) or not ({@code skip}).
 * </ul>
 *
 * Time is read from a {@link Clock} and the work is driven by {@link #tick}, so that tests move
 * time without sleeping; {@link #runUntilStopped} calls it as the wall clock goes.
 */
public final class Scheduler {
  /** What a due entry does: a backup job or a verification of the target's newest snapshot. */
  public enum Work {
    BACKUP,
    VERIFY
  }

  /** Runs one job (blocking); the scheduler calls it on a worker thread. */
  public interface Jobs {
    void run(TargetConfig target, Work work, String trigger) throws InterruptedException;

    /** A due run skipped because the target's previous job was still going. */
    void skipped(TargetConfig target, Work work);
  }

  /** One schedule of one target. */
  private static final class Entry {
    final TargetConfig target;
    final Work work;
    final Schedule.Cron cron;
    volatile Instant due;
    volatile boolean busy;

    Entry(TargetConfig target, Work work, Schedule.Cron cron) {
      this.target = target;
      this.work = work;
      this.cron = cron;
    }
  }

  private final AgentConfig config;
  private final Jobs jobs;
  private final Clock clock;
  private final Consumer<String> log;
  private final List<Entry> entries = new ArrayList<>();
  private final Semaphore slots;
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();

  /** A target has one job at a time, backup or verification (Forbid is per target). */
  private final Map<String, Boolean> targetBusy = new java.util.concurrent.ConcurrentHashMap<>();

  private volatile boolean stopping;

  public Scheduler(AgentConfig config, Jobs jobs, Clock clock, Consumer<String> log) {
    this.config = config;
    this.jobs = jobs;
    this.clock = clock;
    this.log = log;
    this.slots = new Semaphore(config.maxParallel(), true);
    for (TargetConfig t : config.targets()) {
      if (t.schedule() instanceof Schedule.Cron c) entries.add(new Entry(t, Work.BACKUP, c));
      if (t.verify() != null && t.verify().schedule() != null)
        entries.add(new Entry(t, Work.VERIFY, t.verify().schedule()));
    }
  }

  /**
   * Sets each schedule's first due time, and starts once, at once, the backups missed while the
   * agent was down (as {@code missedRuns} says). {@code lastRuns} holds each target's newest run or
   * snapshot known from the repository.
   */
  public void start(Map<String, Instant> lastRuns) {
    ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC);
    for (Entry e : entries) {
      e.due = next(e, now);
      if (e.work != Work.BACKUP || config.missedRuns() == AgentConfig.MissedRuns.SKIP) continue;
      Instant last = lastRuns.get(e.target.name());
      ZonedDateTime previous = e.cron.previous(now).orElse(null);
      // Only a target that has run before has missed anything: a new one waits for its schedule.
      if (last != null && previous != null && last.isBefore(previous.toInstant())) {
        log.accept(
            e.target.name()
                + ": its run due at "
                + previous.toInstant()
                + " was missed (newest run "
                + last
                + "); running it now");
        launch(e, "missed");
      }
    }
  }

  private Instant next(Entry e, ZonedDateTime after) {
    Instant at = e.cron.next(after).map(ZonedDateTime::toInstant).orElse(null);
    if (at == null) return null;
    long jitter = e.target.jitter().toMillis();
    return jitter <= 0 ? at : at.plusMillis(ThreadLocalRandom.current().nextLong(jitter + 1));
  }

  /** Starts every entry due at or before the clock's now; returns how many were started. */
  public int tick() {
    Instant now = clock.instant();
    int started = 0;
    for (Entry e : entries) {
      Instant due = e.due;
      if (due == null || due.isAfter(now) || stopping) continue;
      e.due = next(e, ZonedDateTime.ofInstant(now, java.time.ZoneOffset.UTC));
      if (launch(e, "schedule")) started++;
    }
    return started;
  }

  private boolean launch(Entry e, String trigger) {
    if (targetBusy.putIfAbsent(e.target.name(), Boolean.TRUE) != null) {
      log.accept(
          e.target.name()
              + ": "
              + (e.work == Work.BACKUP ? "backup" : "verification")
              + " due now skipped: "
              + "its previous job is still running (concurrency policy Forbid)");
      jobs.skipped(e.target, e.work);
      return false;
    }
    e.busy = true;
    workers.submit(
        () -> {
          try {
            slots.acquire();
            try {
              if (!stopping) jobs.run(e.target, e.work, trigger);
            } finally {
              slots.release();
            }
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException re) {
            log.accept(e.target.name() + ": job ended with an internal error: " + re);
          } finally {
            e.busy = false;
            targetBusy.remove(e.target.name());
          }
        });
    return true;
  }

  /** The next due time of each target's backup (and verification), for the status API. */
  public Map<String, Instant> nextRuns(Work work) {
    Map<String, Instant> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (e.work == work && e.due != null) out.put(e.target.name(), e.due);
    }
    return out;
  }

  public boolean running(String target) {
    return targetBusy.containsKey(target);
  }

  /**
   * Ticks with the wall clock until {@link #stop}; sleeps until the next due time, at most a
   * second.
   */
  public void runUntilStopped() throws InterruptedException {
    while (!stopping) {
      tick();
      Instant next =
          entries.stream()
              .map(e -> e.due)
              .filter(java.util.Objects::nonNull)
              .min(Instant::compareTo)
              .orElse(clock.instant().plusSeconds(60));
      long millis =
          Math.max(10, Math.min(1000, Duration.between(clock.instant(), next).toMillis()));
      synchronized (this) {
        if (!stopping) wait(millis);
      }
    }
  }

  /**
   * Stops starting jobs and ends {@link #runUntilStopped}; running jobs go on (a signal handler
   * calls this).
   */
  public void requestStop() {
    stopping = true;
    synchronized (this) {
      notifyAll();
    }
  }

  /**
   * Stops starting jobs and waits up to {@code grace} for the running ones to end: a backup either
   * commits its snapshot or writes none, so waiting is what keeps a stop from leaving half a job.
   * Returns whether every job ended in time.
   */
  public boolean stop(Duration grace) throws InterruptedException {
    stopping = true;
    synchronized (this) {
      notifyAll();
    }
    workers.shutdown();
    return workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
  }
}
