package dev.roadie.redis;

import static dev.roadie.redis.Dataset.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server whose maxmemory-policy is LRU or LFU writes each key's idle time (opcode 248) or access
 * frequency (opcode 249, one byte) before the key in its RDB: backup and restore must step over
 * them, whatever bytes the key names start with.
 */
class RedisEvictionPolicyTest {
  /** Starts with bytes a record's opcodes or lengths could be taken for. */
  static final byte[] BINARY_KEY = {0, 0, 1, 'Z'};

  @ParameterizedTest
  @ValueSource(strings = {"allkeys-lfu", "volatile-lfu", "allkeys-lru"})
  void keysRestoreExactlyWhateverThePolicy(String policy, @TempDir Path tmp) throws Exception {
    try (RedisServer source =
            RedisServer.start(tmp.resolve("source"), "--maxmemory-policy", policy);
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      try (RespConnection c = source.connect()) {
        // Database 0 first, with the binary key alone: nothing in front of it to make a scanner
        // that misreads the prefix give up (and replay the snapshot some other way).
        call(c, b("SET"), BINARY_KEY, b("binary key in db 0"));
        c.call("SELECT", "2");
        call(c, b("SET"), BINARY_KEY, b("binary key in db 2"));
        for (int i = 0; i < 300; i++) c.call("SET", "k" + i, "v" + i);
        c.call("HSET", "hash", "f", "v");
        c.call("RPUSH", "list", "a", "b");
        for (int i = 0; i < 100; i++) c.call("GET", "k1"); // a hot key: a higher LFU counter
      }
      String digest = source.digest();

      SnapshotRef whole = backup(repo, source.url());
      try (RedisServer target = RedisServer.start(tmp.resolve("target"))) {
        RedisRestore.Result r =
            new RedisRestore(repo, new Progress())
                .online(
                    whole, RedisUrl.parse(target.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
        assertEquals(304, r.keys(), policy);
        assertEquals(keys(source, 0), keys(target, 0), policy);
        assertEquals(keys(source, 2), keys(target, 2), policy);
        assertEquals(digest, target.digest(), policy);
      }
      // The counts were taken from the RDB itself, not from INFO after the scanner gave up.
      assertEquals("rdb", whole.snapshot().source().get("keyCounts"), policy);
      assertEquals(304L, ((Number) whole.snapshot().source().get("keys")).longValue(), policy);

      SnapshotRef db2 = backup(repo, source.url() + "/2");
      assertEquals("rdb", db2.snapshot().source().get("keyCounts"), policy);
      assertEquals(303L, ((Number) db2.snapshot().source().get("keys")).longValue(), policy);
      try (RedisServer target = RedisServer.start(tmp.resolve("target2"))) {
        new RedisRestore(repo, new Progress())
            .online(db2, RedisUrl.parse(target.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
        assertEquals(keys(source, 2), keys(target, 2), policy);
        try (RespConnection c = target.connect()) {
          c.call("SELECT", "2");
          assertArrayEquals(
              b("binary key in db 2"), (byte[]) call(c, b("GET"), BINARY_KEY), policy);
        }
      }
    }
  }

  /**
   * A target that evicts (maxmemory with an LRU policy) answers OK to every RESTORE while it drops
   * keys: the restore must not report success.
   */
  @Test
  void restoreIntoATargetThatEvictsFails(@TempDir Path tmp) throws Exception {
    try (RedisServer source = RedisServer.start(tmp.resolve("source"));
        RedisServer target =
            RedisServer.start(
                tmp.resolve("target"), "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru");
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      try (RespConnection c = source.connect()) {
        for (int i = 0; i < 20000; i++) c.write(b("SET"), b("k" + i), b("v".repeat(200) + i));
        c.flush();
        for (int i = 0; i < 20000; i++) c.readReply();
      }
      SnapshotRef ref = backup(repo, source.url());
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(
                          ref,
                          RedisUrl.parse(target.url(), null),
                          RedisRestore.Mode.REFUSE_NON_EMPTY));
      try (RespConnection c = target.connect()) {
        long held = (Long) c.call("DBSIZE");
        assertTrue(held < 20000, "the target evicted keys: " + held);
        // The target evicts on later commands too (these ones): its count only grows.
        long evicted = Long.parseLong(c.info("stats").get("evicted_keys"));
        var m = java.util.regex.Pattern.compile("evicted (\\d+) keys").matcher(e.getMessage());
        assertTrue(m.find(), e.getMessage());
        long reported = Long.parseLong(m.group(1));
        assertTrue(reported > 0 && reported <= evicted, reported + " vs " + evicted);
        assertTrue(e.getMessage().contains("allkeys-lru"), e.getMessage());
      }
    }
  }

  /** A command with binary arguments; its reply. */
  private static Object call(RespConnection c, byte[]... args) throws IOException {
    c.write(args);
    c.flush();
    return c.readReply();
  }

  private static SnapshotRef backup(Repository repo, String url) throws IOException {
    RedisUrl u = RedisUrl.parse(url, null);
    Id id =
        new RedisBackup(repo, new Progress())
            .backup(u, u.target(), List.of(), java.time.OffsetDateTime.now().toString());
    return repo.readSnapshot(id);
  }

  /** Database {@code db}'s key names (hex) and DEBUG DIGEST-VALUE of each. */
  private static Map<String, String> keys(RedisServer server, int db) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (RespConnection c = server.connect()) {
      c.call("SELECT", Integer.toString(db));
      List<byte[]> names = new ArrayList<>();
      for (Object k : (List<?>) c.call("KEYS", "*")) names.add((byte[]) k);
      for (byte[] k : names) {
        Object d = ((List<?>) call(c, b("DEBUG"), b("DIGEST-VALUE"), k)).get(0);
        out.put(HexFormat.of().formatHex(k), d instanceof byte[] v ? new String(v) : (String) d);
      }
    }
    return out;
  }
}
