package dev.roadie.core.repo;

import dev.roadie.core.Id;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * The same stream in the parent snapshot (same target and kind, the newest earlier snapshot): its
 * chunk ids and lengths in order. {@link BackupWriter#writeStream(java.io.InputStream,
 * dev.roadie.core.chunk.ChunkerParams, ParentStream)} stores a changed chunk as a delta against the
 * parent chunk at the same place (docs/repository-format.md §6).
 */
public record ParentStream(List<Id> chunks, int[] lengths) {
  public ParentStream {
    chunks = List.copyOf(chunks);
    if (chunks.size() != lengths.length) throw new IllegalArgumentException("one length per chunk");
  }

  /**
   * The chunk list of {@code node} (a file or stream), or null when it has no content or a chunk of
   * it is not indexed (such a parent is not worth a delta).
   */
  public static ParentStream of(Repository repo, Node node) throws IOException {
    if (node == null || !node.hasContent()) return null;
    BlobIndex index = repo.index();
    List<Id> ids = new ArrayList<>();
    Iterator<Id> it = ContentReader.chunkIds(repo, node);
    while (it.hasNext()) ids.add(it.next());
    int[] lengths = new int[ids.size()];
    for (int i = 0; i < lengths.length; i++) {
      BlobLocation loc = index.get(ids.get(i));
      if (loc == null) return null;
      lengths[i] = loc.rawLength();
    }
    return ids.isEmpty() ? null : new ParentStream(ids, lengths);
  }

  /**
   * The root tree of the newest snapshot of {@code target} and {@code kind}, as a lookup of streams
   * by path; {@link Finder#NONE} when there is none. Unreadable snapshots are skipped: a parent
   * only makes a backup smaller, it is never needed.
   */
  public static Finder parentOf(Repository repo, String target, String kind) throws IOException {
    return parentOf(repo, target, kind, s -> true);
  }

  /** As {@link #parentOf(Repository, String, String)}, among the snapshots {@code accept} takes. */
  public static Finder parentOf(
      Repository repo,
      String target,
      String kind,
      java.util.function.Predicate<dev.roadie.core.snapshot.Snapshot> accept)
      throws IOException {
    SnapshotRef best = null;
    for (SnapshotRef s : repo.snapshots(new ArrayList<>())) {
      if (Objects.equals(s.snapshot().target(), target)
          && Objects.equals(s.snapshot().kind(), kind)
          && accept.test(s.snapshot())) {
        best = s; // oldest first: the last match is the newest
      }
    }
    return best == null ? Finder.NONE : Finder.of(repo, best);
  }

  /** Finds streams of one parent snapshot by path. */
  public static final class Finder {
    public static final Finder NONE = new Finder(null, null, null);
    private final Repository repo;
    private final Id root;
    private final Id snapshot;
    private final java.util.Map<Id, Tree> trees = new java.util.concurrent.ConcurrentHashMap<>();

    private Finder(Repository repo, Id root, Id snapshot) {
      this.repo = repo;
      this.root = root;
      this.snapshot = snapshot;
    }

    /** A finder over the snapshot {@code ref}, chosen by the caller. */
    public static Finder of(Repository repo, SnapshotRef ref) {
      return new Finder(repo, Id.parse(ref.snapshot().tree()), ref.id());
    }

    /** The parent snapshot's id, or null. */
    public Id snapshot() {
      return snapshot;
    }

    /**
     * The stream at {@code path} (directory names, then the stream's name) in the parent snapshot,
     * or null when there is no such stream or it cannot be read.
     */
    public ParentStream stream(String... path) {
      try {
        return ParentStream.of(repo, node(path));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /**
     * The node at {@code path} in the parent snapshot, or null when there is none or it cannot be
     * read.
     */
    public Node node(String... path) {
      if (root == null) return null;
      try {
        Id tree = root;
        for (int i = 0; i < path.length; i++) {
          Node found = null;
          Tree t = trees.get(tree);
          if (t == null) {
            t = repo.readTree(tree);
            trees.put(tree, t);
          }
          for (Node n : t.nodes()) {
            if (n.name().equals(path[i])) found = n;
          }
          if (found == null) return null;
          if (i == path.length - 1) return found;
          if (found.subtree() == null) return null;
          tree = Id.parse(found.subtree());
        }
        return null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }
}
