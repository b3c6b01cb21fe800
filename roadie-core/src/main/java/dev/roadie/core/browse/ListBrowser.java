package dev.roadie.core.browse;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The browser of a snapshot whose few entries are known at once (the tables of a database, the
 * databases of a Redis server): {@link #entries()} gives them all, in {@link #order()}, each
 * directory before what it holds.
 */
public abstract class ListBrowser implements SnapshotBrowser {
  protected final SnapshotRef snapshot;

  protected ListBrowser(SnapshotRef snapshot) {
    this.snapshot = snapshot;
  }

  /** Every entry of the snapshot, in order. */
  protected abstract List<Entry> entries() throws IOException;

  @Override
  public Entries list(String path) throws IOException {
    return Entries.of(select(path, false));
  }

  @Override
  public Entries walk(String path) throws IOException {
    return Entries.of(select(path, true));
  }

  private List<Entry> select(String path, boolean deep) throws IOException {
    String p = String.join("/", TreeBrowser.segments(path));
    List<Entry> all = entries();
    List<Entry> out = new ArrayList<>();
    if (!p.isEmpty()) {
      Entry self = all.stream().filter(e -> e.path().equals(p)).findFirst().orElse(null);
      if (self == null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "snapshot "
                + snapshot.id().shortHex()
                + " holds nothing at '"
                + path
                + "'; 'roadie ls "
                + snapshot.id().shortHex()
                + "' lists what it holds");
      }
      if (!self.container()) return List.of(self);
    }
    String under = p.isEmpty() ? "" : p + "/";
    for (Entry e : all) {
      if (!e.path().startsWith(under)) continue;
      if (deep || e.path().indexOf('/', under.length()) < 0) out.add(e);
    }
    return out;
  }
}
