package dev.roadie.bucket;

import dev.roadie.core.Id;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The objects a restore of a bucket snapshot writes, in order: the current ones (the latest version
 * of each key, unless that is a delete marker) whose names {@code pattern} matches, each with its
 * node.
 */
final class SnapshotEntries implements Iterator<SnapshotEntries.Entry>, AutoCloseable {
  record Entry(SnapshotObject object, Node node) {}

  private final ObjectPages.Reader reader;
  private final KeyPattern pattern;
  private Entry next;

  SnapshotEntries(Repository repo, SnapshotRef snapshot, KeyPattern pattern) throws IOException {
    this.reader = new ObjectPages.Reader(repo, Id.parse(snapshot.snapshot().tree()));
    this.pattern = pattern;
  }

  @Override
  public boolean hasNext() {
    while (next == null && reader.hasNext()) {
      Node n = reader.next();
      SnapshotObject o = SnapshotObject.of(n);
      if (o.current() && pattern.matches(o.name())) next = new Entry(o, n);
    }
    return next != null;
  }

  @Override
  public Entry next() {
    if (!hasNext()) throw new NoSuchElementException();
    Entry e = next;
    next = null;
    return e;
  }

  /** The next entry without taking it, or null at the end. */
  Entry peek() {
    return hasNext() ? next : null;
  }

  @Override
  public void close() {
    reader.close();
  }
}
