package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;

/**
 * A request to prove that a snapshot restores: restore it into scratch space (a throwaway server or
 * directory the source sets up), check the copy, and leave the tear-down to {@code scratch}.
 *
 * @param repository the open repository the snapshot is in
 * @param snapshot the snapshot to restore
 * @param scratch where the source creates its temporary directories and registers every clean-up
 * @param options the kind's own record (a scratch server, a recovery target, the tools' directory),
 *     or null for the kind's defaults
 * @param progress counters the restore updates while it runs
 */
public record ScratchVerifyRequest(
    Repository repository,
    SnapshotRef snapshot,
    Scratch scratch,
    Options options,
    Progress progress) {

  /** A kind's scratch verification options record; each source defines its own. */
  public interface Options {}

  public ScratchVerifyRequest {
    if (repository == null || snapshot == null || scratch == null) {
      throw new IllegalArgumentException(
          "a scratch verification needs a repository, a snapshot and a scratch");
    }
    progress = progress == null ? new Progress() : progress;
  }

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
              + " verification takes "
              + type.getSimpleName()
              + ", not "
              + options.getClass().getSimpleName());
    }
    return type.cast(options);
  }
}
