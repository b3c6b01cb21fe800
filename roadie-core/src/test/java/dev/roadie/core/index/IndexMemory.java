package dev.roadie.core.index;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.SplittableRandom;

/**
 * Measures the heap a {@link BlobIndex} of ten million blobs takes and how fast it answers lookups.
 * Not a test: run by hand with a large heap (e.g. {@code -Xmx4g}).
 *
 * <p>Blob ids are generated from a seeded {@link SplittableRandom} and regenerated for the lookups,
 * so no list of ids is kept alive to distort the measurement.
 */
public final class IndexMemory {
  private static final int BLOBS = 10_000_000;
  private static final int PACKS = 2_500;
  private static final long SEED = 20_261_124L;

  private IndexMemory() {}

  public static void main(String[] args) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long before = settledHeapUsed(memory);

    long start = System.nanoTime();
    BlobIndex index = new BlobIndex();
    for (int p = 0; p < PACKS; p++) {
      index.addPack(Id.random(), p % 10 == 0 ? BlobType.METADATA : BlobType.DATA);
    }
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < BLOBS; i++) {
      Id id = new Id(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
      index.add(
          id,
          i % PACKS,
          random.nextLong(1L << 32),
          random.nextInt(1 << 22),
          random.nextInt(1 << 23));
    }
    double addSeconds = (System.nanoTime() - start) / 1e9;

    long after = settledHeapUsed(memory);
    long used = after - before;
    System.out.printf(
        "blobs %,d in %,d packs, added in %.2f s (%.1f M adds/s)%n",
        index.size(), index.packCount(), addSeconds, BLOBS / addSeconds / 1e6);
    System.out.printf(
        "heap used: before %,d, after %,d, difference %,d bytes = %.2f bytes/blob%n",
        before, after, used, (double) used / BLOBS);
    System.out.printf(
        "memoryBytes(): %,d bytes = %.2f bytes/blob%n",
        index.memoryBytes(), (double) index.memoryBytes() / BLOBS);

    for (int round = 0; round < 3; round++) {
      random = new SplittableRandom(SEED);
      long found = 0;
      start = System.nanoTime();
      for (int i = 0; i < BLOBS; i++) {
        Id id = new Id(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
        random.nextLong();
        random.nextInt();
        random.nextInt();
        BlobLocation loc = index.get(id);
        if (loc != null) {
          found++;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "round %d: %,d get() hits of %,d in %.2f s = %.1f M lookups/s (one thread, incl. id generation)%n",
          round, found, BLOBS, seconds, BLOBS / seconds / 1e6);
    }
    random = new SplittableRandom(SEED + 1);
    long hits = 0;
    start = System.nanoTime();
    for (int i = 0; i < BLOBS; i++) {
      if (index.contains(
          new Id(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong()))) {
        hits++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "contains() misses: %,d hits of %,d in %.2f s = %.1f M lookups/s%n",
        hits, BLOBS, seconds, BLOBS / seconds / 1e6);
    // Keep the index reachable until after the measurements.
    System.out.println("size " + index.size());
  }

  private static long settledHeapUsed(MemoryMXBean memory) {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    Runtime rt = Runtime.getRuntime();
    return Math.min(used, rt.totalMemory() - rt.freeMemory());
  }
}
