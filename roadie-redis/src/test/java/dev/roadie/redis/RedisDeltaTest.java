package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second backup of a Redis whose values were rewritten in place, scattered, is stored as deltas
 * against the first backup's RDB, adds a small share of it, and restores to the same DEBUG DIGEST.
 */
class RedisDeltaTest {
  @TempDir Path tmp;

  @Test
  void secondBackupAfterChangesIsSmallAndRestoresExactly() throws Exception {
    try (RedisServer source = RedisServer.start(tmp.resolve("source"));
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 4 << 20)) {
      int keys = 50_000;
      try (RespConnection c = source.connect()) {
        c.call("DEBUG", "POPULATE", String.valueOf(keys), "key", "100");
      }
      RedisUrl url = RedisUrl.parse(source.url(), null);
      Progress first = new Progress();
      Id a =
          new RedisBackup(repo, first).backup(url, url.target(), List.of(), "2026-01-01T00:00:00Z");
      String before = source.digest();
      Random r = new Random(1);
      try (RespConnection c = source.connect()) {
        for (int i = 0; i < keys / 100; i++) {
          int k = r.nextInt(keys);
          c.call("SET", "key:" + k, "changed-" + k + "-" + "x".repeat(80));
        }
      }
      String after = source.digest();
      assertNotEquals(before, after);
      Progress second = new Progress();
      Id b =
          new RedisBackup(repo, second)
              .backup(url, url.target(), List.of(), "2026-01-02T00:00:00Z");
      double share = (double) second.bytesAdded.get() / first.bytesAdded.get();
      assertTrue(
          share < 0.25,
          "second backup added "
              + second.bytesAdded.get()
              + " bytes, "
              + Math.round(share * 100)
              + "% of the first's "
              + first.bytesAdded.get());
      assertTrue(repo.index().deltaCount() > 0, "deltas stored");

      for (var e : List.of(java.util.Map.entry(a, before), java.util.Map.entry(b, after))) {
        SnapshotRef ref = repo.readSnapshot(e.getKey());
        try (RedisServer target =
            RedisServer.start(tmp.resolve("target-" + e.getKey().shortHex()))) {
          new RedisRestore(repo, new Progress())
              .online(ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
          assertEquals(e.getValue(), target.digest());
        }
      }
      // Offline too, from a fresh process's view of the repository.
      try (Repository fresh =
          Repository.open(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray())) {
        Path offline = tmp.resolve("offline");
        new RedisRestore(fresh, new Progress())
            .toFile(fresh.readSnapshot(b), offline.resolve("dump.rdb"));
        try (RedisServer fromFile = RedisServer.start(offline, "--dbfilename", "dump.rdb")) {
          assertEquals(after, fromFile.digest());
        }
      }
    }
  }

  /**
   * {@code --chunk-size} sets the average chunk of the RDB stream (the bench compares sizes with
   * it): an eighth of the default makes about eight times the chunks; a size that is no power of
   * two, or out of range, is refused before anything is read.
   */
  @Test
  void chunkSizeSetsTheAverageChunkOfTheRdbStream() throws Exception {
    try (RedisServer source = RedisServer.start(tmp.resolve("source"))) {
      try (RespConnection c = source.connect()) {
        c.call("DEBUG", "POPULATE", "20000", "key", "200");
      }
      RedisUrl url = RedisUrl.parse(source.url(), null);
      long[] blobs = new long[2];
      int[] sizes = {0, 8 * 1024};
      for (int i = 0; i < 2; i++) {
        try (Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo-" + i)), "pw".toCharArray(), 4 << 20)) {
          Progress p = new Progress();
          new RedisBackup(repo, p, sizes[i])
              .backup(url, url.target(), List.of(), "2026-01-01T00:00:00Z");
          blobs[i] = p.blobsAdded.get();
        }
      }
      assertTrue(
          blobs[1] > 4 * blobs[0],
          "8 KiB chunks: " + blobs[1] + " blobs, the default's: " + blobs[0]);
      for (int bad : new int[] {3000, 2048, 2 << 20}) {
        RoadieException e =
            assertThrows(RoadieException.class, () -> new RedisSource.BackupOptions(url, bad));
        assertEquals(ErrorCode.USAGE, e.code());
        assertTrue(
            e.getMessage().contains("power of two from 4 KiB to 1 MiB")
                && e.getMessage().contains("" + bad),
            e.getMessage());
      }
    }
  }
}
