package dev.roadie.core.browse;

import java.io.IOException;
import java.util.Comparator;

/**
 * What one snapshot holds, as its kind presents it: files and directories, tables, databases,
 * objects. Every kind's provider gives one ({@link dev.roadie.core.source.SourceProvider#browse});
 * the CLI's {@code ls}, {@code find} and {@code diff} and the dashboard read snapshots through it.
 * It reads only the snapshot's metadata (trees and the snapshot's source object), never content.
 *
 * <p>A {@code path} is one of the entries' paths, with or without a leading or trailing '/'; the
 * empty path is the snapshot's root. A path that names nothing fails with a {@code USAGE} error.
 */
public interface SnapshotBrowser {

  /**
   * The entries directly below {@code path} (a bucket prefix's objects and the prefixes one level
   * down), in {@link #order()}; for a path that names a leaf, that entry alone.
   */
  Entries list(String path) throws IOException;

  /**
   * Every entry below {@code path}, depth first in {@link #order()}: each directory right before
   * what it holds. For a path that names a leaf, that entry alone.
   */
  Entries walk(String path) throws IOException;

  /**
   * The order of paths in {@link #walk}: two walks of snapshots of one kind can be merged by it. By
   * default segment by segment, each segment in Java string order (the order of a tree).
   */
  default Comparator<String> order() {
    return SnapshotBrowser::compareSegments;
  }

  /**
   * Compares '/'-separated paths segment by segment, as a depth-first walk of sorted trees visits
   * them.
   */
  static int compareSegments(String a, String b) {
    int i = 0;
    int j = 0;
    while (true) {
      if (i >= a.length() || j >= b.length())
        return Integer.compare(a.length() - i, b.length() - j);
      int ea = a.indexOf('/', i);
      int eb = b.indexOf('/', j);
      if (ea < 0) ea = a.length();
      if (eb < 0) eb = b.length();
      int c = a.substring(i, ea).compareTo(b.substring(j, eb));
      if (c != 0) return c;
      i = ea + 1;
      j = eb + 1;
    }
  }
}
