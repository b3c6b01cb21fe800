package dev.roadie.cli;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;

/**
 * Keeps the old generation of the heap near what its live data needs, so that a long command's
 * resident memory follows its live data rather than its run time.
 *
 * <p>roadie runs the serial collector (docs/decisions/0002-serial-gc-small-young-generation.md).
 * When a young collection promotes objects into a full old generation, that collector grows the old
 * generation instead of collecting it, up to the maximum heap (a quarter of the machine's memory by
 * default); a full collection comes only at that limit. Objects that outlive a young cycle and then
 * die (a bucket backup's objects between the listing and the snapshot's pages, a decoded index
 * file) therefore pile up as committed memory for the whole run. This thread asks for a full
 * collection once the old generation holds more than it held after the last one plus a margin; the
 * collector then also returns committed memory above {@code MaxHeapFreeRatio}.
 *
 * <p>It starts after {@link #DELAY}, so a short command (a WAL push, a listing) never loads the
 * management classes it needs, and does nothing under another collector, which sizes its own heap.
 */
final class HeapGovernor {
  /** Before this, nothing is checked: most commands have ended. */
  static final Duration DELAY = Duration.ofSeconds(2);

  static final Duration PERIOD = Duration.ofMillis(500);

  /**
   * Growth of the old generation over its live size that brings a full collection: the larger of
   * this and an eighth of the live size, so collections stay rare while the live data grows (a full
   * collection of a few hundred MiB takes tens of milliseconds).
   */
  static final long MIN_MARGIN = 32L << 20;

  /** The serial collector's full (old generation) collection. */
  private static final String SERIAL_OLD = "MarkSweepCompact";

  private HeapGovernor() {}

  /** Starts the governor's daemon thread. */
  static void start() {
    Thread.ofPlatform().daemon().name("roadie-heap").start(HeapGovernor::run);
  }

  private static void run() {
    try {
      Thread.sleep(DELAY);
      MemoryPoolMXBean old = serialOldGeneration();
      if (old == null) return;
      while (true) {
        if (shouldCollect(old.getUsage().getUsed(), liveAfterLastCollection(old))) System.gc();
        Thread.sleep(PERIOD);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Whether an old generation holding {@code used} bytes, {@code live} after its last collection,
   * should be collected.
   */
  static boolean shouldCollect(long used, long live) {
    return used > live + Math.max(MIN_MARGIN, live / 8);
  }

  private static long liveAfterLastCollection(MemoryPoolMXBean old) {
    MemoryUsage u = old.getCollectionUsage();
    return u == null ? 0 : u.getUsed();
  }

  /** The serial collector's old generation, or null under another collector. */
  static MemoryPoolMXBean serialOldGeneration() {
    boolean serial = false;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      serial |= gc.getName().equals(SERIAL_OLD);
    }
    if (!serial) return null;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      // Eden and the survivor spaces support no usage threshold: what does is the old generation.
      if (pool.getType() == MemoryType.HEAP && pool.isUsageThresholdSupported()) return pool;
    }
    return null;
  }
}
