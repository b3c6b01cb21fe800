package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BackupWriter#writeStream(java.io.InputStream, ChunkerParams, ParentStream, int)}: a stream's own zstd level. */
class StreamLevelTest {
  @TempDir Path dir;

  /** Stores {@code data} as one stream at {@code level} into a new repository; returns the bytes added after reading it back. */
  private long storeAndRead(byte[] data, int level, String name) throws IOException {
    try (Repository repo = Repository.init(new LocalBackend(dir.resolve(name)), "pw".toCharArray(), 1 << 20)) {
      Progress progress = new Progress();
      Content c;
      Node n;
      try (BackupWriter w = new BackupWriter(repo, progress)) {
        c = w.writeStream(new ByteArrayInputStream(data), ChunkerParams.FILE, null, level);
        n = new Node("s", Node.STREAM, c.size(), null, null, null, null, null, c.chunksHex(), c.chunkListsHex(), null,
            null);
        Id tree = w.writeTree(new Tree(List.of(n)));
        w.commit(new Snapshot(Snapshot.VERSION, "2026-01-01T00:00:00Z", "t", "test", "h", "u", List.of(), List.of(),
            tree.hex(), null, null, Map.of()));
      }
      try (ContentReader r = new ContentReader(repo, n, "s")) {
        assertArrayEquals(data, r.readAllBytes(), "level " + level + " reads back");
      }
      return progress.bytesAdded.get();
    }
  }

  @Test
  void fastLevelReadsBackAndTradesSizeForSpeed() throws IOException {
    byte[][] rows = DeltaTest.table(40_000, 3);
    byte[] data = DeltaTest.join(rows, rows.length);
    long normal = storeAndRead(data, Compression.DEFAULT_LEVEL, "default");
    long fast = storeAndRead(data, -10, "fast");
    assertTrue(fast > normal * 11 / 10, "level -10 stored " + fast + " bytes, level 1 " + normal);
    assertTrue(fast < data.length, "level -10 still compresses: " + fast + " of " + data.length);
  }
}
