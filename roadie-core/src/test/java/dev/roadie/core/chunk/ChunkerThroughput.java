package dev.roadie.core.chunk;

/**
 * Prints the chunker's throughput on 1 GiB of random data (a 64 MiB buffer chunked 16 times), for
 * SMALL and LARGE parameters. A main class rather than a test because timings on shared CI machines
 * are too noisy to assert.
 */
public final class ChunkerThroughput {
  private ChunkerThroughput() {}

  public static void main(String[] args) {
    byte[] data = XorShift64.bytes(42, 64 << 20);
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) i;
    }
    GearTable gear = GearTable.derive(key);
    int rounds = 16;
    for (var entry :
        new Object[][] {{"SMALL", ChunkerParams.SMALL}, {"LARGE", ChunkerParams.LARGE}}) {
      FastCdc cdc = new FastCdc((ChunkerParams) entry[1], gear);
      for (int pass = 0; pass < 3; pass++) {
        long chunks = 0;
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
          for (int off = 0; off < data.length; ) {
            off += cdc.cut(data, off, data.length - off);
            chunks++;
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double mb = (double) rounds * data.length / 1e6;
        System.out.printf(
            "%s pass %d: %.0f MB/s, %d chunks, mean %.0f B%n",
            entry[0], pass, mb / seconds, chunks, (double) rounds * data.length / chunks);
      }
    }
  }
}
