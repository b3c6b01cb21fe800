package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis 6.2 (RDB 9) next to the Debian Redis 7 (RDB 10+): a real redis-server 6.2 binary from Maven
 * Central (see roadie-redis/pom.xml), started as its own process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Redis62Test {
  Path tmp;
  String binary;
  RedisServer source;
  Repository repo;
  String digest;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    assumeTrue(
        System.getProperty("os.name").equals("Linux")
            && System.getProperty("os.arch").matches("amd64|x86_64"),
        "the bundled Redis 6.2 binary is for linux-amd64");
    binary = RedisServer.redis62();
    assertNotNull(
        binary,
        "no redis-server 6.2 under "
            + System.getProperty("roadie.redis62.dir")
            + "; the build unpacks it (mvn generate-test-resources)");
    tmp = dir;
    source = RedisServer.start(binary, tmp.resolve("source62"));
    assertTrue(source.version().startsWith("6.2."), source.version());
    try (RespConnection c = source.connect()) {
      c.call(
          "ACL",
          "SETUSER",
          "backup",
          "on",
          ">pw62",
          "~*",
          "&*",
          "-@all",
          "+sync",
          "+psync",
          "+replconf",
          "+info");
      Dataset.fill(c);
    }
    digest = source.digest();
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
  }

  @AfterAll
  void tearDown() throws Exception {
    if (repo != null) repo.close();
    if (source != null) source.close();
  }

  private SnapshotRef backup(String url) throws IOException {
    RedisUrl u = RedisUrl.parse(url, null);
    Id id =
        new RedisBackup(repo, new Progress())
            .backup(u, u.target(), List.of(), java.time.OffsetDateTime.now().toString());
    return repo.readSnapshot(id);
  }

  @Test
  void backupOf62RestoresInto62And7OnlineAndOffline() throws Exception {
    // A user with only the replication and INFO permissions, as the runbook recommends.
    SnapshotRef ref = backup("redis://backup:pw62@127.0.0.1:" + source.port);
    Map<String, Object> src = ref.snapshot().source();
    assertEquals(source.version(), src.get("redisVersion"));
    assertEquals(9, ((Number) src.get("rdbVersion")).intValue());
    assertEquals("disk", src.get("framing")); // 6.2's default: repl-diskless-sync no

    try (RedisServer t62 = RedisServer.start(binary, tmp.resolve("t62"));
        RedisServer t7 = RedisServer.start(tmp.resolve("t7"))) {
      for (RedisServer t : List.of(t62, t7)) {
        new RedisRestore(repo, new Progress())
            .online(ref, RedisUrl.parse(t.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
        assertEquals(
            digest, t.digest(), "online restore of a 6.2 snapshot into Redis " + t.version());
      }
    }
    Path offline = tmp.resolve("offline62");
    new RedisRestore(repo, new Progress()).toFile(ref, offline.resolve("dump.rdb"));
    try (RedisServer f62 = RedisServer.start(binary, offline, "--dbfilename", "dump.rdb")) {
      assertEquals(digest, f62.digest());
    }
    try (RedisServer f7 = RedisServer.start(offline, "--dbfilename", "dump.rdb")) {
      assertEquals(digest, f7.digest());
    }
  }

  @Test
  void disklessSyncOf62() throws Exception {
    try (RespConnection c = source.connect()) {
      c.call("CONFIG", "SET", "repl-diskless-sync", "yes");
    }
    try {
      SnapshotRef ref = backup(source.url());
      assertEquals("diskless", ref.snapshot().source().get("framing"));
      Path offline = tmp.resolve("offline62-diskless");
      new RedisRestore(repo, new Progress()).toFile(ref, offline.resolve("dump.rdb"));
      try (RedisServer f62 = RedisServer.start(binary, offline, "--dbfilename", "dump.rdb")) {
        assertEquals(digest, f62.digest());
      }
    } finally {
      try (RespConnection c = source.connect()) {
        c.call("CONFIG", "SET", "repl-diskless-sync", "no");
      }
    }
  }

  @Test
  void snapshotOf7IntoRedis62FailsNamingBothVersions() throws Exception {
    SnapshotRef ref;
    String v7;
    try (RedisServer s7 = RedisServer.start(tmp.resolve("s7"))) {
      v7 = s7.version();
      try (RespConnection c = s7.connect()) {
        c.call("SET", "a", "1");
        c.call("HSET", "h", "f", "v");
      }
      ref = backup(s7.url());
    }
    try (RedisServer t62 = RedisServer.start(binary, tmp.resolve("t62-from7"))) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(
                          ref,
                          RedisUrl.parse(t62.url(), null),
                          RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("(Redis " + t62.version() + ")"), e.getMessage());
      assertTrue(e.getMessage().contains("from Redis " + v7), e.getMessage());
      assertTrue(e.getMessage().contains("restore into Redis " + v7 + " or newer"), e.getMessage());
      try (RespConnection c = t62.connect()) {
        assertEquals(0L, c.call("DBSIZE"), "no key of a payload the target cannot read");
      }
      assertTrue(e.getMessage().contains("nothing of the snapshot was written"), e.getMessage());
      assertFalse(e.getMessage().contains("holds part"), e.getMessage());
    }
  }

  @Test
  void snapshotOf7WithFunctionsInto62SaysNothingWasWritten() throws Exception {
    SnapshotRef ref;
    try (RedisServer s7 = RedisServer.start(tmp.resolve("s7f"))) {
      try (RespConnection c = s7.connect()) {
        c.call(
            "FUNCTION",
            "LOAD",
            "#!lua name=lib7\nredis.register_function('f7', function() return 7 end)");
        c.call("SET", "a", "1");
      }
      ref = backup(s7.url());
    }
    try (RedisServer t62 = RedisServer.start(binary, tmp.resolve("t62-functions"))) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(ref, RedisUrl.parse(t62.url(), null), RedisRestore.Mode.FLUSH));
      assertTrue(e.getMessage().contains("function libraries"), e.getMessage());
      assertTrue(e.getMessage().contains("restore into Redis 7.0 or newer"), e.getMessage());
      assertTrue(e.getMessage().contains("nothing of the snapshot was written"), e.getMessage());
      assertFalse(e.getMessage().contains("holds part"), e.getMessage());
      try (RespConnection c = t62.connect()) {
        assertEquals(0L, c.call("DBSIZE"));
      }
    }
  }
}
