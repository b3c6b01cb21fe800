package dev.roadie.kubernetes.objects;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;

/**
 * Reads the objects of a {@code k8s} snapshot back: the layout of {@link ObjectPaths}, each file
 * read and verified against its chunk ids, several at once.
 */
public final class SnapshotObjects {
  private static final int PARALLEL_READS = 32;

  private SnapshotObjects() {}

  /** Where one object lies in the snapshot, before its content is read. */
  public record Entry(String namespace, String kind, String name, Node node) {
    public String path() {
      return ObjectPaths.path(namespace, kind, name);
    }
  }

  /** Every object's place in the snapshot, in path order, without reading their content. */
  public static List<Entry> list(Repository repo, Snapshot snapshot) throws IOException {
    List<Entry> out = new ArrayList<>();
    Tree root = repo.readTree(Id.parse(snapshot.tree()));
    for (Node top : root.nodes()) {
      if (!Node.DIR.equals(top.type())) continue;
      String namespace = ObjectPaths.CLUSTER.equals(top.name()) ? null : top.name();
      for (Node kind : repo.readTree(Id.parse(top.subtree())).nodes()) {
        if (!Node.DIR.equals(kind.type())) continue;
        for (Node file : repo.readTree(Id.parse(kind.subtree())).nodes()) {
          if (!file.hasContent() || !file.name().endsWith(ObjectPaths.SUFFIX)) continue;
          String name =
              file.name().substring(0, file.name().length() - ObjectPaths.SUFFIX.length());
          out.add(new Entry(namespace, kind.name(), name, file));
        }
      }
    }
    return out;
  }

  /** The objects {@code which} selects, read in parallel, in path order. */
  public static List<StoredObject> read(Repository repo, Snapshot snapshot, Predicate<Entry> which)
      throws IOException {
    List<Entry> entries = list(repo, snapshot).stream().filter(which).toList();
    List<Future<StoredObject>> futures = new ArrayList<>(entries.size());
    Semaphore slots = new Semaphore(PARALLEL_READS);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Entry e : entries) {
        futures.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    return new StoredObject(
                        e.namespace(), e.kind(), e.name(), content(repo, e.node(), e.path()));
                  } finally {
                    slots.release();
                  }
                }));
      }
      List<StoredObject> out = new ArrayList<>(entries.size());
      for (Future<StoredObject> f : futures) out.add(Repository.await(f));
      return out;
    }
  }

  /** A file node's bytes, verified. */
  public static byte[] content(Repository repo, Node node, String what) throws IOException {
    if (node.content() != null && node.content().size() == 1) {
      byte[] data = repo.readBlob(Id.parse(node.content().get(0)));
      if (node.size() != null && data.length != node.size()) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            what + ": stored as " + node.size() + " bytes, read " + data.length);
      }
      return data;
    }
    try (InputStream in = new ContentReader(repo, node, what)) {
      return in.readAllBytes();
    }
  }
}
