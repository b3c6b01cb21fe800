package dev.roadie.core.prune;

import dev.roadie.core.Id;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * What prune knows of the index and the packs: every index file and the packs it names, one chosen
 * copy of each blob in a {@link BlobIndex} (the "canonical" copy), the other copies of blobs stored
 * more than once, and the packs in storage with their sizes.
 *
 * <p>The canonical copy is one in a pack that exists and no plan names, if there is one; else one
 * in a pack that exists. Accounting counts a live blob only in its canonical copy's pack, so a pack
 * holding only spare copies counts as unused.
 */
final class IndexState {
  private static final int FILES_IN_FLIGHT = 4;

  final Repository repo;
  final BlobIndex index = new BlobIndex(1 << 16);

  /** Index file id → the packs it names. */
  final Map<Id, List<Id>> files = new HashMap<>();

  /**
   * Index file ids that some other index file lists as superseded (left by an interrupted prune).
   */
  final Set<Id> superseded = new HashSet<>();

  /** For blobs indexed in more than one pack: the copies other than the canonical one. */
  final Map<Id, List<BlobLocation>> spares = new HashMap<>();

  /** Packs in storage and their sizes. */
  Map<Id, Long> stored = new HashMap<>();

  private Set<Id> planned = Set.of();

  IndexState(Repository repo) {
    this.repo = repo;
  }

  /**
   * Loads the index files not loaded yet, then lists packs (after the index files: a pack an index
   * file names was written before it), and chooses canonical copies anew.
   */
  void refresh(Set<Id> plannedPacks) throws IOException {
    this.planned = plannedPacks;
    List<ObjectInfo> listed = repo.backend().list(ObjectKind.INDEX);
    ArrayDeque<Map.Entry<Id, Future<IndexFile.Decoded>>> window = new ArrayDeque<>();
    int next = 0;
    while (next < listed.size() || !window.isEmpty()) {
      while (window.size() < FILES_IN_FLIGHT && next < listed.size()) {
        ObjectName name = listed.get(next++).name();
        Id id = Id.parse(name.id());
        if (files.containsKey(id)) continue;
        window.add(Map.entry(id, repo.io().submit(() -> repo.readIndexFile(name))));
      }
      if (window.isEmpty()) break;
      var e = window.poll();
      IndexFile.Decoded d;
      try {
        d = e.getValue().get();
      } catch (ExecutionException ex) {
        if (ex.getCause() instanceof dev.roadie.core.backend.NoSuchObjectException) continue;
        throw new dev.roadie.core.RoadieException(
            dev.roadie.core.ErrorCode.INTEGRITY,
            "index "
                + e.getKey().shortHex()
                + " cannot be read: "
                + ex.getCause().getMessage()
                + "; prune deletes nothing while the index is damaged "
                + "(run 'roadie check', see docs/runbooks/repository-damage.md)",
            ex.getCause());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while loading the index", ex);
      }
      add(e.getKey(), d);
    }
    Map<Id, Long> packs = new HashMap<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.PACK)) {
      packs.put(Id.parse(info.name().id()), info.size());
    }
    stored = packs;
    chooseCanonical(Set.of());
  }

  /** Records an index file written by this prune (its content is already in {@link #index}). */
  void addFile(Id file, List<Id> packs) {
    files.put(file, List.copyOf(packs));
  }

  private void add(Id file, IndexFile.Decoded d) {
    List<Id> packs = new ArrayList<>(d.packs().size());
    for (IndexFile.PackEntries p : d.packs()) {
      packs.add(p.packId());
      int number = index.addPack(p.packId(), p.type());
      for (IndexFile.BlobEntry b : p.blobs()) {
        if (!index.add(b.id(), number, b.offset(), b.length(), b.rawLength(), b.bases())) {
          BlobLocation canonical = index.get(b.id());
          if (!canonical.packId().equals(p.packId())) {
            spares
                .computeIfAbsent(b.id(), k -> new ArrayList<>(1))
                .add(
                    new BlobLocation(
                        b.id(),
                        p.type(),
                        p.packId(),
                        b.offset(),
                        b.length(),
                        b.rawLength(),
                        b.bases()));
          }
        }
      }
    }
    files.put(file, packs);
    superseded.addAll(d.supersedes());
  }

  /**
   * 2: stored and in no plan nor in {@code avoid}; 1: stored, not in {@code avoid}; 0: otherwise.
   */
  private int rank(Id pack, Set<Id> avoid) {
    if (!stored.containsKey(pack) || avoid.contains(pack)) return 0;
    return planned.contains(pack) ? 1 : 2;
  }

  /**
   * Makes the best copy of each blob stored more than once its canonical copy, avoiding {@code
   * avoid}.
   */
  void chooseCanonical(Set<Id> avoid) {
    for (Map.Entry<Id, List<BlobLocation>> e : spares.entrySet()) {
      BlobLocation current = index.get(e.getKey());
      int best = rank(current.packId(), avoid);
      BlobLocation bestLoc = null;
      for (BlobLocation s : e.getValue()) {
        int r = rank(s.packId(), avoid);
        if (r > best) {
          best = r;
          bestLoc = s;
        }
      }
      if (bestLoc != null) {
        List<BlobLocation> list = e.getValue();
        list.remove(bestLoc);
        list.add(current);
        relocate(bestLoc);
      }
    }
  }

  void relocate(BlobLocation to) {
    int number = index.addPack(to.packId(), to.type());
    index.relocate(to.blobId(), number, to.offset(), to.length(), to.rawLength(), to.bases());
  }

  /** Whether the blob has a copy in a stored pack outside {@code packs}. */
  boolean hasCopyOutside(Id blob, Set<Id> packs) {
    BlobLocation c = index.get(blob);
    if (c != null && stored.containsKey(c.packId()) && !packs.contains(c.packId())) return true;
    for (BlobLocation s : spares.getOrDefault(blob, List.of())) {
      if (stored.containsKey(s.packId()) && !packs.contains(s.packId())) return true;
    }
    return false;
  }

  /**
   * The index entries of {@code packs}: every blob whose canonical copy is in one of them, grouped
   * per pack, in batches of about {@code maxBlobs} blobs (a whole pack never split), so that one
   * index file of a batch stays small. Spare copies are left out: they are unreferenced entries.
   */
  List<List<IndexFile.PackEntries>> entriesOf(Set<Id> packs, int maxBlobs) {
    Map<Id, Integer> counts = new HashMap<>();
    index.forEach(
        loc -> {
          if (packs.contains(loc.packId())) counts.merge(loc.packId(), 1, Integer::sum);
        });
    List<Set<Id>> batches = new ArrayList<>();
    Set<Id> batch = new HashSet<>();
    int n = 0;
    for (var e : counts.entrySet()) {
      if (n > 0 && n + e.getValue() > maxBlobs) {
        batches.add(batch);
        batch = new HashSet<>();
        n = 0;
      }
      batch.add(e.getKey());
      n += e.getValue();
    }
    if (!batch.isEmpty()) batches.add(batch);
    List<List<IndexFile.PackEntries>> out = new ArrayList<>();
    for (Set<Id> b : batches) {
      Map<Id, List<IndexFile.BlobEntry>> blobs = new HashMap<>();
      Map<Id, BlobType> types = new HashMap<>();
      index.forEach(
          loc -> {
            if (b.contains(loc.packId())) {
              blobs
                  .computeIfAbsent(loc.packId(), k -> new ArrayList<>())
                  .add(
                      new IndexFile.BlobEntry(
                          loc.blobId(), loc.offset(), loc.length(), loc.rawLength(), loc.bases()));
              types.put(loc.packId(), loc.type());
            }
          });
      List<IndexFile.PackEntries> file = new ArrayList<>();
      for (var e : blobs.entrySet()) {
        List<IndexFile.BlobEntry> l = e.getValue();
        l.sort(java.util.Comparator.comparingLong(IndexFile.BlobEntry::offset));
        file.add(new IndexFile.PackEntries(e.getKey(), types.get(e.getKey()), l));
      }
      out.add(file);
    }
    return out;
  }
}
