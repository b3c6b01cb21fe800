package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * A request to back up one source into a new snapshot of {@code repository}.
 *
 * @param repository the open repository the snapshot goes to
 * @param kind the snapshot kind to write (the provider must claim it)
 * @param options what to back up and how: the kind's own record (paths, a server URL, filters)
 * @param target the name of what is backed up, or null for the source's default (a path, a URL
 *     without credentials); the snapshots of one target form its history
 * @param tags the snapshot's tags (none may be blank or contain a comma)
 * @param time the snapshot's time, ISO-8601 with an offset; null for now
 * @param host the host the snapshot records, null for this machine's ({@link Hosts#host()})
 * @param progress counters the backup updates while it runs (for a progress display)
 */
public record BackupRequest(
    Repository repository,
    String kind,
    Options options,
    String target,
    List<String> tags,
    String time,
    String host,
    Progress progress) {

  /** A kind's options record; each source defines its own. */
  public interface Options {}

  public BackupRequest {
    if (repository == null || kind == null || options == null) {
      throw new IllegalArgumentException("a backup request needs a repository, a kind and options");
    }
    tags = tags == null ? List.of() : List.copyOf(tags);
    for (String t : tags) {
      if (t.isBlank() || t.contains(",")) {
        throw new RoadieException(
            ErrorCode.USAGE, "tag '" + t + "' must be non-empty and contain no comma");
      }
    }
    time =
        time == null
            ? OffsetDateTime.now(ZoneId.systemDefault())
                .truncatedTo(ChronoUnit.MILLIS)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            : isoTime(time);
    host = host == null ? Hosts.host() : host;
    progress = progress == null ? new Progress() : progress;
  }

  private static String isoTime(String time) {
    try {
      return OffsetDateTime.parse(time).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot time "
              + time
              + " is not an ISO-8601 time with an offset, such as 2026-01-31T02:00:00Z");
    }
  }

  /** A request with the defaults: the source's target, no tags, now, this host. */
  public static BackupRequest of(Repository repository, String kind, Options options) {
    return new BackupRequest(repository, kind, options, null, List.of(), null, null, null);
  }

  /** The options as the provider's record type; a request of another type is refused. */
  public <T extends Options> T options(Class<T> type) {
    if (!type.isInstance(options)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a "
              + kind
              + " backup takes "
              + type.getSimpleName()
              + ", not "
              + options.getClass().getSimpleName());
    }
    return type.cast(options);
  }

  /** The target the snapshot records: the request's, else {@code defaultTarget}. */
  public String targetOr(String defaultTarget) {
    return target != null ? target : defaultTarget;
  }

  /**
   * The snapshot to commit ({@link dev.roadie.core.repo.BackupWriter#commit}, which fills in the
   * statistics): this request's kind, time, tags and host, the current user, and the source's own
   * parts.
   *
   * @param defaultTarget the target when the request names none
   * @param paths what was read, as the user would recognise it (paths, a URL without credentials)
   * @param tree the root tree
   * @param parent the snapshot this one was made against (its unchanged parts reused), or null
   * @param metadata the source's facts about this snapshot
   */
  public Snapshot draft(
      String defaultTarget, List<String> paths, Id tree, Id parent, SourceMetadata metadata) {
    return new Snapshot(
        Snapshot.VERSION,
        time,
        targetOr(defaultTarget),
        kind,
        host,
        Hosts.user(),
        tags,
        paths,
        tree.hex(),
        parent == null ? null : parent.hex(),
        null,
        SourceMetadata.toMap(metadata));
  }
}
