package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.pack.PackEntry;
import dev.roadie.core.pack.PackReader;
import dev.roadie.core.pack.PackWriter;
import dev.roadie.core.prune.PruneReport;
import dev.roadie.core.prune.Pruner;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delta blobs (docs/repository-format.md §6): format, writer, readers, prune, check and copy. */
class DeltaTest {
  private static final char[] PW = "pw".toCharArray();
  private static final Pruner.Options NOW =
      new Pruner.Options(Duration.ZERO, 0.10, false, Duration.ZERO);
  @TempDir Path dir;

  /**
   * Table-like text: {@code rows} lines of random fields (about 2x compressible), changed in place
   * by {@link #change}.
   */
  static byte[][] table(int rows, long seed) {
    Random r = new Random(seed);
    byte[][] out = new byte[rows][];
    for (int i = 0; i < rows; i++) out[i] = row(i, r);
    return out;
  }

  static byte[] row(int i, Random r) {
    return String.format(
            "%08d\t%016x\t%016x\tname-%05d\t%d%n",
            i, r.nextLong(), r.nextLong(), r.nextInt(100000), r.nextInt(1000))
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Rewrites {@code share} of the rows, scattered, with new values of the same shape. */
  static byte[][] change(byte[][] rows, double share, long seed) {
    Random r = new Random(seed);
    byte[][] out = rows.clone();
    for (int i = 0; i < out.length; i++) {
      if (r.nextDouble() < share) out[i] = row(i, r);
    }
    return out;
  }

  static byte[] join(byte[][] rows, int count) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < count; i++) b.writeBytes(rows[i]);
    return b.toByteArray();
  }

  record Written(Id snapshot, long bytesAdded, long deltas) {}

  /**
   * A backup of named streams, each against the same stream of {@code parent} (a snapshot id, or
   * null).
   */
  static Written backup(Repository repo, Map<String, byte[]> streams, Id parent)
      throws IOException {
    Map<String, Node> parentNodes = new java.util.HashMap<>();
    if (parent != null) {
      for (Node n : repo.readTree(Id.parse(repo.readSnapshot(parent).snapshot().tree())).nodes())
        parentNodes.put(n.name(), n);
    }
    Progress progress = new Progress();
    try (BackupWriter w = new BackupWriter(repo, progress)) {
      List<Node> nodes = new ArrayList<>();
      for (var e : new java.util.TreeMap<>(streams).entrySet()) {
        Content c =
            w.writeStream(
                new ByteArrayInputStream(e.getValue()),
                ChunkerParams.TABLE,
                ParentStream.of(repo, parentNodes.get(e.getKey())));
        nodes.add(
            new Node(
                e.getKey(),
                Node.STREAM,
                c.size(),
                null,
                null,
                null,
                null,
                null,
                c.chunksHex(),
                c.chunkListsHex(),
                null,
                null));
      }
      Id tree = w.writeTree(new Tree(nodes));
      Id id =
          w.commit(
              new Snapshot(
                  Snapshot.VERSION,
                  "2026-01-01T00:00:00Z",
                  "t",
                  "test",
                  "h",
                  "u",
                  List.of(),
                  List.of(),
                  tree.hex(),
                  null,
                  null,
                  Map.of()));
      return new Written(id, progress.bytesAdded.get(), w.deltasStored());
    }
  }

  @Test
  void deltaFrameRoundTripAndTamper() {
    byte[] base = join(table(2000, 1), 2000);
    byte[] changed = join(change(table(2000, 1), 0.02, 2), 2000);
    byte[] out = new byte[Compression.bound(changed.length)];
    int n =
        Compression.compressAgainst(
            List.of(base),
            changed,
            0,
            changed.length,
            out,
            Compression.deltaHeader(1),
            Integer.MAX_VALUE);
    int plain =
        Compression.compress(
            changed, 0, changed.length, new byte[Compression.bound(changed.length)], 0);
    assertTrue(n > 0 && n < plain / 4, "delta " + n + " bytes, plain " + plain);
    Id baseId = new Id(1, 2, 3, 4);
    out[0] = Compression.DELTA;
    baseId.writeTo(out, 1);
    byte[] framed = Arrays.copyOf(out, Compression.deltaHeader(1) + n);
    assertEquals(List.of(baseId), Compression.deltaBases(framed));
    assertArrayEquals(changed, Compression.unpack(framed, changed.length, "t", id -> base));
    // A frame where no delta may be, or a base zstd would take as a structured dictionary: refused.
    assertThrows(RoadieException.class, () -> Compression.unpack(framed, changed.length, "t"));
    byte[] magic = base.clone();
    magic[0] = 0x37;
    magic[1] = (byte) 0xA4;
    magic[2] = 0x30;
    magic[3] = (byte) 0xEC;
    assertFalse(Compression.usableBase(magic));
    assertEquals(
        -1,
        Compression.compressAgainst(
            List.of(magic), changed, 0, changed.length, out, 33, Integer.MAX_VALUE));
  }

  /**
   * A sealed delta opened against the wrong base, or with a flipped byte, never yields wrong
   * plaintext.
   */
  @Test
  void packedDeltaRejectsWrongBaseAndFlippedBytes() {
    MasterKey key = MasterKey.generate();
    byte[] base = join(table(2000, 1), 2000);
    byte[] other = join(table(2000, 9), 2000);
    byte[] changed = join(change(table(2000, 1), 0.02, 2), 2000);
    Id baseId = key.blobId(base);
    Id id = key.blobId(changed);
    byte[] out = new byte[Compression.bound(changed.length)];
    int n =
        Compression.compressAgainst(
            List.of(base), changed, 0, changed.length, out, Id.BYTES, Integer.MAX_VALUE);
    baseId.writeTo(out, 0);
    PackWriter w = new PackWriter(key, BlobType.DATA, 1 << 20);
    PackEntry e = w.add(id, (byte) Compression.DELTA, out, 0, Id.BYTES + n, changed.length);
    assertEquals(List.of(baseId), w.basesOf(id));
    ByteBuffer pack = w.finish();
    byte[] bytes = Arrays.copyOf(pack.array(), pack.limit());
    Id packId = w.id();
    byte[] pk = key.packKey(packId);
    assertArrayEquals(
        changed, PackReader.openBlob(key, pk, packId, e, bytes, (int) e.offset(), x -> base));
    RoadieException wrong =
        assertThrows(
            RoadieException.class,
            () -> PackReader.openBlob(key, pk, packId, e, bytes, (int) e.offset(), x -> other));
    assertTrue(wrong.getMessage().contains("blob " + id.shortHex()), wrong.getMessage());
    byte[] flipped = bytes.clone();
    flipped[(int) e.offset() + 40] ^= 1;
    assertThrows(
        RoadieException.class,
        () -> PackReader.openBlob(key, pk, packId, e, flipped, (int) e.offset(), x -> base));
  }

  @Test
  void indexFileVersionTwoOnlyWithDeltas() {
    Id pack = new Id(9, 9, 9, 9);
    IndexFile.BlobEntry full = new IndexFile.BlobEntry(new Id(1, 1, 1, 1), 8, 100, 200);
    IndexFile.BlobEntry delta =
        new IndexFile.BlobEntry(new Id(2, 2, 2, 2), 108, 50, 200, List.of(new Id(1, 1, 1, 1)));
    byte[] v1 =
        IndexFile.encode(
            List.of(new IndexFile.PackEntries(pack, BlobType.DATA, List.of(full))), List.of());
    assertEquals(1, v1[0]);
    byte[] v2 =
        IndexFile.encode(
            List.of(new IndexFile.PackEntries(pack, BlobType.DATA, List.of(full, delta))),
            List.of());
    assertEquals(2, v2[0]);
    IndexFile.Decoded d = IndexFile.decode(v2);
    assertEquals(List.of(full, delta), d.packs().get(0).blobs());
    assertArrayEquals(v2, IndexFile.encode(d.packs(), d.supersedes()));
    byte[] bad = v2.clone();
    bad[v2.length - 1 - 32 - 1] =
        2; // the delta's base count (before its base id and the supersedes count): at most 1 in
    // version 2
    assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(bad));
    assertThrows(
        IllegalArgumentException.class, () -> IndexFile.decode(Arrays.copyOf(v2, v2.length - 1)));
  }

  /**
   * Removes {@code share} of the rows from row {@code from} on, as updated rows leave their place
   * in a heap.
   */
  static byte[][] vanish(byte[][] rows, int from, double share, long seed) {
    Random r = new Random(seed);
    List<byte[]> out = new ArrayList<>(Arrays.asList(rows).subList(0, from));
    for (int i = from; i < rows.length; i++) {
      if (r.nextDouble() >= share) out.add(rows[i]);
    }
    return out.toArray(byte[][]::new);
  }

  /**
   * A chunk made of the end of one base and the start of the next, with a fifth of its rows gone,
   * is far smaller against both bases than against either; it decodes only against both, in order.
   */
  @Test
  void twoBaseFrameRoundTripAndTamper() {
    MasterKey key = MasterKey.generate();
    byte[][] rows = table(4000, 1);
    byte[] base1 = join(Arrays.copyOfRange(rows, 0, 2000), 2000);
    byte[] base2 = join(Arrays.copyOfRange(rows, 2000, 4000), 2000);
    byte[][] middle = vanish(Arrays.copyOfRange(rows, 1000, 3000), 0, 0.2, 3);
    byte[] changed = join(middle, middle.length);
    byte[] out = new byte[Compression.bound(changed.length)];
    int header = Compression.deltaHeader(2);
    int one =
        Compression.compressAgainst(
            List.of(base1), changed, 0, changed.length, out, header, Integer.MAX_VALUE);
    int n =
        Compression.compressAgainst(
            List.of(base1, base2), changed, 0, changed.length, out, header, Integer.MAX_VALUE);
    assertTrue(n > 0 && n < one / 4, "two bases " + n + " bytes, one base " + one);
    Id id1 = key.blobId(base1);
    Id id2 = key.blobId(base2);
    out[0] = Compression.deltaFlag(2);
    id1.writeTo(out, 1);
    id2.writeTo(out, 1 + Id.BYTES);
    byte[] framed = Arrays.copyOf(out, header + n);
    assertEquals(Compression.DELTA2, framed[0]);
    assertEquals(List.of(id1, id2), Compression.deltaBases(framed));
    Compression.Bases both = x -> x.equals(id1) ? base1 : x.equals(id2) ? base2 : null;
    assertArrayEquals(changed, Compression.unpack(framed, changed.length, "t", both));
    assertThrows(RoadieException.class, () -> Compression.unpack(framed, changed.length, "t"));
    assertThrows(
        RoadieException.class,
        () -> Compression.unpack(Arrays.copyOf(framed, header), changed.length, "t", both),
        "a frame cut after its base ids");

    Id id = key.blobId(changed);
    PackWriter w = new PackWriter(key, BlobType.DATA, 1 << 20);
    PackEntry e = w.add(id, framed, changed.length);
    assertEquals(List.of(id1, id2), w.basesOf(id));
    ByteBuffer pack = w.finish();
    byte[] bytes = Arrays.copyOf(pack.array(), pack.limit());
    byte[] pk = key.packKey(w.id());
    assertArrayEquals(
        changed, PackReader.openBlob(key, pk, w.id(), e, bytes, (int) e.offset(), both));
    // The bases swapped, or the second replaced: wrong bytes or no frame, never accepted.
    Compression.Bases swapped = x -> x.equals(id1) ? base2 : base1;
    assertThrows(
        RoadieException.class,
        () -> PackReader.openBlob(key, pk, w.id(), e, bytes, (int) e.offset(), swapped));
    Compression.Bases otherSecond = x -> x.equals(id1) ? base1 : join(table(2000, 9), 2000);
    assertThrows(
        RoadieException.class,
        () -> PackReader.openBlob(key, pk, w.id(), e, bytes, (int) e.offset(), otherSecond));
  }

  /**
   * Version 3 only for files with a two-base entry; versions 1 and 2 keep their bytes and their
   * limits.
   */
  @Test
  void indexFileVersionThreeOnlyWithTwoBases() {
    Id pack = new Id(9, 9, 9, 9);
    IndexFile.BlobEntry full = new IndexFile.BlobEntry(new Id(1, 1, 1, 1), 8, 100, 200);
    IndexFile.BlobEntry one =
        new IndexFile.BlobEntry(new Id(2, 2, 2, 2), 108, 50, 200, List.of(new Id(1, 1, 1, 1)));
    IndexFile.BlobEntry two =
        new IndexFile.BlobEntry(
            new Id(3, 3, 3, 3), 158, 40, 200, List.of(new Id(1, 1, 1, 1), new Id(4, 4, 4, 4)));
    byte[] v2 =
        IndexFile.encode(
            List.of(new IndexFile.PackEntries(pack, BlobType.DATA, List.of(full, one))), List.of());
    assertEquals(2, v2[0]);
    byte[] v3 =
        IndexFile.encode(
            List.of(new IndexFile.PackEntries(pack, BlobType.DATA, List.of(full, one, two))),
            List.of());
    assertEquals(3, v3[0]);
    IndexFile.Decoded d = IndexFile.decode(v3);
    assertEquals(List.of(full, one, two), d.packs().get(0).blobs());
    assertArrayEquals(v3, IndexFile.encode(d.packs(), d.supersedes()));
    // The last entry's base count sits before its two ids and the supersedes count.
    int count = v3.length - 1 - 2 * Id.BYTES - 1;
    assertEquals(2, v3[count]);
    byte[] three = v3.clone();
    three[count] = 3;
    assertThrows(
        IllegalArgumentException.class, () -> IndexFile.decode(three), "at most two bases");
    byte[] asV2 = v3.clone();
    asV2[0] = 2;
    assertThrows(
        IllegalArgumentException.class,
        () -> IndexFile.decode(asV2),
        "version 2 holds one base at most");
    // A version 3 file without a two-base entry is valid, and re-encodes as version 2.
    byte[] v2As3 = v2.clone();
    v2As3[0] = 3;
    IndexFile.Decoded lower = IndexFile.decode(v2As3);
    assertArrayEquals(v2, IndexFile.encode(lower.packs(), lower.supersedes()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new IndexFile.BlobEntry(
                new Id(5, 5, 5, 5),
                0,
                1,
                1,
                List.of(new Id(1, 1, 1, 1), new Id(2, 2, 2, 2), new Id(3, 3, 3, 3))));
  }

  /** Blobs of {@code repo}'s index that are deltas against two bases. */
  static List<BlobLocation> twoBaseDeltas(Repository repo) throws IOException {
    List<BlobLocation> out = new ArrayList<>();
    repo.index()
        .forEach(
            loc -> {
              if (loc.bases().size() == 2) out.add(loc);
            });
    return out;
  }

  /**
   * Where a fifth of the rows of a table's newest part vanished, changed chunks span two parent
   * chunks: the second backup stores deltas against two bases, which restore, survive a prune of
   * the snapshot holding the bases (both bases kept), and go when no snapshot needs them.
   */
  @Test
  void vanishedRowsStoreTwoBaseDeltasThatPruneKeepsAndDrops() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[][] rows = table(60_000, 1);
    byte[] first = join(rows, rows.length);
    byte[][] busy = vanish(rows, 45_000, 0.2, 2);
    byte[] second = join(busy, busy.length);
    byte[] other = PruneTest.random(200_000, 5);
    Written a;
    Written b;
    Written c;
    long oneBase;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, Map.of("s", first), null);
      b = backup(repo, Map.of("s", second), a.snapshot());
      c = backup(repo, Map.of("o", other), null);
      List<BlobLocation> two = twoBaseDeltas(repo);
      assertFalse(two.isEmpty(), b.deltas() + " deltas, none against two bases");
      for (BlobLocation loc : two) {
        assertFalse(loc.bases().get(0).equals(loc.bases().get(1)));
        for (Id base : loc.bases())
          assertFalse(repo.index().get(base).isDelta(), "a base is never a delta");
      }
      long[] count = new long[1];
      repo.index().forEach(loc -> count[0] += loc.bases().size() == 1 ? 1 : 0);
      oneBase = count[0];
    }
    boolean v3 = false;
    try (Repository r = Repository.open(backend, PW)) {
      for (ObjectInfo f : backend.list(ObjectKind.INDEX)) {
        v3 |=
            r.readIndexFile(f.name()).packs().stream()
                .anyMatch(p -> p.blobs().stream().anyMatch(x -> x.bases().size() == 2));
      }
    }
    assertTrue(v3, "an index file records both bases");
    assertTrue(
        b.bytesAdded() < a.bytesAdded() / 4,
        "second backup adds "
            + b.bytesAdded()
            + " of "
            + a.bytesAdded()
            + " ("
            + oneBase
            + " one-base deltas)");
    PruneTest.assertHealthy(
        backend,
        Map.of(
            a.snapshot(),
            Map.of("s", first),
            b.snapshot(),
            Map.of("s", second),
            c.snapshot(),
            Map.of("o", other)));

    // The first snapshot goes: every base of the second's deltas stays, the second and the first
    // base alike.
    PruneTest.forget(backend, a.snapshot());
    PruneReport report = PruneTest.prune(backend, NOW);
    assertTrue(report.repackedPacks + report.unusedPacks > 0, "prune freed something");
    PruneTest.assertHealthy(
        backend, Map.of(b.snapshot(), Map.of("s", second), c.snapshot(), Map.of("o", other)));
    try (Repository repo = Repository.open(backend, PW)) {
      assertFalse(twoBaseDeltas(repo).isEmpty(), "the two-base deltas are still indexed");
    }

    // No snapshot needs the deltas or their bases any more: all of them go.
    PruneTest.forget(backend, b.snapshot());
    PruneTest.prune(backend, NOW);
    PruneTest.assertHealthy(backend, Map.of(c.snapshot(), Map.of("o", other)));
    try (Repository repo = Repository.open(backend, PW)) {
      assertEquals(0, repo.index().deltaCount());
      long[] blobs = new long[1];
      repo.index().forEach(loc -> blobs[0] += loc.type() == BlobType.DATA ? 1 : 0);
      assertTrue(blobs[0] < 20, blobs[0] + " data blobs left for a 200 KB stream");
    }
  }

  /** check names a two-base delta whose second base is in no index (the first one being fine). */
  @Test
  void checkReportsAMissingSecondBase() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[][] rows = table(30_000, 1);
    Written a;
    Written b;
    byte[][] busy = vanish(rows, 20_000, 0.2, 2);
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, Map.of("s", join(rows, rows.length)), null);
      b = backup(repo, Map.of("s", join(busy, busy.length)), a.snapshot());
      assertFalse(twoBaseDeltas(repo).isEmpty());
    }
    // Rewrite the index so that one two-base delta names a second base that is stored nowhere.
    Id lost = Id.random();
    Id delta = null;
    try (Repository r = Repository.open(backend, PW)) {
      for (ObjectInfo f : backend.list(ObjectKind.INDEX)) {
        IndexFile.Decoded d = r.readIndexFile(f.name());
        List<IndexFile.PackEntries> packs = new ArrayList<>();
        boolean changed = false;
        for (IndexFile.PackEntries p : d.packs()) {
          List<IndexFile.BlobEntry> blobs = new ArrayList<>();
          for (IndexFile.BlobEntry e : p.blobs()) {
            if (delta == null && e.bases().size() == 2) {
              delta = e.id();
              changed = true;
              e =
                  new IndexFile.BlobEntry(
                      e.id(),
                      e.offset(),
                      e.length(),
                      e.rawLength(),
                      List.of(e.bases().get(0), lost));
            }
            blobs.add(e);
          }
          packs.add(new IndexFile.PackEntries(p.packId(), p.type(), blobs));
        }
        if (changed) {
          backend.delete(f.name());
          r.writeSealed(
              ObjectName.of(ObjectKind.INDEX, Id.random().hex()),
              IndexFile.encode(packs, d.supersedes()));
        }
      }
    }
    assertNotNull(delta);
    try (Repository r = Repository.open(backend, PW)) {
      Checker.Report report = new Checker(r, m -> {}).run(0);
      assertFalse(report.ok());
      Id d = delta;
      assertTrue(
          report.errors().stream()
              .anyMatch(
                  e ->
                      e.contains("delta blob " + d.shortHex())
                          && e.contains("needs base blob " + lost.shortHex())
                          && e.contains("in no index")),
          report.errors().toString());
      assertTrue(
          report.damagedSnapshots().contains(b.snapshot().hex()),
          report.damagedSnapshots().toString());
      assertFalse(
          report.damagedSnapshots().contains(a.snapshot().hex()),
          "the first snapshot holds no delta");
    }
  }

  /**
   * A copy stores two-base deltas in full: the copy restores and checks clean without the source.
   */
  @Test
  void copyOfATwoBaseSnapshotRestoresInAFreshRepository() throws Exception {
    LocalBackend src = new LocalBackend(dir.resolve("src"));
    LocalBackend dst = new LocalBackend(dir.resolve("dst"));
    byte[][] rows = table(30_000, 1);
    byte[][] busy = vanish(rows, 20_000, 0.2, 2);
    byte[] second = join(busy, busy.length);
    Written b;
    try (Repository repo = Repository.init(src, PW, 1 << 20)) {
      Written a = backup(repo, Map.of("s", join(rows, rows.length)), null);
      b = backup(repo, Map.of("s", second), a.snapshot());
      assertFalse(twoBaseDeltas(repo).isEmpty());
    }
    try (Repository from = Repository.open(src, PW);
        Repository to = Repository.init(dst, PW, 1 << 20)) {
      new SnapshotCopier(from, to, m -> {}).copy(List.of(from.readSnapshot(b.snapshot())));
    }
    try (Repository to = Repository.open(dst, PW)) {
      assertEquals(0, to.index().deltaCount(), "a copy stores deltas in full");
      assertArrayEquals(second, RoundTripTest.restore(to, to.snapshots(null).get(0).id(), "s"));
      assertTrue(new Checker(to, m -> {}).run(1.0).ok());
    }
  }

  /**
   * The scenario of the feature: a second backup after 1% of rows changed in place stores deltas
   * and adds a small share of the first; it restores byte for byte, also after the snapshot holding
   * the bases is forgotten and pruned, and after a repack moved the bases.
   */
  @Test
  void secondBackupStoresDeltasAndSurvivesPruneAndRepack() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[][] rows = table(60_000, 1);
    byte[] first = join(rows, rows.length);
    byte[] second =
        join(
            change(rows, 0.01, 2),
            rows.length * 3 / 4); // the tail is dropped: its packs become partly used
    Written a;
    Written b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, Map.of("s", first, "extra", PruneTest.random(300_000, 7)), null);
      b = backup(repo, Map.of("s", second), a.snapshot());
      assertTrue(b.deltas() > 0, "deltas stored");
      assertTrue(
          b.bytesAdded() < a.bytesAdded() / 5,
          "second backup adds "
              + b.bytesAdded()
              + " of "
              + a.bytesAdded()
              + ", "
              + b.deltas()
              + " deltas");
      assertTrue(repo.index().deltaCount() > 0);
    }
    boolean v2 = false;
    try (Repository r = Repository.open(backend, PW)) {
      for (ObjectInfo f : backend.list(ObjectKind.INDEX)) {
        v2 |=
            r.readIndexFile(f.name()).packs().stream()
                .anyMatch(p -> p.blobs().stream().anyMatch(x -> !x.bases().isEmpty()));
      }
    }
    assertTrue(v2, "an index file records the deltas' bases");
    PruneTest.assertHealthy(
        backend, Map.of(a.snapshot(), Map.of("s", first), b.snapshot(), Map.of("s", second)));

    PruneTest.forget(backend, a.snapshot());
    PruneReport report = PruneTest.prune(backend, NOW);
    assertTrue(
        report.repackedPacks > 0 || report.unusedPacks > 0,
        "prune freed something: " + report.plannedPacks);
    assertTrue(report.repackedPacks > 0, "a pack holding bases and unused blobs was repacked");
    PruneTest.assertHealthy(backend, Map.of(b.snapshot(), Map.of("s", second)));
    assertEquals(0, PruneTest.prune(backend, NOW).plannedPacks, "nothing left to do");

    // A third backup against the second: its deltas go to the first's bases (one level deep).
    byte[] third = join(change(change(rows, 0.01, 2), 0.01, 3), rows.length * 3 / 4);
    Written c;
    try (Repository repo = Repository.open(backend, PW)) {
      c = backup(repo, Map.of("s", third), b.snapshot());
      assertTrue(c.deltas() > 0);
      var index = repo.index();
      index.forEach(
          loc -> {
            for (Id base : loc.bases()) {
              assertFalse(index.get(base).isDelta(), "a base is never a delta");
            }
          });
    }
    PruneTest.assertHealthy(
        backend, Map.of(b.snapshot(), Map.of("s", second), c.snapshot(), Map.of("s", third)));
  }

  @Test
  void checkReportsAMissingBase() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[][] rows = table(30_000, 1);
    Written a;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, Map.of("s", join(rows, rows.length)), null);
    }
    List<ObjectInfo> firstIndex = backend.list(ObjectKind.INDEX);
    try (Repository repo = Repository.open(backend, PW)) {
      assertTrue(
          backup(repo, Map.of("s", join(change(rows, 0.01, 2), rows.length)), a.snapshot()).deltas()
              > 0);
    }
    for (ObjectInfo f : firstIndex) backend.delete(f.name());
    try (Repository r = Repository.open(backend, PW)) {
      Checker.Report report = new Checker(r, m -> {}).run(0);
      assertFalse(report.ok());
      assertTrue(
          report.errors().stream()
              .anyMatch(e -> e.contains("needs base blob") && e.contains("in no index")),
          report.errors().toString());
    }
  }

  /**
   * A base whose pack a deletion plan names is not used: the chunk is stored in full, and survives
   * the plan.
   */
  @Test
  void baseInPlannedPackIsNotUsed() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[][] rows = table(30_000, 1);
    byte[] second = join(change(rows, 0.01, 2), rows.length);
    Written a;
    Node parentNode;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, Map.of("s", join(rows, rows.length)), null);
      parentNode =
          repo.readTree(Id.parse(repo.readSnapshot(a.snapshot()).snapshot().tree())).nodes().get(0);
    }
    PruneTest.forget(backend, a.snapshot());
    PruneTest.prune(
        backend,
        new Pruner.Options(Pruner.DEFAULT_GRACE, 0.10, false, Duration.ZERO)); // plans only
    assertFalse(backend.list(ObjectKind.PLAN).isEmpty());
    Id b;
    try (Repository repo = Repository.open(backend, PW);
        BackupWriter w = new BackupWriter(repo, new Progress())) {
      Content c =
          w.writeStream(
              new ByteArrayInputStream(second),
              ChunkerParams.TABLE,
              ParentStream.of(repo, parentNode));
      assertEquals(0, w.deltasStored(), "no delta against a planned pack");
      Id tree =
          w.writeTree(
              new Tree(
                  List.of(
                      new Node(
                          "s",
                          Node.STREAM,
                          c.size(),
                          null,
                          null,
                          null,
                          null,
                          null,
                          c.chunksHex(),
                          c.chunkListsHex(),
                          null,
                          null))));
      b =
          w.commit(
              new Snapshot(
                  Snapshot.VERSION,
                  "2026-01-02T00:00:00Z",
                  "t",
                  "test",
                  "h",
                  "u",
                  List.of(),
                  List.of(),
                  tree.hex(),
                  null,
                  null,
                  Map.of()));
    }
    PruneTest.prune(backend, NOW); // carries the plan out
    PruneTest.assertHealthy(backend, Map.of(b, Map.of("s", second)));
  }

  @Test
  void copyOfADeltaSnapshotRestoresInAFreshRepository() throws Exception {
    LocalBackend src = new LocalBackend(dir.resolve("src"));
    LocalBackend dst = new LocalBackend(dir.resolve("dst"));
    byte[][] rows = table(30_000, 1);
    byte[] second = join(change(rows, 0.01, 2), rows.length);
    Written b;
    try (Repository repo = Repository.init(src, PW, 1 << 20)) {
      Written a = backup(repo, Map.of("s", join(rows, rows.length)), null);
      b = backup(repo, Map.of("s", second), a.snapshot());
      assertTrue(b.deltas() > 0);
    }
    try (Repository from = Repository.open(src, PW);
        Repository to = Repository.init(dst, PW, 1 << 20)) {
      SnapshotCopier.Result r =
          new SnapshotCopier(from, to, m -> {}).copy(List.of(from.readSnapshot(b.snapshot())));
      assertEquals(1, r.copied().size());
    }
    try (Repository to = Repository.open(dst, PW)) {
      Id copied = to.snapshots(null).get(0).id();
      assertArrayEquals(second, RoundTripTest.restore(to, copied, "s"));
      assertTrue(new Checker(to, m -> {}).run(1.0).ok());
    }
  }
}
