package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The object list of a bucket snapshot: not one tree of millions of nodes but a sequence of bounded
 * pages (ordinary trees), in listing order, under a few levels of index pages
 * (docs/repository-format.md, "Bucket snapshots"). Written and read streaming, so memory stays flat
 * for any number of objects; {@code check}, {@code prune} and {@code copy} walk the pages as the
 * directories they are.
 *
 * <p>A page ends where the hash of its last entry's key says (content-defined, within bounds), so
 * that a change to a few objects rewrites only the pages around them: unchanged pages are the same
 * blobs as in the parent snapshot and are stored once.
 */
final class ObjectPages {
  /** Meta key of a page node: the level of the page it points to (0: a page of objects). */
  static final String LEVEL = "page";

  static final int LEAF_MIN = 16;
  static final int LEAF_AVG = 64;
  static final int LEAF_MAX = 512;
  static final int LEAF_MAX_BYTES = 512 << 10;
  static final int INDEX_MIN = 4;
  static final int INDEX_AVG = 32;
  static final int INDEX_MAX = 256;

  /** Pages of objects read ahead of the reader. */
  static final int READ_AHEAD = 8;

  private ObjectPages() {}

  /** Collects a snapshot's object nodes, in order, into pages. */
  static final class Writer {
    private final BackupWriter w;
    private final List<List<Node>> levels = new ArrayList<>();
    private final List<Long> bytes = new ArrayList<>();

    Writer(BackupWriter w) {
      this.w = w;
    }

    void add(Node object) throws IOException {
      add(0, object, (fnv(object) & (LEAF_AVG - 1)) == 0);
    }

    private void add(int level, Node n, boolean boundary) throws IOException {
      while (levels.size() <= level) {
        levels.add(new ArrayList<>());
        bytes.add(0L);
      }
      List<Node> nodes = levels.get(level);
      nodes.add(n);
      long b = bytes.get(level) + estimate(n);
      bytes.set(level, b);
      int min = level == 0 ? LEAF_MIN : INDEX_MIN;
      int max = level == 0 ? LEAF_MAX : INDEX_MAX;
      if ((boundary && nodes.size() >= min) || nodes.size() >= max || b >= LEAF_MAX_BYTES) {
        flush(level);
      }
    }

    private void flush(int level) throws IOException {
      List<Node> nodes = levels.get(level);
      if (nodes.isEmpty()) return;
      Id id = w.writeTree(new Tree(List.copyOf(nodes)));
      Node page =
          new Node(
              nodes.get(0).name(),
              Node.DIR,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              id.hex(),
              Map.of(LEVEL, level));
      nodes.clear();
      bytes.set(level, 0L);
      add(level + 1, page, (id.word(0) & (INDEX_AVG - 1)) == 0);
    }

    /**
     * Writes what is left and returns the root tree: the page nodes of the top level (none for an
     * empty list).
     */
    Id finish() throws IOException {
      for (int level = 0; ; level++) {
        boolean top = level == levels.size() - 1;
        if (levels.isEmpty() || (top && level == 0 && levels.get(0).isEmpty())) {
          return w.writeTree(new Tree(List.of()));
        }
        if (top && level > 0) {
          return w.writeTree(new Tree(List.copyOf(levels.get(level))));
        }
        flush(level);
      }
    }

    private static long fnv(Node n) {
      long h = 0xcbf29ce484222325L;
      String s = n.name();
      for (int i = 0; i < s.length(); i++) {
        h = (h ^ s.charAt(i)) * 0x100000001b3L;
      }
      Object version = n.meta() == null ? null : n.meta().get("versionId");
      if (version != null) {
        String v = version.toString();
        for (int i = 0; i < v.length(); i++) {
          h = (h ^ v.charAt(i)) * 0x100000001b3L;
        }
      }
      return h >>> 24;
    }

    /** About the JSON size of a node: enough to bound a page's bytes. */
    private static long estimate(Node n) {
      long b = 200 + 3L * n.name().length();
      if (n.content() != null) b += 67L * n.content().size();
      if (n.contentLists() != null) b += 67L * n.contentLists().size();
      if (n.meta() != null) {
        for (Object v : n.meta().values()) {
          if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet())
              b += 8 + 3L * (e.getKey().toString().length() + e.getValue().toString().length());
          } else if (v instanceof Collection<?> c) {
            for (Object x : c) b += 1 + 3L * String.valueOf(x).length();
          } else {
            b += 3L * String.valueOf(v).length();
          }
        }
      }
      return b;
    }
  }

  /**
   * The object nodes of a snapshot in order. Pages of objects are read a few ahead on I/O threads;
   * index pages (a handful per million objects) as they are reached.
   */
  static final class Reader implements Iterator<Node>, AutoCloseable {
    private final Repository repo;
    private final ArrayDeque<ListIterator<Node>> index = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Tree>> ahead = new ArrayDeque<>();
    private Iterator<Node> page = List.<Node>of().iterator();
    private boolean indexDone;

    /**
     * Until the first page of objects is found: pages whose keys all sort before this are skipped.
     */
    private String from;

    Reader(Repository repo, Id root) throws IOException {
      this(repo, root, null);
    }

    /**
     * A reader that starts at the page holding key {@code from} (null or "" for the first): index
     * pages name each page by its first key, so the pages before it are passed over unread. Nodes
     * before {@code from} in that page are still returned; the caller skips them.
     */
    Reader(Repository repo, Id root, String from) throws IOException {
      this.repo = repo;
      this.from = from == null || from.isEmpty() ? null : from;
      index.push(repo.readTree(root).nodes().listIterator());
      fill();
    }

    /** The id of the next page of objects, reading index pages as needed; null at the end. */
    private Id nextPage() throws IOException {
      while (!index.isEmpty()) {
        ListIterator<Node> it = index.peek();
        if (!it.hasNext()) {
          index.pop();
          continue;
        }
        Node n = it.next();
        if (from != null && it.hasNext()) {
          // Every key below n sorts before its next sibling's first key; strictly before 'from'
          // means none is 'from' (whose older versions may end a page) or after it.
          Node sibling = it.next();
          it.previous();
          if (Keys.compare(sibling.name(), from) < 0) continue;
        }
        Object level = n.meta() == null ? null : n.meta().get(LEVEL);
        if (!Node.DIR.equals(n.type())
            || n.subtree() == null
            || !(level instanceof Number l)
            || l.intValue() < 0) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              "bucket snapshot page entry '"
                  + n.name()
                  + "' is not a page: the snapshot's tree is damaged or not a bucket snapshot's");
        }
        Id sub = Id.parse(n.subtree());
        if (l.intValue() == 0) {
          from = null;
          return sub;
        }
        index.push(repo.readTree(sub).nodes().listIterator());
      }
      return null;
    }

    private void fill() throws IOException {
      while (!indexDone && ahead.size() < READ_AHEAD) {
        Id id = nextPage();
        if (id == null) {
          indexDone = true;
          break;
        }
        ahead.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return repo.readTree(id);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                },
                repo.io()));
      }
    }

    @Override
    public boolean hasNext() {
      try {
        while (!page.hasNext()) {
          fill();
          CompletableFuture<Tree> f = ahead.poll();
          if (f == null) return false;
          page = f.join().nodes().iterator();
        }
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (CompletionException e) {
        Throwable c = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        if (c instanceof RuntimeException r) throw r;
        throw new RoadieException(
            ErrorCode.FAILURE, "reading a page of the snapshot's objects: " + c.getMessage(), c);
      }
    }

    @Override
    public Node next() {
      if (!hasNext()) throw new NoSuchElementException();
      return page.next();
    }

    @Override
    public void close() {
      for (CompletableFuture<Tree> f : ahead) f.cancel(false);
      ahead.clear();
    }
  }
}
