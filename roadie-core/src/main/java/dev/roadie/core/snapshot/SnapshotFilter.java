package dev.roadie.core.snapshot;

import dev.roadie.core.Redact;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Narrows snapshots by target name, source kind and tags (all given tags must be present). A
 * snapshot is of the target when its recorded target is {@code target} itself or, for its kind, one
 * of {@code targetNames}: the names a backup records for what the user typed (a URL given with a
 * user, password or parameters, which the snapshot records without; see
 * dev.roadie.core.source.Sources#targetNames).
 */
public record SnapshotFilter(
    String target, String kind, List<String> tags, Map<String, Set<String>> targetNames) {
  public static final SnapshotFilter ALL = new SnapshotFilter(null, null, List.of());

  public SnapshotFilter {
    tags = tags == null ? List.of() : List.copyOf(tags);
    targetNames = targetNames == null ? Map.of() : Map.copyOf(targetNames);
  }

  /** A filter that matches the target by its exact name only. */
  public SnapshotFilter(String target, String kind, List<String> tags) {
    this(target, kind, tags, Map.of());
  }

  public boolean matches(Snapshot s) {
    return (target == null
            || target.equals(s.target())
            || targetNames.getOrDefault(s.kind(), Set.of()).contains(s.target()))
        && (kind == null || kind.equals(s.kind()))
        && (tags.isEmpty() || (s.tags() != null && s.tags().containsAll(tags)));
  }

  public boolean isEmpty() {
    return target == null && kind == null && tags.isEmpty();
  }

  /** The filter as messages show it; a target URL's password is hidden. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (target != null) b.append(" target=").append(Redact.url(target));
    if (kind != null) b.append(" kind=").append(kind);
    if (!tags.isEmpty()) b.append(" tags=").append(String.join(",", tags));
    return b.isEmpty() ? "" : b.substring(1);
  }
}
