package dev.roadie.core.prune;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.NoSuchObjectException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackFormat;
import dev.roadie.core.pack.PackReader;
import dev.roadie.core.pack.PackWriter;
import dev.roadie.core.repo.DeletionPlan;
import dev.roadie.core.repo.Lease;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Frees the space of data no snapshot uses, by the two-phase protocol of DESIGN.md ("Concurrency
 * and deletion"):
 *
 * <ol>
 *   <li><b>Plan.</b> Reads every snapshot's trees and chunk lists (never data packs, except those
 *       it repacks) to find the live blobs. Packs without a live blob, packs no index names, and
 *       packs whose unused share is above {@code maxUnused} (after their live blobs were copied
 *       into new packs, and those indexed) go into a sealed {@link DeletionPlan}. Nothing is
 *       deleted.
 *   <li><b>Carry out</b> plans older than the grace period: skip (or wait for) a plan while a
 *       writer that started before it still holds a fresh lease; re-check that no snapshot written
 *       since the plan uses a blob stored only in its packs (such packs are kept, and the report
 *       says so); write index files without the doomed packs, delete the index files they replace,
 *       delete the packs, delete the plan.
 * </ol>
 *
 * <p>Every step leaves a repository that {@code check} passes and whose snapshots all restore, so
 * prune can be killed at any moment and simply run again: new index files are durable before the
 * ones they replace are deleted, and packs are deleted only once no index file names them.
 */
public final class Pruner {
  public static final Duration DEFAULT_GRACE = Duration.ofHours(24);
  public static final double DEFAULT_MAX_UNUSED = 0.10;

  /**
   * Writer and prune clocks may differ: a writer whose lease says it started up to this long after
   * a plan was made still holds that plan back.
   */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  private static final int INDEX_FILE_BLOBS = 200_000;
  private static final int DELETES_IN_FLIGHT = 16;

  /**
   * Fixed bytes of a pack besides its blobs: magic, sealed header's version, count, AEAD, length.
   */
  private static final int PACK_OVERHEAD = 8 + 5 + 28 + 4;

  /**
   * @param grace how old a plan must be before it is carried out; zero plans and deletes at once
   * @param maxUnused repack a pack whose unused share of bytes is above this (0 to 1)
   * @param waitForWriters how long to wait for writers that hold a plan back, instead of skipping
   *     it
   */
  public record Options(Duration grace, double maxUnused, boolean dryRun, Duration waitForWriters) {
    public Options {
      if (grace.isNegative())
        throw new IllegalArgumentException("the grace period cannot be negative");
      if (!(maxUnused >= 0 && maxUnused <= 1))
        throw new IllegalArgumentException("max unused must be in [0%, 100%]");
      if (waitForWriters.isNegative())
        throw new IllegalArgumentException("the wait cannot be negative");
    }
  }

  private final Repository repo;
  private final Options options;
  private final Consumer<String> log;
  private final PruneReport report = new PruneReport();
  private Lease lease;

  /** How often leases are looked at again while waiting for writers. */
  Duration pollInterval = Duration.ofSeconds(5);

  public Pruner(Repository repo, Options options, Consumer<String> log) {
    this.repo = repo;
    this.options = options;
    this.log = log;
  }

  public PruneReport run() throws IOException {
    long start = System.nanoTime();
    report.dryRun = options.dryRun();
    if (!options.dryRun()) {
      lock();
    }
    try {
      List<DeletionPlan> plans = DeletionPlan.readAll(repo);
      Set<Id> planned = new HashSet<>();
      for (DeletionPlan p : plans) planned.addAll(p.packIds());
      log.accept("loading the index");
      IndexState state = new IndexState(repo);
      state.refresh(planned);
      report.indexMemoryBytes = state.index.memoryBytes();
      if (!options.dryRun()) {
        removeSupersededIndexFiles(state);
      }
      DeletionPlan made = plan(state, planned);

      Instant now = Instant.now();
      List<DeletionPlan> due = new ArrayList<>();
      for (DeletionPlan p : plans) {
        if (p.created().plus(options.grace()).isAfter(now)) {
          report.pending.add(pending(p, null));
        } else {
          due.add(p);
        }
      }
      if (made != null) {
        planned.addAll(made.packIds());
        if (options.grace().isZero()) due.add(made);
        else report.pending.add(pending(made, null));
      }
      if (!due.isEmpty()) carryOut(state, planned, due);
      if (!options.dryRun()) removeForgottenSnapshots();
      return report;
    } finally {
      if (lease != null) lease.close();
      report.memoryBytes = peakHeap();
      report.durationMillis = (System.nanoTime() - start) / 1_000_000;
    }
  }

  // ---- phase 1: plan ----

  private DeletionPlan plan(IndexState state, Set<Id> planned) throws IOException {
    BlobIndex index = state.index;
    List<String> problems = new ArrayList<>();
    List<SnapshotRef> snapshots = repo.snapshots(problems);
    if (!problems.isEmpty()) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          problems.get(0)
              + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "")
              + "; prune deletes nothing while a snapshot cannot be read: "
              + "its data might look unused (run 'roadie check', see docs/runbooks/repository-damage.md)");
    }
    // A backup may have committed since the index was loaded: a writer stores its index files
    // before its snapshot, so the index loaded again after the listing holds every blob a listed
    // snapshot uses.
    state.refresh(planned);
    report.snapshots = snapshots.size();
    report.blobs = index.size();
    log.accept(
        "finding the data "
            + Plural.count(snapshots.size(), "snapshot")
            + (snapshots.size() == 1 ? " uses (" : " use (")
            + Plural.count(index.size(), "blob")
            + " indexed)");
    BitSet live = new BitSet(index.size());
    List<String> missing = new ArrayList<>();
    long[] liveCount = {0};
    List<Id> roots = new ArrayList<>();
    for (SnapshotRef s : snapshots) roots.add(Id.parse(s.snapshot().tree()));
    new TreeWalk(repo, index)
        .walk(
            roots,
            (id, type) -> {
              int e = index.entryOf(id);
              if (e < 0) {
                missing.add(
                    (type == BlobType.DATA ? "data blob " : "tree or chunk list ")
                        + id.shortHex()
                        + " is not in the index");
                return false;
              }
              if (live.get(e)) return false;
              live.set(e);
              liveCount[0]++;
              BlobLocation loc = index.get(id);
              if (!state.stored.containsKey(loc.packId())) {
                missing.add(
                    "blob "
                        + id.shortHex()
                        + " is in pack "
                        + loc.packId().shortHex()
                        + ", which is missing");
                return false;
              }
              for (Id b : loc.bases()) {
                // A delta needs its bases: they are in use wherever the delta is (and are never
                // deltas).
                int be = index.entryOf(b);
                if (be < 0) {
                  missing.add(
                      "base blob "
                          + b.shortHex()
                          + " of delta "
                          + id.shortHex()
                          + " is not in the index");
                } else if (!live.get(be)) {
                  live.set(be);
                  liveCount[0]++;
                  BlobLocation bl = index.get(b);
                  if (!state.stored.containsKey(bl.packId())) {
                    missing.add(
                        "base blob "
                            + b.shortHex()
                            + " is in pack "
                            + bl.packId().shortHex()
                            + ", which is missing");
                  }
                }
              }
              return type == BlobType.METADATA;
            });
    if (!missing.isEmpty()) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          Plural.count(missing.size(), "blob")
              + (missing.size() == 1 ? " that snapshots use is" : " that snapshots use are")
              + " missing (first: "
              + missing.get(0)
              + "); prune deletes nothing while the repository is damaged: run 'roadie check' "
              + "(see docs/runbooks/repository-damage.md)");
    }
    report.liveBlobs = liveCount[0];

    List<Id> packIds = index.packIds();
    long[] usedBytes = new long[packIds.size()];
    int[] usedBlobs = new int[packIds.size()];
    int[] entry = {0};
    index.forEach(
        loc -> {
          if (live.get(entry[0]++)) {
            int pn = index.packNumber(loc.packId());
            usedBytes[pn] += loc.length();
            usedBlobs[pn]++;
          }
        });

    List<DeletionPlan.Planned> doomed = new ArrayList<>();
    Set<Id> repack = new HashSet<>();
    for (Map.Entry<Id, Long> p : state.stored.entrySet()) {
      Id pack = p.getKey();
      long size = p.getValue();
      report.packs++;
      report.packBytes += size;
      if (planned.contains(pack)) continue;
      int pn = index.packNumber(pack);
      if (pn < 0) {
        doomed.add(new DeletionPlan.Planned(pack, DeletionPlan.Reason.UNINDEXED));
        report.unindexedPacks++;
        report.plannedBytes += size;
      } else if (usedBlobs[pn] == 0) {
        doomed.add(new DeletionPlan.Planned(pack, DeletionPlan.Reason.UNUSED));
        report.unusedPacks++;
        report.plannedBytes += size;
      } else {
        long needed = PACK_OVERHEAD + usedBytes[pn] + (long) PackFormat.ENTRY_BYTES * usedBlobs[pn];
        if (size - needed > options.maxUnused() * size) {
          repack.add(pack);
          report.repackedBytes += size;
          report.plannedBytes += size;
        }
      }
    }
    for (int pn = 0; pn < packIds.size(); pn++) {
      Id pack = packIds.get(pn);
      if (!state.stored.containsKey(pack) && !planned.contains(pack) && usedBlobs[pn] == 0) {
        // Gone from storage and needed by no snapshot: planning it drops its index entries.
        doomed.add(new DeletionPlan.Planned(pack, DeletionPlan.Reason.UNUSED));
        report.unusedPacks++;
      }
    }
    report.repackedPacks = repack.size();
    if (!repack.isEmpty()) {
      if (options.dryRun()) {
        log.accept("would repack " + Plural.count(repack.size(), "partly used pack"));
      } else {
        repack(state, repack, live);
      }
      for (Id pack : repack)
        doomed.add(new DeletionPlan.Planned(pack, DeletionPlan.Reason.REPACKED));
    }
    report.plannedPacks = doomed.size();
    if (doomed.isEmpty()) {
      log.accept("nothing new to delete");
      return null;
    }
    List<Id> snapshotIds = snapshots.stream().map(SnapshotRef::id).toList();
    DeletionPlan plan = new DeletionPlan(Id.random(), Instant.now(), doomed, snapshotIds);
    if (!options.dryRun()) {
      plan.write(repo);
      report.planId = plan.id().hex();
    }
    log.accept(
        (options.dryRun() ? "would plan " : "planned ")
            + Plural.count(doomed.size(), "pack")
            + " for deletion ("
            + report.unusedPacks
            + " unused, "
            + report.repackedPacks
            + " repacked, "
            + report.unindexedPacks
            + " in no index)"
            + (options.dryRun() ? "" : ": plan " + plan.id().shortHex()));
    return plan;
  }

  /**
   * Copies the live blobs of {@code packs} into new packs and indexes them, so that the old packs
   * can be planned for deletion. Blobs are moved as they are stored (compressed), only re-sealed.
   */
  private void repack(IndexState state, Set<Id> packs, BitSet live) throws IOException {
    Map<Id, List<BlobLocation>> liveIn = new HashMap<>();
    for (Id p : packs) liveIn.put(p, new ArrayList<>());
    int[] entry = {0};
    state.index.forEach(
        loc -> {
          if (live.get(entry[0]++)) {
            List<BlobLocation> l = liveIn.get(loc.packId());
            if (l != null) l.add(loc);
          }
        });
    log.accept("repacking " + Plural.count(packs.size(), "partly used pack"));
    List<IndexFile.PackEntries> written = new ArrayList<>();
    Map<BlobType, PackWriter> open = new HashMap<>();
    List<Id> order = new ArrayList<>(packs);
    order.sort(Comparator.naturalOrder());
    ArrayDeque<Future<byte[]>> reads = new ArrayDeque<>();
    int next = 0;
    for (Id pack : order) {
      while (reads.size() < 2 && next < order.size()) {
        ObjectName name = ObjectName.of(ObjectKind.PACK, order.get(next++).hex());
        reads.add(repo.io().submit(() -> repo.backend().read(name)));
      }
      byte[] bytes = Repository.await(reads.poll());
      byte[] packKey = repo.key().packKey(pack);
      List<BlobLocation> blobs = liveIn.get(pack);
      blobs.sort(Comparator.comparingLong(BlobLocation::offset));
      for (BlobLocation loc : blobs) {
        if (loc.offset() + loc.length() > bytes.length) {
          throw new RoadieException(
              ErrorCode.INTEGRITY,
              "pack "
                  + pack.shortHex()
                  + " is shorter than its index says; "
                  + "prune stopped before deleting anything (run 'roadie check')");
        }
        PackEntry e =
            new PackEntry(loc.type(), loc.blobId(), loc.offset(), loc.length(), loc.rawLength());
        // A delta moves as it is (still against the same bases, which are live too: see plan()).
        byte[] framed =
            PackReader.openFramed(
                repo.key(),
                packKey,
                pack,
                e,
                bytes,
                (int) loc.offset(),
                id -> basePlaintext(state, id));
        PackWriter w =
            open.computeIfAbsent(
                loc.type(), t -> new PackWriter(repo.key(), t, repo.config().packSize()));
        w.add(loc.blobId(), framed, loc.rawLength());
        report.repackedBlobs++;
        if (w.isFull()) {
          written.add(upload(w));
          open.remove(loc.type());
        }
      }
    }
    for (PackWriter w : open.values()) {
      if (!w.isEmpty()) written.add(upload(w));
    }
    if (written.isEmpty()) return;
    // The new packs are durable; their index makes the copies visible before any plan names the old
    // packs.
    Id indexId = Id.random();
    repo.writeSealed(
        ObjectName.of(ObjectKind.INDEX, indexId.hex()), IndexFile.encode(written, List.of()));
    List<Id> newPacks = new ArrayList<>();
    for (IndexFile.PackEntries p : written) {
      newPacks.add(p.packId());
      for (IndexFile.BlobEntry b : p.blobs()) {
        BlobLocation old = state.index.get(b.id());
        state.spares.computeIfAbsent(b.id(), k -> new ArrayList<>(1)).add(old);
        state.relocate(
            new BlobLocation(
                b.id(), p.type(), p.packId(), b.offset(), b.length(), b.rawLength(), b.bases()));
      }
    }
    state.addFile(indexId, newPacks);
  }

  /**
   * A delta's base, read through prune's own index (not the repository's, which would be a second
   * copy of the whole index in memory). A base is stored in full, so it needs no base itself.
   */
  private byte[] basePlaintext(IndexState state, Id base) {
    BlobLocation loc = state.index.get(base);
    if (loc == null) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "base blob "
              + base.shortHex()
              + " is not in the index; "
              + "prune stopped before deleting anything (run 'roadie check')");
    }
    try {
      byte[] sealed =
          repo.backend()
              .readRange(
                  ObjectName.of(ObjectKind.PACK, loc.packId().hex()), loc.offset(), loc.length());
      return repo.openBlob(loc, sealed, 0, dev.roadie.core.crypto.Compression.NO_BASES);
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, "reading base blob " + base.shortHex() + ": " + e.getMessage(), e);
    }
  }

  private IndexFile.PackEntries upload(PackWriter w) throws IOException {
    ByteBuffer bytes = w.finish();
    int size = bytes.remaining();
    repo.backend().write(ObjectName.of(ObjectKind.PACK, w.id().hex()), bytes, false);
    report.packsWritten++;
    report.bytesWritten += size;
    List<IndexFile.BlobEntry> blobs = new ArrayList<>();
    for (PackEntry e : w.entries()) {
      blobs.add(
          new IndexFile.BlobEntry(
              e.id(), e.offset(), e.length(), e.rawLength(), w.basesOf(e.id())));
    }
    return new IndexFile.PackEntries(w.id(), w.type(), blobs);
  }

  // ---- phase 2: carry out ----

  private void carryOut(IndexState state, Set<Id> planned, List<DeletionPlan> due)
      throws IOException {
    List<DeletionPlan> go = new ArrayList<>();
    for (DeletionPlan plan : due) {
      List<Lease.Record> blockers = blockers(plan);
      if (!blockers.isEmpty() && options.waitForWriters().isPositive()) {
        Instant deadline = Instant.now().plus(options.waitForWriters());
        log.accept("plan " + plan.id().shortHex() + ": waiting for " + describe(blockers));
        while (!blockers.isEmpty() && Instant.now().isBefore(deadline)) {
          sleep(pollInterval);
          blockers = blockers(plan);
        }
      }
      if (!blockers.isEmpty()) {
        String why = describe(blockers);
        log.accept(
            "plan "
                + plan.id().shortHex()
                + " not carried out yet: "
                + why
                + " started before it and is "
                + "still running; its packs stay until a prune after that finished");
        report.pending.add(pending(plan, why));
        continue;
      }
      go.add(plan);
    }
    holdLocked(go);
    if (go.isEmpty()) return;
    // Backups may have finished since the index was loaded (also while this prune waited for
    // them): their index files, packs and snapshots count. Loaded after the leases were looked at,
    // since a writer whose lease is gone wrote its index file and snapshot before removing it.
    state.refresh(planned);

    Set<Id> doomed = new HashSet<>();
    Set<Id> known = null;
    for (DeletionPlan p : go) {
      doomed.addAll(p.packIds());
      if (known == null) known = new HashSet<>(p.snapshots());
      else known.retainAll(p.snapshots());
    }
    recheck(state, doomed, known);

    long bytes = 0;
    for (Id p : doomed) bytes += state.stored.getOrDefault(p, 0L);
    for (DeletionPlan p : go) report.plansCarriedOut.add(p.id().hex());
    if (options.dryRun()) {
      report.packsDeleted = doomed.size();
      report.bytesDeleted = bytes;
      log.accept("would delete " + Plural.count(doomed.size(), "pack") + " (" + bytes + " bytes)");
      return;
    }

    // 1. Index files without the doomed packs, durable before the files they replace are deleted.
    state.chooseCanonical(doomed);
    List<Id> affected = new ArrayList<>();
    Set<Id> remaining = new HashSet<>();
    for (Map.Entry<Id, List<Id>> f : state.files.entrySet()) {
      if (f.getValue().stream().anyMatch(doomed::contains)) {
        affected.add(f.getKey());
        remaining.addAll(f.getValue());
      }
    }
    remaining.removeAll(doomed);
    affected.sort(Comparator.naturalOrder());
    for (List<IndexFile.PackEntries> batch : state.entriesOf(remaining, INDEX_FILE_BLOBS)) {
      Id id = Id.random();
      repo.writeSealed(
          ObjectName.of(ObjectKind.INDEX, id.hex()), IndexFile.encode(batch, affected));
      state.addFile(id, batch.stream().map(IndexFile.PackEntries::packId).toList());
      report.indexFilesWritten++;
    }
    // 2. The replaced index files; now no index file names a doomed pack (but one that object lock
    // keeps, which the new files supersede: readers and check leave superseded files aside).
    List<ObjectName> names = new ArrayList<>();
    for (Id f : affected) {
      names.add(ObjectName.of(ObjectKind.INDEX, f.hex()));
      state.files.remove(f);
    }
    deleteAll(unlocked(names, "replaced index file"));
    report.indexFilesDeleted += affected.size();
    // 3. The packs.
    names.clear();
    for (Id p : doomed) names.add(ObjectName.of(ObjectKind.PACK, p.hex()));
    log.accept("deleting " + Plural.count(doomed.size(), "pack"));
    deleteAll(names);
    report.packsDeleted += doomed.size();
    report.bytesDeleted += bytes;
    // 4. The plans, last: until then a rerun finishes their work.
    names.clear();
    for (DeletionPlan p : go) names.add(p.name());
    deleteAll(names);
    log.accept(
        "deleted "
            + Plural.count(doomed.size(), "pack")
            + " ("
            + bytes
            + " bytes), replaced "
            + Plural.count(affected.size(), "index file")
            + " by "
            + report.indexFilesWritten);
  }

  /**
   * Removes from {@code doomed} every pack that holds the only stored copy of a blob that a
   * snapshot not known to all plans uses: a writer that deduplicated against it after the plan (its
   * lease had lapsed) or a backup that finished meanwhile. Reads that snapshot's metadata.
   */
  private void recheck(IndexState state, Set<Id> doomed, Set<Id> known) throws IOException {
    List<String> problems = new ArrayList<>();
    List<SnapshotRef> fresh = new ArrayList<>();
    for (SnapshotRef s : repo.snapshots(problems)) {
      if (!known.contains(s.id())) fresh.add(s);
    }
    if (!problems.isEmpty()) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          problems.get(0)
              + "; prune deletes nothing while a snapshot "
              + "written since the plan cannot be read (run 'roadie check')");
    }
    if (fresh.isEmpty()) return;
    log.accept("re-checking " + Plural.count(fresh.size(), "snapshot") + " written since the plan");
    BlobIndex index = state.index;
    BitSet seen = new BitSet(index.size());
    Map<Id, Id> byPack = new HashMap<>();
    for (SnapshotRef s : fresh) {
      new TreeWalk(repo, index)
          .walk(
              List.of(Id.parse(s.snapshot().tree())),
              (id, type) -> {
                int e = index.entryOf(id);
                if (e < 0 || seen.get(e)) return false;
                seen.set(e);
                keepOnlyCopy(state, id, doomed, s, byPack);
                // Whichever copy of a delta is kept, its bases must stay too: every copy's bases
                // are checked.
                List<Id> bases = new ArrayList<>(2);
                BlobLocation c = index.get(id);
                if (c != null) bases.addAll(c.bases());
                for (BlobLocation sp : state.spares.getOrDefault(id, List.of())) {
                  bases.addAll(sp.bases());
                }
                for (Id b : bases) keepOnlyCopy(state, b, doomed, s, byPack);
                return type == BlobType.METADATA;
              });
    }
    for (Map.Entry<Id, Id> e : byPack.entrySet()) {
      log.accept(
          "keeping pack "
              + e.getKey().shortHex()
              + ": snapshot "
              + e.getValue().shortHex()
              + " was written after the plan and uses data stored only there");
    }
  }

  /**
   * If every stored copy of {@code id} is in {@code doomed}, takes one of those packs out of it.
   */
  private void keepOnlyCopy(
      IndexState state, Id id, Set<Id> doomed, SnapshotRef s, Map<Id, Id> byPack) {
    if (state.hasCopyOutside(id, doomed)) return;
    BlobLocation c = state.index.get(id);
    if (c == null) return;
    Id keep = state.stored.containsKey(c.packId()) ? c.packId() : null;
    for (BlobLocation sp : state.spares.getOrDefault(id, List.of())) {
      if (keep == null && state.stored.containsKey(sp.packId())) keep = sp.packId();
    }
    if (keep != null && doomed.remove(keep)) {
      byPack.put(keep, s.id());
      report.kept.add(
          "pack "
              + keep.hex()
              + ": snapshot "
              + s.id().hex()
              + " ("
              + s.snapshot().target()
              + ", "
              + s.snapshot().time()
              + "), written after the plan, uses blob "
              + id.hex()
              + " stored only there; the pack is kept");
    }
  }

  /** Fresh leases of writers that started before the plan (allowing for clock skew). */
  private List<Lease.Record> blockers(DeletionPlan plan) throws IOException {
    Instant now = Instant.now();
    List<Lease.Record> out = new ArrayList<>();
    for (Lease.Record r : leases(now)) {
      if (!"prune".equals(r.operation())
          && Instant.parse(r.started()).isBefore(plan.created().plus(CLOCK_SKEW))) {
        out.add(r);
      }
    }
    return out;
  }

  /** Fresh leases other than this prune's own. */
  private List<Lease.Record> leases(Instant now) throws IOException {
    List<Lease.Record> out = new ArrayList<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.LEASE)) {
      if (lease != null && info.name().equals(lease.name())) continue;
      Lease.Record r;
      try {
        r =
            Json.read(
                repo.readSealed(info.name()), Lease.Record.class, "lease " + info.name().id());
      } catch (NoSuchObjectException e) {
        continue; // its writer finished since the listing
      }
      if (Lease.fresh(r, now)) out.add(r);
    }
    return out;
  }

  private static String describe(List<Lease.Record> leases) {
    Lease.Record r = leases.get(0);
    return (leases.size() == 1 ? "a " : leases.size() + " writers, first a ")
        + r.operation()
        + " on "
        + r.host()
        + " (pid "
        + r.pid()
        + ", started "
        + r.started()
        + ")";
  }

  private PruneReport.Pending pending(DeletionPlan p, String waitingFor) {
    return new PruneReport.Pending(
        p.id().hex(),
        p.created().toString(),
        p.created().plus(options.grace()).toString(),
        p.packs().size(),
        waitingFor);
  }

  /**
   * Takes the prune lock: a lease of operation "prune"; refuses while another prune holds a fresh
   * one.
   */
  private void lock() throws IOException {
    lease = new Lease(repo, "prune");
    for (Lease.Record r : leases(Instant.now())) {
      if ("prune".equals(r.operation())
          && r.host().equals(dev.roadie.core.repo.Hosts.host())
          && ProcessHandle.of(r.pid()).isEmpty()) {
        continue; // a prune on this host that was killed: its process is gone, its lease means
        // nothing
      }
      if ("prune".equals(r.operation())) {
        lease.close();
        lease = null;
        throw new RoadieException(
            ErrorCode.FAILURE,
            repo.backend().location()
                + ": another prune is running on "
                + r.host()
                + " (pid "
                + r.pid()
                + ", started "
                + r.started()
                + "); let it finish (if that process is "
                + "gone, its lease lapses "
                + Lease.TTL.toMinutes()
                + " minutes after its last refresh)");
      }
    }
  }

  /**
   * Index files that another index file supersedes are left by a prune interrupted after writing
   * it.
   */
  private void removeSupersededIndexFiles(IndexState state) throws IOException {
    List<ObjectName> names = new ArrayList<>();
    for (Id f : state.superseded) {
      if (state.files.remove(f) != null) names.add(ObjectName.of(ObjectKind.INDEX, f.hex()));
    }
    names = unlocked(names, "superseded index file");
    if (!names.isEmpty()) {
      log.accept(
          "removing "
              + Plural.count(names.size(), "index file")
              + " an interrupted prune had replaced");
      deleteAll(names);
      report.indexFilesDeleted += names.size();
    }
  }

  /**
   * With object lock, a plan is carried out only once the retention of every one of its packs has
   * passed: until then the storage refuses to delete them. The plan waits, and the report says
   * until when.
   */
  private void holdLocked(List<DeletionPlan> go) throws IOException {
    if (repo.lock() == null) return;
    Instant now = Instant.now();
    for (java.util.Iterator<DeletionPlan> it = go.iterator(); it.hasNext(); ) {
      DeletionPlan plan = it.next();
      List<ObjectName> packs =
          plan.packIds().stream().map(p -> ObjectName.of(ObjectKind.PACK, p.hex())).toList();
      Map<ObjectName, Instant> until = retention(packs);
      Instant last =
          until.values().stream()
              .filter(t -> t.isAfter(now))
              .max(Comparator.naturalOrder())
              .orElse(null);
      if (last == null) continue;
      long held = until.values().stream().filter(t -> t.isAfter(now)).count();
      String why =
          "object lock, which keeps "
              + Plural.count(held, "of its packs", "of its packs")
              + " until "
              + last;
      log.accept(
          "plan "
              + plan.id().shortHex()
              + " not carried out yet: "
              + why
              + "; the first prune after that "
              + "deletes them");
      report.pending.add(pending(plan, why));
      it.remove();
    }
  }

  /**
   * With object lock, 'forget' leaves the snapshot object in place under a tombstone. Once object
   * lock lets both go, they are deleted: the snapshot first (a tombstone without its snapshot is
   * harmless, a snapshot without its tombstone would come back).
   */
  private void removeForgottenSnapshots() throws IOException {
    if (repo.lock() == null) return;
    List<ObjectName> names = new ArrayList<>();
    for (String id : repo.forgottenSnapshots(new ArrayList<>())) {
      names.add(ObjectName.of(ObjectKind.SNAPSHOT, id));
      names.add(ObjectName.of(ObjectKind.TOMBSTONE, id));
    }
    if (names.isEmpty()) return;
    Instant now = Instant.now();
    Map<ObjectName, Instant> until = retention(names);
    int removed = 0;
    for (int i = 0; i < names.size(); i += 2) {
      ObjectName snapshot = names.get(i);
      ObjectName tombstone = names.get(i + 1);
      if (until.getOrDefault(snapshot, now).isAfter(now)
          || until.getOrDefault(tombstone, now).isAfter(now)) continue;
      repo.backend().delete(snapshot);
      repo.backend().delete(tombstone);
      removed++;
    }
    int waiting = names.size() / 2 - removed;
    if (removed > 0)
      log.accept(
          "deleted "
              + Plural.count(removed, "forgotten snapshot")
              + " object lock no longer keeps");
    if (waiting > 0) {
      log.accept(
          Plural.count(waiting, "forgotten snapshot")
              + (waiting == 1 ? " stays" : " stay")
              + " under "
              + (waiting == 1 ? "its tombstone" : "their tombstones")
              + " until object lock lets go of it");
    }
  }

  /** The retention of each object that has one. */
  private Map<ObjectName, Instant> retention(List<ObjectName> names) throws IOException {
    Map<ObjectName, Future<Instant>> calls = new java.util.LinkedHashMap<>();
    for (ObjectName n : names)
      calls.put(n, repo.io().submit(() -> repo.backend().retainedUntil(n)));
    Map<ObjectName, Instant> out = new HashMap<>();
    for (var e : calls.entrySet()) {
      Instant t = Repository.await(e.getValue());
      if (t != null) out.put(e.getKey(), t);
    }
    return out;
  }

  /**
   * {@code names} less those object lock still keeps, which are left for a later prune (and
   * logged).
   */
  private List<ObjectName> unlocked(List<ObjectName> names, String what) throws IOException {
    if (repo.lock() == null || names.isEmpty()) return names;
    Instant now = Instant.now();
    Map<ObjectName, Instant> until = retention(names);
    List<ObjectName> out = new ArrayList<>();
    for (ObjectName n : names) {
      Instant t = until.get(n);
      if (t == null || !t.isAfter(now)) out.add(n);
    }
    if (out.size() < names.size()) {
      log.accept(
          Plural.count(names.size() - out.size(), what)
              + " stay until object lock lets them go (superseded: "
              + "readers leave them aside)");
    }
    return out;
  }

  private void deleteAll(List<ObjectName> names) throws IOException {
    ArrayDeque<Future<?>> window = new ArrayDeque<>();
    for (ObjectName n : names) {
      if (window.size() >= DELETES_IN_FLIGHT) Repository.await(window.poll());
      window.add(
          repo.io()
              .submit(
                  () -> {
                    repo.backend().delete(n);
                    return null;
                  }));
    }
    while (!window.isEmpty()) Repository.await(window.poll());
  }

  private static void sleep(Duration d) throws IOException {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for writers", e);
    }
  }

  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null)
        sum += pool.getPeakUsage().getUsed();
    }
    return sum;
  }
}
