package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;

/**
 * A request to check that a restored copy holds what a snapshot recorded.
 *
 * @param repository the open repository the snapshot is in
 * @param snapshot the snapshot the copy was restored from
 * @param copy where the restored copy is: the destination it was restored to
 * @param options the kind's own record (what to compare), or null for the kind's defaults
 */
public record VerifyRequest(
    Repository repository, SnapshotRef snapshot, Destination copy, Options options) {

  /** A kind's verification options record; each source defines its own. */
  public interface Options {}

  public VerifyRequest {
    if (repository == null || snapshot == null || copy == null) {
      throw new IllegalArgumentException(
          "a verify request needs a repository, a snapshot and the copy");
    }
  }

  /** The options as the provider's record type, or {@code defaults} when none were given. */
  public <T extends Options> T options(Class<T> type, T defaults) {
    if (options == null) return defaults;
    if (!type.isInstance(options)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a "
              + snapshot.snapshot().kind()
              + " verification takes "
              + type.getSimpleName()
              + ", not "
              + options.getClass().getSimpleName());
    }
    return type.cast(options);
  }
}
