package dev.roadie.core.check;

import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackReader;
import dev.roadie.core.repo.AuditEntry;
import dev.roadie.core.repo.AuditLog;
import dev.roadie.core.repo.Lease;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Verifies a repository: key files, index files, that every indexed pack exists and its
 * authenticated header agrees with the index, that every snapshot's trees and blobs are present,
 * and optionally (read-data) that every blob of a share of the packs decrypts and hashes to its id.
 * Damage is reported with the snapshots it affects. Packs no index names (left by an interrupted
 * backup) and stale leases are reported as harmless.
 */
public final class Checker {
  private final Repository repo;
  private final Consumer<String> log;
  private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
  private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());

  /** Blobs with a missing or damaged copy, with why. */
  private final Map<Id, String> badBlobs = new ConcurrentHashMap<>();

  /** Per pack, blobs whose copy there failed to read or verify. */
  private final Map<Id, Set<Id>> badInPack = new ConcurrentHashMap<>();

  /** Packs whose header is readable and agrees with the index. */
  private final Set<Id> goodHeaders = ConcurrentHashMap.newKeySet();

  /** Blobs with at least one intact copy: those restore, whatever other copies look like. */
  private final Set<Id> goodCopies = new java.util.HashSet<>();

  /** Per pack, its delta blobs and their bases, from the index. */
  private final Map<Id, Map<Id, List<Id>>> basesInPack = new HashMap<>();

  /** Delta blob → its bases (any copy's), for the snapshot walk. */
  private final Map<Id, List<Id>> baseOf = new HashMap<>();

  public record Report(
      List<String> errors,
      List<String> warnings,
      List<String> damagedSnapshots,
      long packs,
      long packsRead,
      long blobs,
      long snapshots) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  public Checker(Repository repo, Consumer<String> log) {
    this.repo = repo;
    this.log = log;
  }

  /**
   * @param readDataShare 0 to read no data, 1 for every pack, in between for a random share of
   *     packs
   */
  public Report run(double readDataShare) throws IOException {
    return run(readDataShare, null);
  }

  /** Checks, and reads every blob of the packs in {@code slice} (see {@link PackSlice}). */
  public Report run(PackSlice slice) throws IOException {
    return run(1.0, slice);
  }

  private Report run(double readDataShare, PackSlice slice) throws IOException {
    checkKeys();
    log.accept("loading index files");
    Map<Id, List<PackEntry>> indexed = loadIndex();
    long blobCount = indexed.values().stream().mapToLong(List::size).sum();

    log.accept("checking " + Plural.count(indexed.size(), "pack"));
    Set<Id> stored = new HashSet<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.PACK)) {
      stored.add(Id.parse(info.name().id()));
    }
    boolean indexDamaged =
        !errors.isEmpty() && errors.stream().anyMatch(e -> e.startsWith("index "));
    Set<Id> planned = plannedPacks();
    for (Id pack : stored) {
      if (!indexed.containsKey(pack) && planned.contains(pack)) {
        warnings.add(
            "pack "
                + pack.shortHex()
                + " is in no index and planned for deletion: left by a prune that "
                + "was interrupted or is running; harmless (the next prune deletes it)");
      } else if (!indexed.containsKey(pack)) {
        warnings.add(
            indexDamaged
                ? "pack "
                    + pack.shortHex()
                    + " is not in any readable index: it may hold data a damaged index listed; "
                    + "keep it (see docs/runbooks/repository-damage.md)"
                : "pack "
                    + pack.shortHex()
                    + " is not in any index: left by an interrupted backup; harmless "
                    + "(no snapshot refers to it)");
      }
    }
    List<Id> present = new ArrayList<>();
    for (Map.Entry<Id, List<PackEntry>> e : indexed.entrySet()) {
      if (!stored.contains(e.getKey())) {
        errors.add(
            "pack "
                + e.getKey().shortHex()
                + " is in the index but missing from storage ("
                + Plural.count(e.getValue().size(), "blob")
                + " lost)");
        markBad(e.getValue(), "its pack " + e.getKey().shortHex() + " is missing");
      } else {
        present.add(e.getKey());
      }
    }
    forEachParallel(present, pack -> checkHeader(pack, indexed.get(pack)));

    long packsRead = 0;
    if (readDataShare > 0) {
      List<Id> toRead = new ArrayList<>(present);
      if (slice != null) {
        toRead.removeIf(p -> !slice.contains(p));
      } else if (readDataShare < 1) {
        Collections.shuffle(toRead, new Random());
        toRead = toRead.subList(0, (int) Math.ceil(toRead.size() * readDataShare));
      }
      packsRead = toRead.size();
      log.accept("reading all data of " + Plural.count(toRead.size(), "pack"));
      forEachParallel(toRead, pack -> readPack(pack, indexed.get(pack)));
    }

    Set<Id> indexedBlobs = new HashSet<>();
    for (List<PackEntry> l : indexed.values()) {
      for (PackEntry e : l) indexedBlobs.add(e.id());
    }
    for (Map.Entry<Id, Map<Id, List<Id>>> p : basesInPack.entrySet()) {
      for (Map.Entry<Id, List<Id>> d : p.getValue().entrySet()) {
        for (Id base : d.getValue()) {
          String why =
              !indexedBlobs.contains(base)
                  ? "is in no index"
                  : baseOf.containsKey(base) && !hasFullCopy(base, indexed)
                      ? "is itself a delta"
                      : null;
          if (why != null) {
            errors.add(
                "pack "
                    + p.getKey().shortHex()
                    + ": delta blob "
                    + d.getKey().shortHex()
                    + " needs base blob "
                    + base.shortHex()
                    + ", which "
                    + why);
            badBlobs.putIfAbsent(d.getKey(), "its base " + base.shortHex() + " " + why);
            badInPack
                .computeIfAbsent(p.getKey(), k -> ConcurrentHashMap.newKeySet())
                .add(d.getKey());
          }
        }
      }
    }
    for (Id pack : present) {
      if (!goodHeaders.contains(pack)) continue;
      Set<Id> bad = badInPack.getOrDefault(pack, Set.of());
      for (PackEntry e : indexed.get(pack)) {
        if (!bad.contains(e.id())) goodCopies.add(e.id());
      }
    }
    log.accept("checking snapshots");
    List<String> problems = new ArrayList<>();
    List<SnapshotRef> snapshots = repo.snapshots(problems);
    for (String p : problems) {
      errors.add(p);
    }
    List<String> damaged = new ArrayList<>();
    Map<Id, String> treeVerdicts = new HashMap<>();
    for (SnapshotRef s : snapshots) {
      String why = checkTree(Id.parse(s.snapshot().tree()), indexedBlobs, treeVerdicts);
      if (why != null) {
        String desc =
            "snapshot "
                + s.id().shortHex()
                + " ("
                + s.snapshot().target()
                + ", "
                + s.snapshot().time()
                + ")";
        damaged.add(s.id().hex());
        errors.add(desc + " cannot be restored completely: " + why);
      }
    }
    checkLeases();
    checkTampering();
    checkAudit(snapshots);
    // What the sources keep beside the snapshots (a cluster's archived WAL): each checks its own.
    for (SourceProvider source : Sources.all()) {
      SideObjects.Findings found =
          source.check(new SideObjects.Check(repo, snapshots, readDataShare));
      errors.addAll(found.errors());
      warnings.addAll(found.warnings());
      for (String id : found.damagedSnapshots()) {
        if (!damaged.contains(id)) damaged.add(id);
      }
    }
    return new Report(
        List.copyOf(errors),
        List.copyOf(warnings),
        damaged,
        indexed.size(),
        packsRead,
        blobCount,
        snapshots.size());
  }

  /**
   * With object lock roadie never deletes or rewrites a locked object, so a delete marker over one,
   * or a later version of it, was put there by someone else: each is reported. roadie reads through
   * them (the version it wrote), so nothing is lost while the retention lasts.
   */
  private void checkTampering() throws IOException {
    if (repo.lock() == null) return;
    for (ObjectKind kind : ObjectKind.values()) {
      if (!dev.roadie.core.backend.ObjectLock.locks(kind)) continue;
      for (String t : repo.backend().tampering(kind)) {
        errors.add("possible tampering: " + t);
      }
    }
  }

  /**
   * The audit trail: every entry must open (an altered one does not), and the entry each snapshot,
   * verification and drill record names must exist and list what named it. A missing entry is
   * either removed or was never written because the operation was killed before its end.
   */
  private void checkAudit(List<SnapshotRef> snapshots) throws IOException {
    log.accept("checking the audit trail");
    List<String> problems = new ArrayList<>();
    Map<String, AuditEntry> entries = new HashMap<>();
    for (AuditLog.Stored s : AuditLog.entries(repo, null, problems)) {
      entries.put(s.id().hex(), s.entry());
    }
    errors.addAll(problems);
    for (SnapshotRef s : snapshots) {
      String audit = s.snapshot().audit();
      if (audit == null) continue;
      String desc =
          "snapshot "
              + s.id().shortHex()
              + " ("
              + s.snapshot().target()
              + ", "
              + s.snapshot().time()
              + ")";
      checkNamedEntry(entries, audit, desc, s.id().hex());
    }
    // Verification and drill records are read only for the two fields they share with this check
    // (their own package reads them whole and depends on this one).
    for (ObjectKind kind : List.of(ObjectKind.VERIFICATION, ObjectKind.DRILL)) {
      String what = kind == ObjectKind.VERIFICATION ? "verification record " : "drill record ";
      for (ObjectInfo info : repo.backend().list(kind)) {
        AuditReference ref;
        try {
          ref =
              Json.read(
                  repo.readSealed(info.name()), AuditReference.class, what + info.name().id());
        } catch (IOException | RuntimeException e) {
          continue; // reported with the other record problems by the caller that reads records
          // whole
        }
        if (ref.audit() == null) continue;
        String desc =
            what
                + shortId(info.name().id())
                + (ref.snapshot() == null ? "" : " (snapshot " + shortId(ref.snapshot()) + ")");
        checkNamedEntry(
            entries, ref.audit(), desc, kind == ObjectKind.VERIFICATION ? ref.snapshot() : null);
      }
    }
  }

  /** The fields of a verification or drill record that tie it to the audit trail. */
  private record AuditReference(String audit, String snapshot) {}

  private void checkNamedEntry(
      Map<String, AuditEntry> entries, String audit, String desc, String snapshot) {
    AuditEntry e = entries.get(audit);
    if (e == null) {
      boolean present;
      try {
        present = repo.backend().size(AuditLog.name(Id.parse(audit))) >= 0;
      } catch (IOException | RuntimeException x) {
        present = false;
      }
      errors.add(
          desc
              + " names audit entry "
              + shortId(audit)
              + ", which "
              + (present
                  ? "does not open: it was altered"
                  : "is missing: it was removed, or the operation was killed "
                      + "before it recorded its end")
              + "; see docs/security.md, \"Audit trail\"");
    } else if (snapshot != null && !e.snapshots().contains(snapshot)) {
      errors.add(
          desc
              + " names audit entry "
              + shortId(audit)
              + " ("
              + e.operation()
              + ", "
              + e.time()
              + "), which does not list that snapshot: the entry or the snapshot was swapped");
    }
  }

  private static String shortId(String id) {
    return id == null ? "?" : id.substring(0, Math.min(8, id.length()));
  }

  /**
   * Packs named by deletion plans; an unreadable plan is an error (writers and prune stop on it).
   */
  private Set<Id> plannedPacks() throws IOException {
    try {
      return dev.roadie.core.repo.DeletionPlan.plannedPacks(repo);
    } catch (RoadieException e) {
      errors.add(
          "a deletion plan is unreadable: "
              + e.getMessage()
              + "; backups and prune refuse to run until it "
              + "is removed from plans/ (removing a plan only postpones deletion)");
      return Set.of();
    }
  }

  private void checkKeys() throws IOException {
    for (ObjectInfo info : repo.backend().list(ObjectKind.KEY)) {
      try {
        if (!repo.keyFileIntact(info.name())) {
          errors.add(
              "key file "
                  + info.name().id().substring(0, 8)
                  + " was changed (MAC mismatch): its password may "
                  + "no longer open the repository; add a new key and remove this one");
        }
      } catch (IOException | RuntimeException e) {
        errors.add(
            "key file " + info.name().id().substring(0, 8) + " is unreadable: " + e.getMessage());
      }
    }
  }

  private Map<Id, List<PackEntry>> loadIndex() throws IOException {
    Map<Id, List<PackEntry>> packs = new HashMap<>();
    Map<ObjectInfo, IndexFile.Decoded> files = new java.util.LinkedHashMap<>();
    Set<String> superseded = new HashSet<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.INDEX)) {
      try {
        IndexFile.Decoded d = repo.readIndexFile(info.name());
        files.put(info, d);
        for (Id f : d.supersedes()) superseded.add(f.hex());
      } catch (IOException | RuntimeException e) {
        errors.add(
            "index "
                + info.name().id().substring(0, 8)
                + " is unreadable: "
                + e.getMessage()
                + "; the blobs it lists are treated as missing");
      }
    }
    for (Map.Entry<ObjectInfo, IndexFile.Decoded> f : files.entrySet()) {
      ObjectInfo info = f.getKey();
      // A file another one replaced (left by an interrupted prune, or kept by object lock) may name
      // packs prune has deleted since: the file that supersedes it holds everything still stored.
      if (superseded.contains(info.name().id())) continue;
      {
        IndexFile.Decoded d = f.getValue();
        for (IndexFile.PackEntries p : d.packs()) {
          List<PackEntry> l = packs.computeIfAbsent(p.packId(), k -> new ArrayList<>());
          for (IndexFile.BlobEntry b : p.blobs()) {
            l.add(new PackEntry(p.type(), b.id(), b.offset(), b.length(), b.rawLength()));
            if (!b.bases().isEmpty()) {
              basesInPack.computeIfAbsent(p.packId(), k -> new HashMap<>()).put(b.id(), b.bases());
              baseOf.put(b.id(), b.bases());
            }
          }
        }
      }
    }
    return packs;
  }

  private void checkHeader(Id pack, List<PackEntry> expected) {
    List<PackEntry> header;
    try {
      header = PackReader.readHeader(repo.backend(), repo.key(), pack);
    } catch (IOException | RuntimeException e) {
      errors.add("pack " + pack.shortHex() + ": " + e.getMessage());
      markBad(expected, "pack " + pack.shortHex() + " is damaged");
      return;
    }
    Set<PackEntry> inHeader = new HashSet<>(header);
    List<PackEntry> missing = new ArrayList<>();
    for (PackEntry e : expected) {
      if (!inHeader.contains(e)) missing.add(e);
    }
    if (!missing.isEmpty()) {
      errors.add(
          "pack "
              + pack.shortHex()
              + ": "
              + Plural.count(missing.size(), "blob")
              + " the index lists "
              + (missing.size() == 1 ? "is" : "are")
              + " not in the pack's header");
      markBad(missing, "index and pack " + pack.shortHex() + " disagree");
      Set<Id> bad = badInPack.computeIfAbsent(pack, k -> ConcurrentHashMap.newKeySet());
      for (PackEntry e : missing) bad.add(e.id());
    }
    goodHeaders.add(pack);
  }

  private void readPack(Id pack, List<PackEntry> expected) {
    ObjectName name = ObjectName.of(ObjectKind.PACK, pack.hex());
    byte[] bytes;
    try {
      bytes = repo.backend().read(name);
    } catch (IOException e) {
      errors.add("pack " + pack.shortHex() + ": cannot be read: " + e.getMessage());
      markBad(expected, "pack " + pack.shortHex() + " cannot be read");
      return;
    }
    byte[] packKey = repo.key().packKey(pack);
    int bad = 0;
    for (PackEntry e : expected) {
      try {
        if (e.offset() + e.length() > bytes.length) {
          throw new IllegalStateException(
              "blob " + e.id().shortHex() + " lies past the pack's end");
        }
        PackReader.openBlob(
            repo.key(), packKey, pack, e, bytes, (int) e.offset(), repo::basePlaintext);
      } catch (RuntimeException ex) {
        bad++;
        badBlobs.putIfAbsent(e.id(), ex.getMessage());
        badInPack.computeIfAbsent(pack, k -> ConcurrentHashMap.newKeySet()).add(e.id());
      }
    }
    if (bad > 0) {
      errors.add(
          "pack "
              + pack.shortHex()
              + ": "
              + bad
              + " of "
              + Plural.count(expected.size(), "blob")
              + " "
              + (bad == 1 ? "is" : "are")
              + " damaged");
    }
  }

  private void markBad(List<PackEntry> entries, String why) {
    for (PackEntry e : entries) {
      badBlobs.putIfAbsent(e.id(), why);
    }
  }

  /** Returns why the tree cannot be restored completely, or null when it can. Memoised per tree. */
  private String checkTree(Id treeId, Set<Id> indexed, Map<Id, String> verdicts) {
    if (verdicts.containsKey(treeId)) {
      return verdicts.get(treeId);
    }
    String why = blobProblem(treeId, indexed, BlobType.METADATA);
    if (why == null) {
      try {
        Tree tree = Json.read(repo.readBlob(treeId), Tree.class, "tree " + treeId.shortHex());
        for (Node n : tree.nodes()) {
          why = nodeProblem(n, indexed, verdicts);
          if (why != null) break;
        }
      } catch (IOException | RuntimeException e) {
        why = "tree " + treeId.shortHex() + ": " + e.getMessage();
      }
    }
    verdicts.put(treeId, why);
    return why;
  }

  private String nodeProblem(Node n, Set<Id> indexed, Map<Id, String> verdicts) throws IOException {
    if (n.subtree() != null) {
      return checkTree(Id.parse(n.subtree()), indexed, verdicts);
    }
    if (n.content() != null) {
      for (String c : n.content()) {
        String why = blobProblem(Id.parse(c), indexed, BlobType.DATA);
        if (why != null) return "'" + n.name() + "': " + why;
      }
    }
    if (n.contentLists() != null) {
      for (String l : n.contentLists()) {
        Id listId = Id.parse(l);
        String why = blobProblem(listId, indexed, BlobType.METADATA);
        if (why != null) return "'" + n.name() + "': " + why;
        byte[] list;
        try {
          list = repo.readBlob(listId);
        } catch (RoadieException e) {
          return "'" + n.name() + "': chunk list " + listId.shortHex() + ": " + e.getMessage();
        }
        for (int p = 0; p + Id.BYTES <= list.length; p += Id.BYTES) {
          why = blobProblem(Id.of(list, p), indexed, BlobType.DATA);
          if (why != null) return "'" + n.name() + "': " + why;
        }
      }
    }
    return null;
  }

  /** Whether some index entry holds {@code blob} in full (not as a delta). */
  private boolean hasFullCopy(Id blob, Map<Id, List<PackEntry>> indexed) {
    for (Map.Entry<Id, List<PackEntry>> p : indexed.entrySet()) {
      Map<Id, List<Id>> deltas = basesInPack.getOrDefault(p.getKey(), Map.of());
      for (PackEntry e : p.getValue()) {
        if (e.id().equals(blob) && !deltas.containsKey(blob)) return true;
      }
    }
    return false;
  }

  private String blobProblem(Id id, Set<Id> indexed, BlobType expected) {
    String own = ownProblem(id, indexed);
    if (own != null) return own;
    for (Id base : baseOf.getOrDefault(id, List.of())) {
      String why = ownProblem(base, indexed);
      if (why != null) return "base of blob " + id.shortHex() + ": " + why;
    }
    return null;
  }

  private String ownProblem(Id id, Set<Id> indexed) {
    if (goodCopies.contains(id)) {
      return null;
    }
    String bad = badBlobs.get(id);
    if (bad != null) {
      return "blob " + id.shortHex() + ": " + bad;
    }
    if (!indexed.contains(id)) {
      return "blob " + id.shortHex() + " is missing from the index";
    }
    return null;
  }

  private void checkLeases() throws IOException {
    for (ObjectInfo info : repo.backend().list(ObjectKind.LEASE)) {
      try {
        Lease.Record r = Json.read(repo.readSealed(info.name()), Lease.Record.class, "lease");
        if (Duration.between(Instant.parse(r.refreshed()), Instant.now()).compareTo(Lease.TTL)
            > 0) {
          warnings.add(
              "stale lease of a "
                  + r.operation()
                  + " on "
                  + r.host()
                  + " (pid "
                  + r.pid()
                  + ", started "
                  + r.started()
                  + "): that process ended without cleaning up; harmless");
        }
      } catch (IOException | RuntimeException e) {
        warnings.add(
            "lease " + info.name().id().substring(0, 8) + " is unreadable: " + e.getMessage());
      }
    }
  }

  private interface PackTask {
    void run(Id pack);
  }

  private void forEachParallel(List<Id> packs, PackTask task) throws IOException {
    List<Future<?>> futures = new ArrayList<>();
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(8);
    for (Id p : packs) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      futures.add(
          repo.io()
              .submit(
                  () -> {
                    try {
                      task.run(p);
                    } finally {
                      slots.release();
                    }
                  }));
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (ExecutionException e) {
        errors.add("check failed: " + e.getCause());
      }
    }
  }
}
