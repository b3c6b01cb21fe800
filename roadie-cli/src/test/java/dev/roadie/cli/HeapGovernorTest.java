package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.MemoryPoolMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM with roadie's heap options (scripts/lib/jvm.sh, as the launcher runs it) that keeps
 * promoting objects which die soon after: without the governor the old generation grows with the
 * run time; with it, it stays near its live data.
 */
class HeapGovernorTest {
  /** Objects alive at once in {@link Churn}: each lives through several young collections. */
  static final int LIVE_MIB = 48;

  @Test
  void theOldGenerationStaysNearItsLiveDataWhileGarbageIsPromoted() throws Exception {
    Process ungoverned = churn(false);
    Process governed = churn(true);
    long without = peakCommittedMib(ungoverned);
    long with = peakCommittedMib(governed);
    // The control: this collector grows its old generation with promoted garbage by itself (about
    // 350 MiB on a quiet machine; less when the machine is busy and the churn gets less CPU, so
    // the bound leaves room, well above the governed one).
    assertTrue(
        without > 220, "without the governor the old generation peaked at " + without + " MiB");
    assertTrue(
        with < LIVE_MIB + (HeapGovernor.MIN_MARGIN >> 20) + 80,
        "with the governor the old generation peaked at "
            + with
            + " MiB (without: "
            + without
            + ")");
  }

  @Test
  void collectsOnlyPastTheMargin() {
    long mib = 1 << 20;
    assertEquals(false, HeapGovernor.shouldCollect(32 * mib, 0));
    assertEquals(true, HeapGovernor.shouldCollect(33 * mib, 0));
    assertEquals(false, HeapGovernor.shouldCollect(450 * mib, 400 * mib));
    assertEquals(true, HeapGovernor.shouldCollect(451 * mib, 400 * mib));
  }

  private static Process churn(boolean governed) throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String script =
        ". scripts/lib/jvm.sh && roadie_jvm_options "
            + Runtime.version().feature()
            + " && exec \"$0\" \"${roadie_base_opts[@]}\" -Xmx1g -cp \"$1\" \"$2\" \"$3\"";
    return new ProcessBuilder(
            "bash",
            "-c",
            script,
            java,
            System.getProperty("java.class.path"),
            Churn.class.getName(),
            String.valueOf(governed))
        .directory(root.toFile())
        .redirectErrorStream(true)
        .start();
  }

  private static long peakCommittedMib(Process p) throws Exception {
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the churning JVM did not end");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.exitValue(), out);
    String[] lines = out.split("\n");
    return Long.parseLong(lines[lines.length - 1].strip());
  }

  /**
   * Promotes about 40 MiB a second of objects that die a few young collections later, for a few
   * seconds after the governor's first look, and prints the old generation's peak committed size in
   * MiB.
   */
  static final class Churn {
    public static void main(String[] args) throws Exception {
      if (Boolean.parseBoolean(args[0])) HeapGovernor.start();
      MemoryPoolMXBean old = HeapGovernor.serialOldGeneration();
      if (old == null) throw new IllegalStateException("not the serial collector");
      int size = 16 * 1024;
      byte[][] ring = new byte[LIVE_MIB * (1 << 20) / size][];
      List<byte[]> young = new ArrayList<>();
      long peak = 0;
      long end = System.nanoTime() + HeapGovernor.DELAY.toNanos() + TimeUnit.SECONDS.toNanos(8);
      for (long i = 0; System.nanoTime() < end; i++) {
        ring[(int) (i % ring.length)] = new byte[size];
        young.add(new byte[size]); // short-lived garbage fills eden, so young collections come
        if (young.size() == 64) young.clear();
        if (i % 64 == 0) {
          peak = Math.max(peak, old.getUsage().getCommitted());
          Thread.sleep(25); // 64 x 16 KiB each 25 ms: 40 MiB a second into the ring
        }
      }
      System.out.println(peak >> 20);
    }
  }
}
