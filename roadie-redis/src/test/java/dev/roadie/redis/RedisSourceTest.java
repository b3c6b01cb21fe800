package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The redis source through the source SPI: back up, restore online and as a dump.rdb, the same data
 * back.
 */
class RedisSourceTest {
  @TempDir Path tmp;

  @Test
  void backsUpAndRestoresThroughTheSpi() throws Exception {
    try (RedisServer src = RedisServer.start(tmp.resolve("src"));
        RedisServer dst = RedisServer.start(tmp.resolve("dst"));
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      try (RespConnection c = src.connect()) {
        Dataset.fill(c);
      }
      String want = src.digest();
      SnapshotRef snap =
          Sources.backup(
                  BackupRequest.of(
                      repo,
                      RedisBackup.KIND,
                      new RedisSource.BackupOptions(RedisUrl.parse(src.url(), null))))
              .snapshot();
      assertEquals("redis://127.0.0.1:" + src.port, snap.snapshot().target());
      RedisMetadata m = SourceMetadata.of(snap.snapshot(), RedisMetadata.class);
      assertTrue(m.rdbVersion() != null && m.rdbBytes() > 0, m.toString());
      assertEquals(
          "Redis " + src.version() + ", RDB " + m.rdbVersion() + ", " + m.keys() + " keys",
          Sources.summary(snap.snapshot()));

      RestoreResult online =
          Sources.restore(
              new RestoreRequest(repo, snap, new Destination.Server(dst.url()), null, null));
      assertEquals(want, dst.digest());
      assertEquals("redis://127.0.0.1:" + dst.port, online.destination());

      Path rdb = tmp.resolve("offline/dump.rdb");
      RestoreResult file =
          Sources.restore(new RestoreRequest(repo, snap, new Destination.File(rdb), null, null));
      assertEquals(Files.size(rdb), file.bytes());
      try (RedisServer loaded =
          RedisServer.start(tmp.resolve("offline"), "--dbfilename", "dump.rdb")) {
        assertEquals(want, loaded.digest());
      }
      assertEquals(
          List.of("redis://127.0.0.1:" + src.port, "rediss://127.0.0.1:" + src.port),
          new RedisSource()
              .targetNames(RedisBackup.KIND, "redis://ops:pw@127.0.0.1:" + src.port).stream()
                  .sorted()
                  .toList());
    }
  }
}
