package dev.roadie.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BlobIndexTest {
  /** A well-mixed, reproducible id for blob number {@code i} (SplitMix64 finalizer). */
  static Id idOf(long i) {
    return new Id(mix(i), mix(i + 0x1000_0000_0000L), i, ~i);
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return z ^ (z >>> 31);
  }

  @Test
  void addGetContains() {
    BlobIndex index = new BlobIndex();
    Id dataPack = Id.random();
    Id metaPack = Id.random();
    int d = index.addPack(dataPack, BlobType.DATA);
    int m = index.addPack(metaPack, BlobType.METADATA);
    assertEquals(0, d);
    assertEquals(1, m);
    Id a = Id.random();
    Id b = Id.random();
    assertTrue(index.add(a, d, 0xFFFF_FFFFL, Integer.MAX_VALUE, 0));
    assertTrue(index.add(b, m, 12, 34, Integer.MAX_VALUE));
    assertEquals(
        new BlobLocation(a, BlobType.DATA, dataPack, 0xFFFF_FFFFL, Integer.MAX_VALUE, 0),
        index.get(a));
    assertEquals(
        new BlobLocation(b, BlobType.METADATA, metaPack, 12, 34, Integer.MAX_VALUE), index.get(b));
    assertTrue(index.contains(a));
    Id absent = Id.random();
    assertFalse(index.contains(absent));
    assertNull(index.get(absent));
    assertEquals(2, index.size());
    assertEquals(2, index.packCount());
    assertEquals(List.of(dataPack, metaPack), index.packIds());
    assertEquals(1, index.packNumber(metaPack));
    assertEquals(-1, index.packNumber(absent));
  }

  @Test
  void firstLocationWins() {
    BlobIndex index = new BlobIndex();
    int p0 = index.addPack(Id.random(), BlobType.DATA);
    int p1 = index.addPack(Id.random(), BlobType.DATA);
    Id a = Id.random();
    assertTrue(index.add(a, p0, 10, 20, 30));
    assertFalse(index.add(a, p1, 11, 21, 31));
    assertFalse(index.add(new Id(a.word(0), a.word(1), a.word(2), a.word(3)), p0, 0, 0, 0));
    BlobLocation loc = index.get(a);
    assertEquals(index.packIds().get(p0), loc.packId());
    assertEquals(10, loc.offset());
    assertEquals(1, index.size());
  }

  @Test
  void samePackTwiceKeepsItsNumber() {
    BlobIndex index = new BlobIndex();
    Id pack = Id.random();
    int n = index.addPack(pack, BlobType.METADATA);
    assertEquals(
        n,
        index.addPack(
            new Id(pack.word(0), pack.word(1), pack.word(2), pack.word(3)), BlobType.METADATA));
    assertEquals(1, index.packCount());
    assertThrows(IllegalArgumentException.class, () -> index.addPack(pack, BlobType.DATA));
  }

  @Test
  void badArgumentsAreRejected() {
    BlobIndex index = new BlobIndex();
    Id a = Id.random();
    assertThrows(IllegalArgumentException.class, () -> index.add(a, 0, 0, 1, 1));
    int p = index.addPack(Id.random(), BlobType.DATA);
    assertThrows(IllegalArgumentException.class, () -> index.add(a, p + 1, 0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> index.add(a, -1, 0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> index.add(a, p, 1L << 32, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> index.add(a, p, -1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> index.add(a, p, 0, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> index.add(a, p, 0, 1, -1));
    assertEquals(0, index.size());
    assertFalse(index.contains(a));
  }

  @Test
  void growsThroughManyResizesAndPages() {
    BlobIndex index = new BlobIndex();
    List<Id> packs = new ArrayList<>();
    for (int p = 0; p < 100; p++) {
      packs.add(Id.random());
      index.addPack(packs.get(p), p % 2 == 0 ? BlobType.DATA : BlobType.METADATA);
    }
    int n = 300_000;
    for (int i = 0; i < n; i++) {
      assertTrue(index.add(idOf(i), i % 100, i * 7L, i, i / 3));
    }
    assertEquals(n, index.size());
    for (int i = 0; i < n; i++) {
      assertEquals(expected(i, packs), index.get(idOf(i)));
    }
    for (int i = n; i < n + 10_000; i++) {
      assertNull(index.get(idOf(i)));
    }
    long bytes = index.memoryBytes();
    assertTrue(bytes > 48L * n && bytes < 100L * n, "memoryBytes " + bytes);
  }

  private static BlobLocation expected(int i, List<Id> packs) {
    return new BlobLocation(
        idOf(i),
        i % 2 == 0 ? BlobType.DATA : BlobType.METADATA,
        packs.get(i % 100),
        i * 7L,
        i,
        i / 3);
  }

  @Test
  void collidingFirstWordsAreTellApart() {
    // Same word 0 means the same home slot: long probe chains, across a resize.
    BlobIndex index = new BlobIndex();
    int p = index.addPack(Id.random(), BlobType.DATA);
    for (int i = 0; i < 3000; i++) {
      assertTrue(index.add(new Id(42, i, 0, 0), p, i, i, i));
      assertTrue(index.add(new Id(42, 0, 0, i + 1), p, i, i, i));
    }
    for (int i = 0; i < 3000; i++) {
      assertEquals(i, index.get(new Id(42, i, 0, 0)).offset());
      assertEquals(i, index.get(new Id(42, 0, 0, i + 1)).length());
    }
    assertFalse(index.contains(new Id(42, 3000, 0, 0)));
    assertFalse(index.contains(new Id(42, 0, 1, 0)));
    assertEquals(6000, index.size());
  }

  @Test
  void presizedIndexHoldsItsBlobs() {
    BlobIndex index = new BlobIndex(50_000);
    int p = index.addPack(Id.random(), BlobType.DATA);
    for (int i = 0; i < 60_000; i++) {
      index.add(idOf(i), p, i, 1, 1);
    }
    for (int i = 0; i < 60_000; i++) {
      assertEquals(i, index.get(idOf(i)).offset());
    }
    assertThrows(IllegalArgumentException.class, () -> new BlobIndex(-1));
  }

  @Test
  void forEachSeesEveryBlobInOrderAndMayAdd() {
    BlobIndex index = new BlobIndex();
    int p = index.addPack(Id.random(), BlobType.METADATA);
    for (int i = 0; i < 20_000; i++) {
      index.add(idOf(i), p, i, i, i);
    }
    List<BlobLocation> seen = new ArrayList<>();
    AtomicInteger next = new AtomicInteger(20_000);
    index.forEach(
        loc -> {
          seen.add(loc);
          index.add(idOf(next.getAndIncrement()), p, 0, 0, 0);
        });
    assertEquals(20_000, seen.size());
    for (int i = 0; i < 20_000; i++) {
      assertEquals(idOf(i), seen.get(i).blobId());
      assertEquals(i, seen.get(i).offset());
      assertEquals(BlobType.METADATA, seen.get(i).type());
    }
    assertEquals(40_000, index.size());
  }

  @Test
  void matchesAHashMapOnRandomOperations() {
    SplittableRandom random = new SplittableRandom(7);
    BlobIndex index = new BlobIndex();
    Map<Id, BlobLocation> model = new HashMap<>();
    List<Id> packs = new ArrayList<>();
    for (int op = 0; op < 50_000; op++) {
      int kind = random.nextInt(10);
      if (kind == 0 || packs.isEmpty()) {
        Id pack =
            packs.isEmpty() || random.nextBoolean()
                ? Id.random()
                : packs.get(random.nextInt(packs.size()));
        BlobType type = (pack.word(0) & 1) == 0 ? BlobType.DATA : BlobType.METADATA;
        int n = index.addPack(pack, type);
        if (n == packs.size()) {
          packs.add(pack);
        }
        assertEquals(pack, packs.get(n));
      } else {
        // Few distinct ids so duplicates are common.
        Id blob = idOf(random.nextInt(20_000));
        if (kind < 6) {
          int pn = random.nextInt(packs.size());
          Id pack = packs.get(pn);
          BlobLocation loc =
              new BlobLocation(
                  blob,
                  (pack.word(0) & 1) == 0 ? BlobType.DATA : BlobType.METADATA,
                  pack,
                  random.nextLong(1L << 32),
                  random.nextInt(1 << 24),
                  random.nextInt(1 << 26));
          boolean added = index.add(blob, pn, loc.offset(), loc.length(), loc.rawLength());
          assertEquals(model.putIfAbsent(blob, loc) == null, added);
        } else {
          assertEquals(model.get(blob), index.get(blob));
          assertEquals(model.containsKey(blob), index.contains(blob));
        }
      }
    }
    assertEquals(model.size(), index.size());
    Map<Id, BlobLocation> all = new HashMap<>();
    index.forEach(loc -> all.put(loc.blobId(), loc));
    assertEquals(model, all);
  }

  @Test
  void readersStayConsistentWhileOneThreadAddsAMillion() throws Exception {
    int n = 1_000_000;
    int packCount = 300;
    BlobIndex index = new BlobIndex();
    List<Id> packs = new ArrayList<>();
    for (int p = 0; p < packCount; p++) {
      packs.add(idOf(-1 - p));
    }
    // Blobs published so far: every id below this is guaranteed to be in the index.
    AtomicInteger published = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong lookups = new AtomicLong();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < n; i++) {
                  // Packs are added as the writer goes, so readers also race against pack array
                  // growth.
                  int p = i % packCount;
                  int number =
                      index.addPack(packs.get(p), p % 3 == 0 ? BlobType.METADATA : BlobType.DATA);
                  if (!index.add(idOf(i), number, offsetOf(i), i & 0xFFFFF, i)) {
                    throw new AssertionError("blob " + i + " added twice");
                  }
                  published.lazySet(i + 1);
                }
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              } finally {
                done.set(true);
              }
            });
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      int seed = r;
      readers.add(
          new Thread(
              () -> {
                SplittableRandom random = new SplittableRandom(seed);
                try {
                  while (!done.get() && failure.get() == null) {
                    int known = published.get();
                    if (known > 0) {
                      int i = random.nextInt(known);
                      BlobLocation loc = index.get(idOf(i));
                      if (loc == null) {
                        throw new AssertionError("published blob " + i + " not found");
                      }
                      checkLocation(i, loc, packs);
                    }
                    // Ids that may be in flight: absent, or present with exactly their location.
                    int j = known + random.nextInt(1000);
                    BlobLocation maybe = index.get(idOf(j));
                    if (maybe != null) {
                      checkLocation(j, maybe, packs);
                    }
                    if (index.contains(idOf(n + random.nextInt(n)))) {
                      throw new AssertionError("a blob never added was found");
                    }
                    lookups.addAndGet(3);
                  }
                } catch (Throwable t) {
                  failure.compareAndSet(null, t);
                }
              }));
    }
    readers.forEach(Thread::start);
    writer.start();
    writer.join();
    for (Thread reader : readers) {
      reader.join();
    }
    if (failure.get() != null) {
      throw new AssertionError(
          "concurrent access failed after " + lookups.get() + " lookups", failure.get());
    }
    assertEquals(n, index.size());
    assertTrue(lookups.get() > 0);
    for (int i = 0; i < n; i += 997) {
      checkLocation(i, index.get(idOf(i)), packs);
    }
  }

  private static long offsetOf(int i) {
    return (i * 2_654_435_761L) & 0xFFFF_FFFFL;
  }

  private static void checkLocation(int i, BlobLocation loc, List<Id> packs) {
    int p = i % packs.size();
    BlobLocation want =
        new BlobLocation(
            idOf(i),
            p % 3 == 0 ? BlobType.METADATA : BlobType.DATA,
            packs.get(p),
            offsetOf(i),
            i & 0xFFFFF,
            i);
    if (!want.equals(loc)) {
      throw new AssertionError("blob " + i + ": expected " + want + " but got " + loc);
    }
  }
}
