package dev.roadie.bucket;

import dev.roadie.core.Id;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The parent snapshot's entries, walked in step with the listing: {@link #find} must be asked for
 * names in listing order. Keeps only the entries of the current name. A parent that cannot be read
 * is passed over from there on (its objects are downloaded instead): a parent only saves reading.
 */
final class ParentObjects implements AutoCloseable {
  private final ObjectPages.Reader reader;
  private Node next;
  private String groupName;
  private final List<Node> group = new ArrayList<>();
  private boolean broken;

  ParentObjects(Repository repo, SnapshotRef parent) {
    ObjectPages.Reader r = null;
    if (parent != null) {
      try {
        r = new ObjectPages.Reader(repo, Id.parse(parent.snapshot().tree()));
      } catch (Exception e) {
        r = null;
      }
    }
    this.reader = r;
    this.broken = r == null;
  }

  /**
   * The parent's entry of {@code name} and {@code versionId} (null: the only one of the name), or
   * null.
   */
  Node find(String name, String versionId) {
    if (broken) return null;
    try {
      if (!name.equals(groupName)) advance(name);
    } catch (RuntimeException e) {
      broken = true;
      return null;
    }
    for (Node n : group) {
      Object v = n.meta() == null ? null : n.meta().get("versionId");
      if (Objects.equals(v == null ? null : v.toString(), versionId)) return n;
    }
    return null;
  }

  private void advance(String name) {
    groupName = name;
    group.clear();
    while (true) {
      if (next == null) {
        if (!reader.hasNext()) return;
        next = reader.next();
      }
      int c = Keys.compare(next.name(), name);
      if (c > 0) return;
      if (c == 0) group.add(next);
      next = null;
    }
  }

  @Override
  public void close() {
    if (reader != null) reader.close();
  }
}
