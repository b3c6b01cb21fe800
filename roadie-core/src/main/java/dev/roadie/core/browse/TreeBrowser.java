package dev.roadie.core.browse;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The browser of a snapshot whose tree is its listing (files, a data directory, Kubernetes
 * objects): each node an entry, directories read one tree at a time as a walk reaches them. A kind
 * that names its nodes' meaning overrides {@link #entry}.
 */
public class TreeBrowser implements SnapshotBrowser {
  protected final Repository repo;
  protected final SnapshotRef snapshot;

  public TreeBrowser(Repository repo, SnapshotRef snapshot) {
    this.repo = repo;
    this.snapshot = snapshot;
  }

  /**
   * The entry of {@code node} at {@code path}, {@code depth} segments below the root (1 for the
   * root's nodes).
   */
  protected Entry entry(String path, Node node, int depth) {
    Map<String, Object> details = new LinkedHashMap<>();
    if (node.uid() != null) details.put("uid", node.uid());
    if (node.gid() != null) details.put("gid", node.gid());
    if (node.linkTarget() != null) details.put("linkTarget", node.linkTarget());
    if (node.meta() != null) details.putAll(node.meta());
    return new Entry(
        path,
        node.type(),
        node.size(),
        node.mode(),
        node.mtime(),
        contentId(node),
        null,
        true,
        details);
  }

  /**
   * The identity of a node's content: for a file or stream a SHA-256 of the ids of its chunks (or
   * chunk lists) in order, for a directory its tree's id; null for anything else.
   */
  public static String contentId(Node node) {
    if (Node.DIR.equals(node.type())) return node.subtree();
    if (!node.hasContent()) return null;
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      if (node.content() != null) {
        for (String id : node.content()) d.update(id.getBytes(StandardCharsets.US_ASCII));
      }
      d.update((byte) '|');
      if (node.contentLists() != null) {
        for (String id : node.contentLists()) d.update(id.getBytes(StandardCharsets.US_ASCII));
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Entries list(String path) throws IOException {
    Located at = locate(path);
    if (at.node != null && !Node.DIR.equals(at.node.type())) {
      return Entries.of(List.of(entry(at.path, at.node, at.depth)));
    }
    Id tree = at.node == null ? Id.parse(snapshot.snapshot().tree()) : Id.parse(at.node.subtree());
    List<Entry> out = new ArrayList<>();
    for (Node n : repo.readTree(tree).nodes())
      out.add(entry(join(at.path, n.name()), n, at.depth + 1));
    return Entries.of(out);
  }

  @Override
  public Entries walk(String path) throws IOException {
    Located at = locate(path);
    if (at.node != null && !Node.DIR.equals(at.node.type())) {
      return Entries.of(List.of(entry(at.path, at.node, at.depth)));
    }
    Id tree = at.node == null ? Id.parse(snapshot.snapshot().tree()) : Id.parse(at.node.subtree());
    return new Walk(at.path, at.depth, repo.readTree(tree));
  }

  private record Located(String path, Node node, int depth) {}

  /** The node at {@code path} (null node: the root). */
  private Located locate(String path) throws IOException {
    Id tree = Id.parse(snapshot.snapshot().tree());
    Node node = null;
    StringBuilder at = new StringBuilder();
    int depth = 0;
    for (String segment : segments(path)) {
      if (node != null) {
        if (!Node.DIR.equals(node.type())) throw missing(path);
        tree = Id.parse(node.subtree());
      }
      node = find(repo.readTree(tree), segment);
      if (node == null) throw missing(path);
      if (!at.isEmpty()) at.append('/');
      at.append(segment);
      depth++;
    }
    return new Located(at.toString(), node, depth);
  }

  private static Node find(Tree tree, String name) {
    for (Node n : tree.nodes()) {
      if (n.name().equals(name)) return n;
    }
    return null;
  }

  /**
   * The segments of a path as a user gives it: empty segments (leading, trailing or doubled '/')
   * dropped.
   */
  public static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    if (path == null) return out;
    for (String s : path.split("/", -1)) {
      if (!s.isEmpty()) out.add(s);
    }
    return out;
  }

  protected RoadieException missing(String path) {
    return new RoadieException(
        ErrorCode.USAGE,
        "snapshot "
            + snapshot.id().shortHex()
            + " holds nothing at '"
            + path
            + "'; 'roadie ls "
            + snapshot.id().shortHex()
            + "' lists what it holds");
  }

  static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** A depth-first walk that reads each directory's tree when it gets there (unless skipped). */
  private final class Walk implements Entries {
    private record Level(String path, int depth, Iterator<Node> nodes) {}

    private final ArrayDeque<Level> stack = new ArrayDeque<>();
    private Node pendingDir;
    private String pendingPath;
    private int pendingDepth;
    private Entry next;

    Walk(String path, int depth, Tree root) {
      stack.push(new Level(path, depth, root.nodes().iterator()));
    }

    @Override
    public boolean hasNext() {
      if (next != null) return true;
      try {
        if (pendingDir != null) {
          Node dir = pendingDir;
          pendingDir = null;
          stack.push(
              new Level(
                  pendingPath,
                  pendingDepth,
                  repo.readTree(Id.parse(dir.subtree())).nodes().iterator()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      while (!stack.isEmpty()) {
        Level top = stack.peek();
        if (!top.nodes.hasNext()) {
          stack.pop();
          continue;
        }
        Node n = top.nodes.next();
        String p = join(top.path, n.name());
        next = entry(p, n, top.depth + 1);
        if (Node.DIR.equals(n.type()) && n.subtree() != null) {
          pendingDir = n;
          pendingPath = p;
          pendingDepth = top.depth + 1;
        }
        return true;
      }
      return false;
    }

    @Override
    public Entry next() {
      if (!hasNext()) throw new NoSuchElementException();
      Entry e = next;
      next = null;
      return e;
    }

    @Override
    public void skipChildren() {
      pendingDir = null;
    }
  }
}
