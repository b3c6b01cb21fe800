package dev.roadie.core.copy;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Copies snapshots from one repository into another, re-encrypted under the destination's keys.
 *
 * <p>Blob ids are keyed hashes under each repository's own id key, and each repository's chunker
 * has its own gear table, so a source blob id means nothing in the destination. Each chunk is read
 * and decrypted, its plaintext hashed under the destination's id key, and stored only if the
 * destination lacks it; trees and chunk lists are rewritten with the new ids. Chunk boundaries stay
 * the source's: copying needs neither the source's chunker parameters (not recorded) nor a second
 * compression, and every copy of the same data yields the same destination blobs, so repeated
 * copies deduplicate completely. (Data backed up directly into the destination is chunked with its
 * own gear table and does not deduplicate against copied data.)
 *
 * <p>A copied snapshot keeps the original's statistics and records the copy itself (the repository
 * and snapshot it was read from, when, what the copy read and added) in {@link Snapshot.Copy}. It
 * records its origin (repository id and snapshot id where it was first written) under {@code
 * source.copiedFrom}; snapshots whose origin the destination already holds are skipped, so copying
 * again is cheap and idempotent. To avoid re-reading data that an earlier copy already brought
 * over, the newest earlier copy of the same target is walked side by side with its original
 * (metadata only), which maps the source's blob ids to the destination's.
 */
public final class SnapshotCopier {
  public static final String COPIED_FROM = "copiedFrom";
  private static final int READS_IN_FLIGHT = 32;

  /** Where a snapshot was first written. */
  public record Origin(String repository, String snapshot) {}

  public record Copied(
      String from,
      String to,
      String target,
      String time,
      long bytesRead,
      long bytesAdded,
      long blobsAdded) {}

  /**
   * {@code sideObjects}: what the sources' {@link SourceProvider#copy} hooks carried (a cluster's
   * archived WAL), before any snapshot was copied.
   */
  public record Result(
      List<SideObjects.Carried> sideObjects, List<Copied> copied, List<String> skipped) {}

  private final Repository from;
  private final Repository to;
  private final Consumer<String> log;
  private final Map<Id, Id> trees = new HashMap<>();
  private final Map<Id, Id> chunks = new HashMap<>();

  public SnapshotCopier(Repository from, Repository to, Consumer<String> log) {
    if (from.config().repositoryId().equals(to.config().repositoryId())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "source and destination are the same repository ("
              + to.backend().location()
              + "); copy needs two repositories");
    }
    this.from = from;
    this.to = to;
    this.log = log;
  }

  public static Origin origin(SnapshotRef s, Id repositoryId) {
    Map<String, Object> src = s.snapshot().source();
    if (src != null
        && src.get(COPIED_FROM) instanceof Map<?, ?> m
        && m.get("repository") instanceof String r
        && m.get("snapshot") instanceof String id) {
      return new Origin(r, id);
    }
    return new Origin(repositoryId.hex(), s.id().hex());
  }

  /**
   * Copies {@code snapshots} (of the source), oldest first; skips those the destination holds. Each
   * source first carries the side objects they need ({@link SourceProvider#copy}), so a copied
   * snapshot never shows in the destination without them; the skipped ones are passed too, so that
   * what an earlier copy carried is brought up to date.
   */
  public Result copy(List<SnapshotRef> snapshots) throws IOException {
    List<SideObjects.Carried> carried = new ArrayList<>();
    for (SourceProvider source : Sources.all()) {
      carried.addAll(source.copy(new SideObjects.Copy(from, to, snapshots)));
    }
    Id fromId = from.config().repositoryId();
    Id toId = to.config().repositoryId();
    Map<Origin, SnapshotRef> present = new LinkedHashMap<>();
    for (SnapshotRef d : to.snapshots(null)) present.put(origin(d, toId), d);
    Map<Origin, SnapshotRef> sources = new HashMap<>();
    for (SnapshotRef s : from.snapshots(null)) sources.put(origin(s, fromId), s);
    List<Copied> copied = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    java.util.Set<String> zipped = new java.util.HashSet<>();
    for (SnapshotRef s : snapshots) {
      Origin o = origin(s, fromId);
      if (present.containsKey(o)) {
        skipped.add(s.id().hex());
        log.accept(
            "snapshot "
                + s.id().shortHex()
                + " is already in the destination as "
                + present.get(o).id().shortHex()
                + "; skipped");
        continue;
      }
      if (zipped.add(s.snapshot().target()))
        learnFromEarlierCopy(s.snapshot().target(), present, sources);
      log.accept(
          "copying snapshot "
              + s.id().shortHex()
              + " ("
              + s.snapshot().target()
              + ", "
              + s.snapshot().time()
              + ")");
      Progress progress = new Progress();
      Id newId;
      try (BackupWriter w = new BackupWriter(to, progress)) {
        Id tree = copyTree(w, Id.parse(s.snapshot().tree()));
        Map<String, Object> source =
            new LinkedHashMap<>(s.snapshot().source() == null ? Map.of() : s.snapshot().source());
        source.put(COPIED_FROM, Map.of("repository", o.repository(), "snapshot", o.snapshot()));
        Snapshot in = s.snapshot();
        // The copy keeps the original's statistics (they describe the backup); its own work is
        // recorded apart.
        newId =
            w.commit(
                measured ->
                    new Snapshot(
                        Snapshot.VERSION,
                        in.time(),
                        in.target(),
                        in.kind(),
                        in.host(),
                        in.user(),
                        in.tags(),
                        in.paths(),
                        tree.hex(),
                        null,
                        in.stats(),
                        source,
                        new Snapshot.Copy(
                            fromId.hex(),
                            s.id().hex(),
                            Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(),
                            measured)));
      }
      SnapshotRef written = to.readSnapshot(newId);
      present.put(o, written);
      Snapshot.Stats st = written.snapshot().copy().stats();
      copied.add(
          new Copied(
              s.id().hex(),
              newId.hex(),
              s.snapshot().target(),
              s.snapshot().time(),
              st.bytesRead(),
              st.bytesAdded(),
              st.blobsAdded()));
    }
    return new Result(List.copyOf(carried), copied, skipped);
  }

  /**
   * Maps source ids to destination ids from the newest earlier copy of {@code target} whose
   * original is still in the source: the two trees have the same shape, so walking them side by
   * side pairs every tree and chunk (only metadata is read).
   */
  private void learnFromEarlierCopy(
      String target, Map<Origin, SnapshotRef> present, Map<Origin, SnapshotRef> sources)
      throws IOException {
    SnapshotRef bestCopy = null;
    SnapshotRef bestOriginal = null;
    for (Map.Entry<Origin, SnapshotRef> e : present.entrySet()) {
      SnapshotRef original = sources.get(e.getKey());
      if (original != null
          && Objects.equals(e.getValue().snapshot().target(), target)
          && (bestCopy == null || e.getValue().time().isAfter(bestCopy.time()))) {
        bestCopy = e.getValue();
        bestOriginal = original;
      }
    }
    if (bestCopy != null) {
      pair(Id.parse(bestOriginal.snapshot().tree()), Id.parse(bestCopy.snapshot().tree()));
    }
  }

  private void pair(Id srcTree, Id dstTree) throws IOException {
    if (trees.putIfAbsent(srcTree, dstTree) != null) return;
    List<Node> a = from.readTree(srcTree).nodes();
    List<Node> b = to.readTree(dstTree).nodes();
    if (a.size() != b.size()) return;
    for (int i = 0; i < a.size(); i++) {
      Node x = a.get(i);
      Node y = b.get(i);
      if (!Objects.equals(x.name(), y.name())) return;
      if (x.subtree() != null && y.subtree() != null) {
        pair(Id.parse(x.subtree()), Id.parse(y.subtree()));
      } else if (x.hasContent() && y.hasContent()) {
        Iterator<Id> p = ContentReader.chunkIds(from, x);
        Iterator<Id> q = ContentReader.chunkIds(to, y);
        while (p.hasNext() && q.hasNext()) chunks.put(p.next(), q.next());
      }
    }
  }

  private Id copyTree(BackupWriter w, Id srcTree) throws IOException {
    Id known = trees.get(srcTree);
    if (known != null && w.reuse(known)) {
      return known;
    }
    List<Node> nodes = new ArrayList<>();
    for (Node n : from.readTree(srcTree).nodes()) {
      if (n.subtree() != null) {
        nodes.add(with(n, null, null, copyTree(w, Id.parse(n.subtree())).hex()));
      } else if (n.hasContent()) {
        Content c = copyContent(w, n);
        w.progress().files.incrementAndGet();
        nodes.add(with(n, c.chunksHex(), c.chunkListsHex(), null));
      } else {
        nodes.add(n);
      }
    }
    Id id = w.writeTree(new Tree(nodes));
    trees.put(srcTree, id);
    return id;
  }

  private static Node with(Node n, List<String> content, List<String> lists, String subtree) {
    return new Node(
        n.name(),
        n.type(),
        n.size(),
        n.mode(),
        n.mtime(),
        n.uid(),
        n.gid(),
        n.linkTarget(),
        content,
        lists,
        subtree,
        n.meta(),
        n.ctime(),
        n.inode());
  }

  /** A chunk of the source: its id, and its destination id (known) or its bytes being read. */
  private record Slot(Id src, Id known, int length, Future<byte[]> bytes) {}

  private Content copyContent(BackupWriter w, Node n) throws IOException {
    BackupWriter.ContentBuilder content = w.newContent();
    Iterator<Id> ids = ContentReader.chunkIds(from, n);
    ArrayDeque<Slot> window = new ArrayDeque<>();
    while (ids.hasNext() || !window.isEmpty()) {
      while (ids.hasNext() && window.size() < READS_IN_FLIGHT) {
        Id src = ids.next();
        Id known = chunks.get(src);
        if (known != null && w.reuse(known)) {
          BlobLocation loc = from.index().get(src);
          window.add(new Slot(src, known, loc == null ? 0 : loc.rawLength(), null));
        } else {
          window.add(new Slot(src, null, 0, from.io().submit(() -> from.readBlob(src))));
        }
      }
      Slot s = window.poll();
      if (s.known() != null) {
        w.progress().bytesRead.addAndGet(s.length());
        content.chunk(s.known(), s.length());
      } else {
        byte[] data = await(s.bytes(), s.src(), n.name());
        Id id = w.writeChunk(data);
        chunks.put(s.src(), id);
        content.chunk(id, data.length);
      }
    }
    return content.finish();
  }

  private static byte[] await(Future<byte[]> f, Id blob, String name) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      String msg =
          "reading '" + name + "' from the source: blob " + blob.shortHex() + ": " + c.getMessage();
      if (c instanceof RoadieException r) throw new RoadieException(r.code(), msg, r);
      throw new IOException(msg, c);
    }
  }
}
