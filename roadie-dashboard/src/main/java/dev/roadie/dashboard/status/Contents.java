package dev.roadie.dashboard.status;

import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One page of what a snapshot holds directly below a path, as {@code roadie ls SNAPSHOT PATH} lists
 * it (the kind's {@link SnapshotBrowser}): files and directories, tables, databases, objects and
 * prefixes, Kubernetes objects by namespace and kind. Only what a plain listing shows (no older
 * object versions). Entries are read as the page needs them, so a prefix of 100,000 objects costs
 * one page's worth of rows (and a pass over the ones before it), never one giant page.
 *
 * @param path the path listed, as given ("" for the root)
 * @param from how many entries come before this page
 * @param entries this page's entries, in the browser's order
 * @param more whether entries follow this page
 */
public record Contents(String path, long from, List<Entry> entries, boolean more) {
  /** Rows on one page. */
  public static final int PAGE = 200;

  public Contents {
    entries = List.copyOf(entries);
  }

  /**
   * The page of {@code snapshot} below {@code path} that starts after {@code from} entries. A path
   * that names nothing fails as {@code roadie ls} does (a {@code USAGE} error saying so).
   */
  public static Contents read(Repository repo, SnapshotRef snapshot, String path, long from)
      throws IOException {
    String at = path == null ? "" : path;
    long skip = Math.max(0, from);
    List<Entry> page = new ArrayList<>();
    try (Entries entries = Sources.browse(repo, snapshot).list(at)) {
      while (entries.hasNext()) {
        Entry e = entries.next();
        if (!e.current()) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        if (page.size() == PAGE) return new Contents(at, Math.max(0, from), page, true);
        page.add(e);
      }
    }
    return new Contents(at, Math.max(0, from) - skip, page, false);
  }
}
