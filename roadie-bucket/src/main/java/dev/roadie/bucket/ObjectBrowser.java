package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.browse.TreeBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What a {@code bucket} snapshot holds: its objects by key (relative to the backed-up prefix),
 * every recorded version and delete marker among them ({@link Entry#current()} false for all but
 * the objects a plain listing shows now), and, when listing a path, the prefixes one level down
 * ({@code photos/}), as an S3 listing with delimiter '/' gives them, with the objects and bytes
 * below each. Entries come in key order (S3's: by UTF-8 bytes), read page by page.
 */
final class ObjectBrowser implements SnapshotBrowser {
  private final Repository repo;
  private final SnapshotRef snapshot;

  ObjectBrowser(Repository repo, SnapshotRef snapshot) {
    this.repo = repo;
    this.snapshot = snapshot;
  }

  /** The order in which S3 lists keys, and a bucket snapshot records them ({@link Keys}). */
  @Override
  public Comparator<String> order() {
    return Keys.ORDER;
  }

  static Entry entry(Node n) {
    SnapshotObject o = SnapshotObject.of(n);
    Map<String, Object> details = new LinkedHashMap<>(n.meta() == null ? Map.of() : n.meta());
    details.remove("versionId");
    details.remove("latest");
    return new Entry(
        o.name(),
        o.deleteMarker() ? SnapshotObject.DELETE_MARKER : "object",
        o.deleteMarker() ? null : o.size(),
        null,
        n.mtime(),
        o.deleteMarker() ? null : TreeBrowser.contentId(n),
        o.versionId(),
        o.current(),
        details);
  }

  /** A path as given: a leading '/' is the snapshot's root, not part of a key. */
  private static String key(String path) {
    if (path == null) return "";
    int i = 0;
    while (i < path.length() && path.charAt(i) == '/') i++;
    return path.substring(i);
  }

  /** {@code path} as a prefix that ends with '/' ("" for the root). */
  private static String dir(String path) {
    return path.isEmpty() || path.endsWith("/") ? path : path + "/";
  }

  @Override
  public Entries list(String path) throws IOException {
    String p = key(path);
    Listing l = new Listing(p, dir(p), false);
    l.hasNext(); // reads up to the first entry, so a path that names nothing fails here
    return l;
  }

  @Override
  public Entries walk(String path) throws IOException {
    String p = key(path);
    Listing l = new Listing(p, dir(p), true);
    l.hasNext();
    return l;
  }

  /**
   * The entries at or below a path in one pass over the pages: the objects whose key is the path
   * itself (its versions) come first in key order, then those below {@code dir}; listing only one
   * level, a run of keys with the same next prefix becomes one prefix entry. Without anything below
   * {@code dir}, the objects named by the path itself are the listing.
   */
  private final class Listing implements Entries {
    private final String path;
    private final String dir;
    private final boolean deep;
    private final ObjectPages.Reader reader;
    private final ArrayDeque<Entry> exact = new ArrayDeque<>();
    private Node look;
    private Entry next;
    private boolean below;
    private boolean found;
    private boolean ended;

    Listing(String path, String dir, boolean deep) throws IOException {
      this.path = path;
      this.dir = dir;
      this.deep = deep;
      this.reader = new ObjectPages.Reader(repo, Id.parse(snapshot.snapshot().tree()), path);
    }

    /**
     * The next node at or below the path, or null past them (keys are in order, so the rest are
     * not).
     */
    private Node read() {
      if (look != null) {
        Node n = look;
        look = null;
        return n;
      }
      while (reader.hasNext()) {
        Node n = reader.next();
        String key = n.name();
        if (key.startsWith(dir) || key.equals(path)) return n;
        if (Keys.compare(key, path) > 0 && !key.startsWith(path)) return null;
      }
      return null;
    }

    @Override
    public boolean hasNext() {
      while (next == null && !ended) {
        Node n = read();
        if (n == null) {
          ended = true;
          if (!found && !path.isEmpty()) {
            throw new RoadieException(
                ErrorCode.USAGE,
                "snapshot "
                    + snapshot.id().shortHex()
                    + " holds no object at '"
                    + path
                    + "' and none below it; 'roadie ls "
                    + snapshot.id().shortHex()
                    + "' lists what it holds");
          }
          break;
        }
        found = true;
        String key = n.name();
        if (!key.startsWith(dir)) {
          // the path itself names an object (without a trailing '/'): listed only if nothing lies
          // below
          if (deep) next = entry(n);
          else exact.add(entry(n));
          continue;
        }
        below = true;
        int slash = key.indexOf('/', dir.length());
        if (deep || slash < 0) {
          next = entry(n);
        } else {
          next = prefix(key.substring(0, slash + 1), n);
        }
      }
      if (next == null && ended && !below && !deep && !exact.isEmpty()) next = exact.poll();
      return next != null;
    }

    /** One entry for the run of nodes under {@code prefix}, starting with {@code first}. */
    private Entry prefix(String prefix, Node first) {
      long objects = 0;
      long bytes = 0;
      boolean current = false;
      Node n = first;
      while (n != null && n.name().startsWith(prefix)) {
        Entry e = entry(n);
        if (e.current()) {
          current = true;
          objects++;
          bytes += e.size();
        }
        n = read();
      }
      look = n;
      if (n == null) ended = true;
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("objects", objects);
      return new Entry(prefix, Entry.PREFIX, bytes, null, null, null, null, current, details);
    }

    @Override
    public Entry next() {
      if (!hasNext()) throw new NoSuchElementException();
      Entry e = next;
      next = null;
      return e;
    }

    @Override
    public void close() {
      reader.close();
    }
  }
}
