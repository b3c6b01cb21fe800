package dev.roadie.dashboard.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a scheduler knows that the repository does not: when each target runs next, how often it is
 * meant to run, the objectives it is held to, its last failed run, and the jobs running now. The
 * agent implements it from its config and scheduler; {@link #NONE} is what a repository alone tells
 * (the static report without {@code --config}). Called on every page view: answers must be cheap
 * and thread-safe.
 */
public interface ScheduleProvider {

  /** No scheduler: expected intervals come from the caller or the snapshot history. */
  ScheduleProvider NONE = of(Map::of);

  /** Schedules from {@code schedules} (asked on every view), and no running jobs known. */
  static ScheduleProvider of(Supplier<Map<String, Schedule>> schedules) {
    return of(schedules, List::of);
  }

  /** Schedules and running jobs from the suppliers (asked on every view). */
  static ScheduleProvider of(
      Supplier<Map<String, Schedule>> schedules, Supplier<List<RunningJob>> running) {
    return new ScheduleProvider() {
      @Override
      public Map<String, Schedule> schedules() {
        return schedules.get();
      }

      @Override
      public List<RunningJob> running() {
        return running.get();
      }
    };
  }

  /**
   * The schedule of every target the scheduler knows, by target name (as its snapshots record it).
   */
  Map<String, Schedule> schedules();

  /**
   * The jobs running now, oldest first. The overview asks again every few seconds while it is open
   * (its running jobs refresh in place): answer from memory.
   */
  List<RunningJob> running();

  /**
   * One target's schedule.
   *
   * @param kind the snapshot kind the target's backups have ({@code file}, {@code redis}, ...)
   * @param expression how it is scheduled, as the config says ({@code 0 * * * *}, {@code
   *     continuous})
   * @param nextRun the next run, or null (continuous, on-change, paused)
   * @param expectedInterval how often a snapshot is due; a backup older than this is late
   * @param rpoObjective the most data the target may lose, or null
   * @param lastFailure the newest failed run that no success has followed, or null
   */
  record Schedule(
      String kind,
      String expression,
      Instant nextRun,
      Duration expectedInterval,
      Duration rpoObjective,
      Failure lastFailure) {}

  /** A failed run: when it ended and its error message (which must hold no secret). */
  record Failure(Instant at, String error) {}

  /**
   * A job running now.
   *
   * @param operation {@code backup}, {@code verify}, {@code drill}, {@code prune}, ...
   * @param step what it is doing now ({@code table public.orders}, a file's path, {@code copy}), or
   *     null
   * @param fraction how far it is, 0 to 1, or null when unknown
   * @param bytesRead bytes read so far
   * @param files files (objects, tables, streams) read so far
   */
  record RunningJob(
      String target,
      String kind,
      String operation,
      Instant started,
      String step,
      Double fraction,
      long bytesRead,
      long files) {}
}
