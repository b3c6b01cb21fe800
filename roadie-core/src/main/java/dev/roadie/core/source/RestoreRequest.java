package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;

/**
 * A request to restore one snapshot.
 *
 * @param repository the open repository the snapshot is in
 * @param snapshot the snapshot; its kind chose the provider
 * @param destination where to write it; the provider refuses one that does not fit the kind
 * @param options how: the kind's own record (tables to restore, what to do with existing data, a
 *     recovery target), or null for the kind's defaults
 * @param progress counters the restore updates while it runs
 */
public record RestoreRequest(
    Repository repository,
    SnapshotRef snapshot,
    Destination destination,
    Options options,
    Progress progress) {

  /** A kind's restore options record; each source defines its own. */
  public interface Options {}

  public RestoreRequest {
    if (repository == null || snapshot == null || destination == null) {
      throw new IllegalArgumentException(
          "a restore request needs a repository, a snapshot and a destination");
    }
    progress = progress == null ? new Progress() : progress;
  }

  /** The snapshot's kind. */
  public String kind() {
    return snapshot.snapshot().kind();
  }

  /** The options as the provider's record type, or {@code defaults} when none were given. */
  public <T extends Options> T options(Class<T> type, T defaults) {
    if (options == null) return defaults;
    if (!type.isInstance(options)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a "
              + kind()
              + " restore takes "
              + type.getSimpleName()
              + ", not "
              + options.getClass().getSimpleName());
    }
    return type.cast(options);
  }
}
