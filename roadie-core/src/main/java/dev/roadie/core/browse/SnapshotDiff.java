package dev.roadie.core.browse;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What changed from one snapshot to another of the same kind: entries added, removed, changed
 * (type, content or size; for entries without content such as a database, what the kind records of
 * them) and changed in attributes only (mode, time, owner, headers). Only {@link Entry#current()
 * current} entries are compared: a bucket's objects as a plain listing shows them. Both snapshots
 * are walked side by side in their browser's order, so memory stays flat; directories whose trees
 * are equal are not descended into.
 */
public final class SnapshotDiff {
  public static final String ADDED = "added";
  public static final String REMOVED = "removed";
  public static final String CHANGED = "changed";
  public static final String ATTRIBUTES = "attributes";

  private SnapshotDiff() {}

  /**
   * One difference. {@code fields} names what differs ({@code type}, {@code content}, {@code size},
   * {@code mode}, {@code mtime}, {@code version} and the names of differing details); {@code from}
   * is null for an added entry, {@code to} for a removed one.
   */
  public record Change(String status, String path, List<String> fields, Entry from, Entry to) {}

  /** Counts of each status. */
  public record Summary(long added, long removed, long changed, long attributes) {
    public boolean any() {
      return added + removed + changed + attributes > 0;
    }
  }

  /** Receives the changes in path order. */
  public interface Sink {
    void change(Change change) throws IOException;
  }

  /** Compares the whole of snapshot {@code from} with {@code to}, both of one kind. */
  public static Summary compare(SnapshotBrowser from, SnapshotBrowser to, Sink sink)
      throws IOException {
    Comparator<String> order = from.order();
    long[] counts = new long[4];
    try (Entries a = from.walk("");
        Entries b = to.walk("")) {
      Side left = new Side(a, order, "first");
      Side right = new Side(b, order, "second");
      while (left.peek() != null || right.peek() != null) {
        Entry x = left.peek();
        Entry y = right.peek();
        int c = x == null ? 1 : y == null ? -1 : order.compare(x.path(), y.path());
        if (c < 0) {
          left.take();
          counts[1]++;
          sink.change(new Change(REMOVED, x.path(), List.of(), x, null));
        } else if (c > 0) {
          right.take();
          counts[0]++;
          sink.change(new Change(ADDED, y.path(), List.of(), null, y));
        } else {
          left.take();
          right.take();
          if (x.container()
              && y.container()
              && x.content() != null
              && x.content().equals(y.content())) {
            left.entries.skipChildren();
            right.entries.skipChildren();
          }
          List<String> fields = differences(x, y);
          if (fields.isEmpty()) continue;
          boolean changed =
              fields.contains("type")
                  || fields.contains("content")
                  || fields.contains("size")
                  || (x.content() == null
                      && y.content() == null
                      && !x.container()
                      && fields.stream()
                          .anyMatch(f -> x.details().containsKey(f) || y.details().containsKey(f)));
          counts[changed ? 2 : 3]++;
          sink.change(new Change(changed ? CHANGED : ATTRIBUTES, x.path(), fields, x, y));
        }
      }
    }
    return new Summary(counts[0], counts[1], counts[2], counts[3]);
  }

  /**
   * The fields in which two entries at one path differ; a directory's tree id is not one (its
   * entries are).
   */
  static List<String> differences(Entry x, Entry y) {
    List<String> out = new ArrayList<>();
    if (!x.type().equals(y.type())) out.add("type");
    if (!x.container() && !Objects.equals(x.content(), y.content())) out.add("content");
    if (!Objects.equals(x.size(), y.size())) out.add("size");
    if (!Objects.equals(x.mode(), y.mode())) out.add("mode");
    if (!Objects.equals(x.mtime(), y.mtime())) out.add("mtime");
    if (!Objects.equals(x.version(), y.version())) out.add("version");
    TreeSet<String> keys = new TreeSet<>(x.details().keySet());
    keys.addAll(y.details().keySet());
    for (String k : keys) {
      if (!Objects.equals(x.details().get(k), y.details().get(k))) out.add(k);
    }
    return out;
  }

  /** One snapshot's current entries with one entry of look-ahead, checked to come in order. */
  private static final class Side {
    final Entries entries;
    private final Comparator<String> order;
    private final String which;
    private Entry head;
    private String last;

    Side(Entries entries, Comparator<String> order, String which) {
      this.entries = entries;
      this.order = order;
      this.which = which;
    }

    Entry peek() {
      while (head == null && entries.hasNext()) {
        Entry e = entries.next();
        if (!e.current()) continue;
        if (last != null && order.compare(last, e.path()) >= 0) {
          // A merge of entries out of order would report what did not change; refuse instead.
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              "the "
                  + which
                  + " snapshot lists '"
                  + e.path()
                  + "' after '"
                  + last
                  + "': its entries are not in order, so it cannot be compared");
        }
        last = e.path();
        head = e;
      }
      return head;
    }

    void take() {
      head = null;
    }
  }

  /** For tests and callers that want the changes at once. */
  public static List<Change> all(SnapshotBrowser from, SnapshotBrowser to) throws IOException {
    List<Change> out = new ArrayList<>();
    compare(from, to, out::add);
    return out;
  }
}
