package dev.roadie.redis;

import static dev.roadie.redis.Dataset.b;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotDiff;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ls and diff show of redis snapshots: the RDB and each database with the keys the backup
 * counted.
 */
class DatabaseBrowserTest {
  @TempDir Path tmp;

  @Test
  void databasesWithTheirKeysAndWhatChangedBetweenTwoSnapshots() throws Exception {
    try (RedisServer server = RedisServer.start(tmp.resolve("server"));
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      try (RespConnection c = server.connect()) {
        c.call("SET", "a", "1");
        c.call("SET", "b", "2", "EX", "3600");
        c.call("SELECT", "2");
        c.call("HSET", "h", "f", "v");
      }
      SnapshotRef first = backup(repo, server);
      List<Entry> all = walk(repo, first);
      assertEquals(List.of("db0", "db2", "dump.rdb"), all.stream().map(Entry::path).toList());
      assertEquals("database", all.get(0).type());
      assertEquals(2L, ((Number) all.get(0).details().get("keys")).longValue());
      assertEquals(1L, ((Number) all.get(0).details().get("expires")).longValue());
      assertEquals(Map.of("hash", 1L), all.get(1).details().get("types"));
      assertEquals("stream", all.get(2).type());

      try (RespConnection c = server.connect()) {
        c.write(b("SET"), b("c"), b("3"));
        c.flush();
        c.readReply();
      }
      SnapshotRef second = backup(repo, server);
      List<SnapshotDiff.Change> changes =
          SnapshotDiff.all(Sources.browse(repo, first), Sources.browse(repo, second));
      assertEquals(
          List.of("db0", "dump.rdb"), changes.stream().map(SnapshotDiff.Change::path).toList());
      assertEquals(SnapshotDiff.CHANGED, changes.get(0).status());
      assertEquals(List.of("keys", "types"), changes.get(0).fields());
      assertEquals(List.of("content", "size"), changes.get(1).fields());
    }
  }

  private static SnapshotRef backup(Repository repo, RedisServer server) throws Exception {
    RedisUrl u = RedisUrl.parse(server.url(), null);
    Id id =
        new RedisBackup(repo, new Progress())
            .backup(u, u.target(), List.of(), java.time.OffsetDateTime.now().toString());
    return repo.readSnapshot(id);
  }

  private static List<Entry> walk(Repository repo, SnapshotRef ref) throws Exception {
    List<Entry> out = new ArrayList<>();
    try (Entries e = Sources.browse(repo, ref).walk("")) {
      e.forEachRemaining(out::add);
    }
    return out;
  }
}
