package dev.roadie.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.Schedule;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.agent.schedule.Scheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler's own rules, with jobs that wait for the test to let them end. */
class SchedulerTest {
  @TempDir Path tmp;

  /** Jobs that block until released, and remember what ran and what was skipped. */
  static final class HeldJobs implements Scheduler.Jobs {
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> started = new CopyOnWriteArrayList<>();
    final List<String> skipped = new CopyOnWriteArrayList<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    @Override
    public void run(TargetConfig target, Scheduler.Work work, String trigger)
        throws InterruptedException {
      started.add(target.name() + ":" + work + ":" + trigger);
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        release.await(30, TimeUnit.SECONDS);
      } finally {
        running.decrementAndGet();
      }
    }

    @Override
    public void skipped(TargetConfig target, Scheduler.Work work) {
      skipped.add(target.name() + ":" + work);
    }
  }

  private AgentConfig config(String extra, String targets) throws Exception {
    Fixture f = new Fixture(tmp);
    return ConfigLoader.load(
        f.config(
            extra
                + "repository: "
                + f.repo
                + "\npasswordFile: "
                + f.passwordFile
                + "\ntargets:\n"
                + targets),
        Map.of());
  }

  private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out");
      Thread.sleep(5);
    }
  }

  @Test
  void aRunDueWhileThePreviousIsGoingIsSkippedAndCounted() throws Exception {
    AgentConfig c =
        config("", "  - {name: a, kind: file, paths: [/tmp], schedule: \"*/5 * * * *\"}\n");
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:01:00Z"));
    HeldJobs jobs = new HeldJobs();
    Scheduler s = new Scheduler(c, jobs, clock, m -> {});
    s.start(Map.of());
    assertEquals(Instant.parse("2026-03-01T10:05:00Z"), s.nextRuns(Scheduler.Work.BACKUP).get("a"));
    clock.set(Instant.parse("2026-03-01T10:05:00Z"));
    assertEquals(1, s.tick());
    await(() -> jobs.started.size() == 1);
    clock.set(Instant.parse("2026-03-01T10:10:00Z"));
    assertEquals(0, s.tick(), "Forbid: the 10:10 run is skipped while the 10:05 one runs");
    assertEquals(List.of("a:BACKUP"), jobs.skipped);
    jobs.release.countDown();
    await(() -> !s.running("a"));
    clock.set(Instant.parse("2026-03-01T10:15:00Z"));
    assertEquals(1, s.tick());
    // The job is submitted by tick and starts on its own thread: wait for it, not for the clock.
    await(() -> jobs.started.size() == 2);
    assertTrue(s.stop(Duration.ofSeconds(10)));
    assertEquals(2, jobs.started.size());
  }

  @Test
  void atMostMaxParallelJobsRunAtOnce() throws Exception {
    AgentConfig c =
        config(
            "maxParallel: 2\n",
            """
          - {name: a, kind: file, paths: [/tmp], schedule: "0 * * * *"}
          - {name: b, kind: file, paths: [/tmp], schedule: "0 * * * *"}
          - {name: c, kind: file, paths: [/tmp], schedule: "0 * * * *"}
        """);
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:30:00Z"));
    HeldJobs jobs = new HeldJobs();
    Scheduler s = new Scheduler(c, jobs, clock, m -> {});
    s.start(Map.of());
    clock.set(Instant.parse("2026-03-01T11:00:00Z"));
    assertEquals(3, s.tick());
    await(() -> jobs.started.size() == 2);
    Thread.sleep(100);
    assertEquals(2, jobs.started.size(), "the third waits for a slot");
    jobs.release.countDown();
    await(() -> jobs.started.size() == 3);
    assertTrue(s.stop(Duration.ofSeconds(10)));
    assertEquals(2, jobs.mostAtOnce.get());
  }

  @Test
  void cronFollowsTheTargetsTimeZone() throws Exception {
    AgentConfig c =
        config(
            "timezone: Europe/Berlin\n",
            "  - {name: a, kind: file, paths: [/tmp], schedule: \"0 3 * * *\"}\n"
                + "  - {name: b, kind: file, paths: [/tmp], schedule: \"0 3 * * *\", timezone: UTC}\n");
    MutableClock clock = new MutableClock(Instant.parse("2026-07-01T00:00:00Z"));
    Scheduler s = new Scheduler(c, new HeldJobs(), clock, m -> {});
    s.start(Map.of());
    // 03:00 in Berlin in summer is 01:00 UTC.
    assertEquals(Instant.parse("2026-07-01T01:00:00Z"), s.nextRuns(Scheduler.Work.BACKUP).get("a"));
    assertEquals(Instant.parse("2026-07-01T03:00:00Z"), s.nextRuns(Scheduler.Work.BACKUP).get("b"));
  }

  @Test
  void jitterDelaysEachRunWithinItsBound() throws Exception {
    AgentConfig c =
        config(
            "", "  - {name: a, kind: file, paths: [/tmp], schedule: \"0 * * * *\", jitter: 10m}\n");
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:30:00Z"));
    Scheduler s = new Scheduler(c, new HeldJobs(), clock, m -> {});
    s.start(Map.of());
    Instant due = s.nextRuns(Scheduler.Work.BACKUP).get("a");
    assertTrue(
        !due.isBefore(Instant.parse("2026-03-01T11:00:00Z"))
            && !due.isAfter(Instant.parse("2026-03-01T11:10:00Z")),
        due.toString());
  }

  /** A six-field schedule's first field is seconds: runs come due within the minute. */
  @Test
  void aSixFieldScheduleRunsEveryFewSeconds() throws Exception {
    AgentConfig c =
        config("", "  - {name: a, kind: file, paths: [/tmp], schedule: \"*/20 * * * * *\"}\n");
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:30:05Z"));
    HeldJobs jobs = new HeldJobs();
    Scheduler s = new Scheduler(c, jobs, clock, m -> {});
    s.start(Map.of());
    assertEquals(Instant.parse("2026-03-01T10:30:20Z"), s.nextRuns(Scheduler.Work.BACKUP).get("a"));
    clock.set(Instant.parse("2026-03-01T10:30:20Z"));
    assertEquals(1, s.tick());
    assertEquals(Instant.parse("2026-03-01T10:30:40Z"), s.nextRuns(Scheduler.Work.BACKUP).get("a"));
    await(() -> jobs.started.size() == 1);
    jobs.release.countDown();
    assertTrue(s.stop(Duration.ofSeconds(10)));
    assertEquals(
        Duration.ofSeconds(20), c.target("a").expectedInterval(), "its rhythm is 20 seconds");
  }

  /**
   * A six-field schedule with seconds 0 runs exactly when the five-field one does: the other fields
   * keep their crontab meaning (day of month or day of week, 7 is Sunday, ranges and steps).
   */
  @Test
  void aSecondsFieldOfZeroMeansWhatTheFiveFieldScheduleMeans() {
    java.time.ZonedDateTime from =
        java.time.ZonedDateTime.parse("2026-02-27T22:17:43Z[Europe/Berlin]");
    for (String five :
        List.of(
            "0 * * * *",
            "*/15 9-17 * * 1-5",
            "30 2 13 * 5",
            "0 0 * * 7",
            "5,35 */6 1 1,7 *",
            "0 4 29 2 *")) {
      Schedule.Cron a = Schedule.Cron.parse(five, java.time.ZoneId.of("Europe/Berlin"));
      Schedule.Cron b = Schedule.Cron.parse("0 " + five, java.time.ZoneId.of("Europe/Berlin"));
      assertTrue(b.hasSeconds() && !a.hasSeconds(), five);
      java.time.ZonedDateTime ta = from;
      java.time.ZonedDateTime tb = from;
      for (int i = 0; i < 50; i++) {
        ta = a.next(ta).orElseThrow();
        tb = b.next(tb).orElseThrow();
        assertEquals(ta.toInstant(), tb.toInstant(), five + ", run " + i);
      }
    }
  }
}
