package dev.roadie.core.snapshot;

import java.util.List;

/** Narrows snapshots by target name, source kind and tags (all given tags must be present). */
public record SnapshotFilter(String target, String kind, List<String> tags) {
  public static final SnapshotFilter ALL = new SnapshotFilter(null, null, List.of());

  public SnapshotFilter {
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  public boolean matches(Snapshot s) {
    return (target == null || target.equals(s.target()))
        && (kind == null || kind.equals(s.kind()))
        && (tags.isEmpty() || (s.tags() != null && s.tags().containsAll(tags)));
  }

  public boolean isEmpty() {
    return target == null && kind == null && tags.isEmpty();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (target != null) b.append(" target=").append(target);
    if (kind != null) b.append(" kind=").append(kind);
    if (!tags.isEmpty()) b.append(" tags=").append(String.join(",", tags));
    return b.isEmpty() ? "" : b.substring(1);
  }
}
