package dev.roadie.core.source;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchTest {
  @TempDir Path tmp;

  /**
   * A process still ending (a WAL prefetcher) adds files to the tree while it is removed: the tree
   * is gone all the same once the writer stops.
   */
  @Test
  void aTreeStillWrittenWhileItIsRemovedIsRemoved() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("scratch/pg_wal/roadie/prefetch"));
    for (int i = 0; i < 200; i++) Files.writeString(dir.resolve("seg" + i), "x");
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  long end = System.nanoTime() + 150_000_000L;
                  for (int i = 0; !stop.get() && System.nanoTime() < end; i++) {
                    try {
                      Files.writeString(dir.resolve("late" + i), "x");
                    } catch (Exception e) {
                      return; // the directory is gone: the writer notices and ends
                    }
                  }
                });
    try {
      Scratch.deleteTree(tmp.resolve("scratch"));
    } finally {
      stop.set(true);
      writer.join();
    }
    assertFalse(Files.exists(tmp.resolve("scratch")));
  }
}
