package dev.roadie.core.browse;

import java.util.Iterator;
import java.util.List;

/**
 * Entries of a snapshot in the browser's {@link SnapshotBrowser#order() order}, read as they are
 * needed (a bucket snapshot may hold millions). Close it when done: it may read ahead.
 */
public interface Entries extends Iterator<Entry>, AutoCloseable {

  /**
   * Does not descend into the directory {@link #next()} returned last (a walk only): a diff skips
   * directories whose trees are equal.
   */
  default void skipChildren() {}

  @Override
  default void close() {}

  /** A fixed list as entries. */
  static Entries of(List<Entry> list) {
    Iterator<Entry> it = list.iterator();
    return new Entries() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Entry next() {
        return it.next();
      }
    };
  }
}
