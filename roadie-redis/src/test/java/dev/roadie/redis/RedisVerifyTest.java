package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scratch verification of redis snapshots: keys per database and type against the counts the
 * backup took from the RDB, less the keys whose expiry passed since; a copy missing keys fails; a
 * redis-server too old for the RDB is named with the version needed; nothing is left running.
 */
class RedisVerifyTest {
  @TempDir Path tmp;

  private SnapshotRef backupWithExpiringKeys(RedisServer src, Repository repo) throws Exception {
    try (RespConnection c = src.connect()) {
      Dataset.fill(c);
      c.call("SELECT", "3");
      for (int i = 0; i < 25; i++) c.call("SET", "session:" + i, "x", "PX", "1500");
      c.call("HSET", "cart:short", "item", "1");
      c.call("PEXPIRE", "cart:short", "1500");
      c.call("SET", "long-lived", "y", "EX", "3600");
    }
    SnapshotRef snap =
        Sources.backup(
                BackupRequest.of(
                    repo,
                    RedisBackup.KIND,
                    new RedisSource.BackupOptions(RedisUrl.parse(src.url(), null))))
            .snapshot();
    RedisMetadata m = SourceMetadata.of(snap.snapshot(), RedisMetadata.class);
    assertEquals("rdb", m.keyCounts());
    assertEquals(27L, m.databases().get("db3").keys());
    Thread.sleep(2000); // the 26 short-lived keys expire after the backup, before the verification
    return snap;
  }

  @Test
  void countsPerDatabaseAndTypeMatchLessTheKeysThatExpiredSince() throws Exception {
    try (RedisServer src = RedisServer.start(tmp.resolve("src"));
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      SnapshotRef snap = backupWithExpiringKeys(src, repo);
      Path base = tmp.resolve("scratch");
      ScratchVerifyResult r;
      int port;
      try (Scratch scratch = Scratch.open(base)) {
        r = Sources.verifyInScratch(new ScratchVerifyRequest(repo, snap, scratch, null, null));
        port = Integer.parseInt(r.restoredTo().replaceAll(".*:", ""));
      }
      assertTrue(r.passed(), r.checks().toString());
      Check keys = r.checks().get(1);
      assertEquals("keys", keys.name());
      assertEquals(
          26L, ((Number) keys.figures().get("expiredSinceBackup")).longValue(), keys.toString());
      assertTrue(
          keys.summary().contains("less 26 whose expiry passed since the backup"), keys.summary());
      @SuppressWarnings("unchecked")
      Map<Object, Map<String, Object>> per =
          (Map<Object, Map<String, Object>>) keys.figures().get("perDatabase");
      assertEquals(Map.of("string", 1L), per.get(3L), "db3 holds only the long-lived key: " + per);
      assertFalse(open(port), "the scratch redis-server is stopped");
      try (Stream<Path> s = Files.list(base)) {
        assertEquals(List.of(), s.toList(), "the scratch directory is removed");
      }
    }
  }

  @Test
  void aCopyMissingKeysFails() throws Exception {
    try (RedisServer src = RedisServer.start(tmp.resolve("src"));
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
        Scratch scratch = Scratch.open(tmp.resolve("scratch"))) {
      try (RespConnection c = src.connect()) {
        Dataset.fill(c);
      }
      SnapshotRef snap =
          Sources.backup(
                  BackupRequest.of(
                      repo,
                      RedisBackup.KIND,
                      new RedisSource.BackupOptions(RedisUrl.parse(src.url(), null))))
              .snapshot();
      RedisMetadata m = SourceMetadata.of(snap.snapshot(), RedisMetadata.class);
      ScratchRedis server = ScratchRedis.find(null, m.rdbVersion(), scratch);
      server.start(scratch, 16);
      RedisRestore.Result res =
          new RedisRestore(repo, new Progress())
              .online(snap, server.url(), RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(Check.PASS, RedisVerify.keys(m, res, server.url()).status());
      try (RespConnection c = RespConnection.open(server.url())) {
        c.call("SELECT", "7");
        c.call("DEL", "hash:small", "hash:big");
      }
      Check keys = RedisVerify.keys(m, res, server.url());
      assertEquals(Check.FAIL, keys.status(), keys.toString());
      assertEquals(List.of("db7 hash: 1 key in the copy, the snapshot has 3"), keys.details());
    }
  }

  @Test
  void aRedisServerTooOldForTheRdbIsNamedWithTheVersionNeeded() throws Exception {
    String old = RedisServer.redis62();
    Assumptions.assumeTrue(old != null, "no Redis 6.2 binary here");
    try (RedisServer src = RedisServer.start(tmp.resolve("src"));
        Repository repo =
            Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
        Scratch scratch = Scratch.open(tmp.resolve("scratch"))) {
      try (RespConnection c = src.connect()) {
        c.call("SET", "k", "v");
      }
      SnapshotRef snap =
          Sources.backup(
                  BackupRequest.of(
                      repo,
                      RedisBackup.KIND,
                      new RedisSource.BackupOptions(RedisUrl.parse(src.url(), null))))
              .snapshot();
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  Sources.verifyInScratch(
                      new ScratchVerifyRequest(
                          repo, snap, scratch, new RedisSource.VerifyOptions(old), null)));
      assertTrue(
          e.getMessage().contains("which Redis 7.0 or newer reads")
              && e.getMessage().contains("is Redis 6.2"),
          e.getMessage());
    }
  }

  static boolean open(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
