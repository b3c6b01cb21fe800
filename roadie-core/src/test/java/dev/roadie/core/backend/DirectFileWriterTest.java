package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written piece by piece through the aligned buffer come back exactly, whatever the piece
 * sizes.
 */
class DirectFileWriterTest {
  @TempDir Path tmp;

  @Test
  void streamedWritesRoundTrip() throws Exception {
    Random r = new Random(7);
    for (int size :
        new int[] {
          0, 100, 4096, DirectFileWriter.CHUNK, DirectFileWriter.CHUNK + 1, (9 << 20) + 4095
        }) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      Path p = tmp.resolve("f" + size);
      try (DirectFileWriter w = DirectFileWriter.create(p)) {
        int pos = 0;
        boolean heap = false;
        while (pos < size) {
          int n = Math.min(size - pos, 1 + r.nextInt(3 << 19));
          if (heap) w.write(data, pos, n);
          else w.write(ByteBuffer.wrap(data, pos, n));
          heap = !heap;
          pos += n;
        }
        w.finish(true);
      }
      assertArrayEquals(data, Files.readAllBytes(p), "size " + size);
    }
  }
}
