package dev.roadie.core.source;

import dev.roadie.core.repo.Repository;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * A request to run a source continuously ({@link SourceProvider#continuous}): a WAL stream, or
 * snapshots taken when the source changes.
 *
 * @param repository the open repository, for the job's whole life
 * @param repositoryLocation the repository's location as configured (what a user passes as {@code
 *     --repo} or {@code ROADIE_REPOSITORY}), for state kept per repository on the source's host
 * @param kind the target's kind
 * @param options the kind's backup options ({@link SourceProvider#backupOptions})
 * @param target the snapshots' target name
 * @param tags the snapshots' tags
 * @param settle how long a change must rest before a snapshot (on-change sources)
 * @param onSnapshot called with each snapshot the job commits
 * @param log lines for people
 */
public record ContinuousRequest(
    Repository repository,
    String repositoryLocation,
    String kind,
    BackupRequest.Options options,
    String target,
    List<String> tags,
    Duration settle,
    Consumer<BackupResult> onSnapshot,
    Consumer<String> log) {

  /** A job that runs until it fails or is stopped. */
  public interface Job {
    /** Runs until {@link #stop} (returns normally) or a failure (throws). */
    void run() throws java.io.IOException;

    /**
     * Ends {@link #run} cleanly: what is in flight is stored first (a snapshot is whole or absent).
     */
    void stop();
  }
}
