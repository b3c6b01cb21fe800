package dev.roadie.redis;

import static dev.roadie.redis.Dataset.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database number in the URL ({@code /N}, {@code ?db=N}): a backup holds only that database, a
 * restore writes into it and flushes only it, and a snapshot of several databases is refused there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisDatabaseTest {
  Path tmp;
  RedisServer source;
  Repository repo;
  Map<Integer, Map<String, String>> sourceContent = new TreeMap<>();

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    tmp = dir;
    source = RedisServer.start(tmp.resolve("source"));
    try (RespConnection c = source.connect()) {
      fill(c, 0, 200);
      fill(c, 3, 300);
      fill(c, 5, 100);
      c.call(
          "FUNCTION",
          "LOAD",
          "#!lua name=dblib\nredis.register_function('db_one', function() return 1 end)");
    }
    for (int db : List.of(0, 3, 5)) sourceContent.put(db, content(source, db));
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
  }

  @AfterAll
  void tearDown() throws Exception {
    if (repo != null) repo.close();
    if (source != null) source.close();
  }

  /**
   * {@code n} keys in database {@code db}: strings (a fifth with a TTL), a hash, a list, a zset, a
   * stream.
   */
  static void fill(RespConnection c, int db, int n) throws IOException {
    c.call("SELECT", Integer.toString(db));
    for (int i = 0; i < n - 4; i++) {
      if (i % 5 == 0) {
        c.write(
            b("SET"), b("k" + i), b("v" + i + "@" + db), b("PX"), b(Long.toString(3_600_000L + i)));
      } else {
        c.write(b("SET"), b("k" + i), b("v" + i + "@" + db));
      }
    }
    c.write(b("HSET"), b("h"), b("f"), b("v" + db));
    c.write(b("RPUSH"), b("l"), b("a"), b("b"));
    c.write(b("ZADD"), b("z"), b("1"), b("m"));
    c.write(b("XADD"), b("s"), b("*"), b("f"), b("v"));
    c.flush();
    for (int i = 0; i < n; i++) {
      if (c.readReply() instanceof RespConnection.ErrorReply e) throw new IOException(e.message());
    }
    c.call("SELECT", "0");
  }

  /** Every key of a database with its value's digest and whether it has a TTL. */
  static Map<String, String> content(RedisServer s, int db) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (RespConnection c = s.connect()) {
      c.call("SELECT", Integer.toString(db));
      for (Object k : (List<?>) c.call("KEYS", "*")) {
        String key = new String((byte[]) k, StandardCharsets.UTF_8);
        Object digest = ((List<?>) c.call("DEBUG", "DIGEST-VALUE", key)).get(0);
        long ttl = (Long) c.call("PTTL", key);
        out.put(
            key,
            (digest instanceof byte[] d
                    ? new String(d, StandardCharsets.UTF_8)
                    : String.valueOf(digest))
                + (ttl > 0 ? " ttl" : ""));
      }
    }
    return out;
  }

  static Set<String> databases(RedisServer s) throws IOException {
    try (RespConnection c = s.connect()) {
      return RedisBackup.keyspace(c.info("keyspace")).keySet();
    }
  }

  static long functionLibraries(RedisServer s) throws IOException {
    try (RespConnection c = s.connect()) {
      return ((List<?>) c.call("FUNCTION", "LIST")).size();
    }
  }

  private SnapshotRef backup(String url) throws IOException {
    RedisUrl u = RedisUrl.parse(url, null);
    Id id =
        new RedisBackup(repo, new Progress())
            .backup(u, u.target(), List.of(), java.time.OffsetDateTime.now().toString());
    return repo.readSnapshot(id);
  }

  private RedisRestore.Result restore(SnapshotRef ref, String url, RedisRestore.Mode mode)
      throws IOException {
    return new RedisRestore(repo, new Progress()).online(ref, RedisUrl.parse(url, null), mode);
  }

  @Test
  void backupOfOneDatabaseHoldsOnlyThatDatabase() throws Exception {
    SnapshotRef ref = backup(source.url() + "/3");
    Map<String, Object> src = ref.snapshot().source();
    assertEquals(source.url() + "/3", ref.snapshot().target());
    assertEquals(3, ((Number) src.get("database")).intValue(), src.toString());
    assertEquals(Set.of("db3"), ((Map<?, ?>) src.get("databases")).keySet(), src.toString());
    assertEquals(300L, ((Number) src.get("keys")).longValue(), src.toString());
    assertEquals(0L, ((Number) src.get("functionLibraries")).longValue(), src.toString());

    // The stored RDB is database 3 alone, with a checksum Redis accepts.
    Path offline = tmp.resolve("offline-db3");
    new RedisRestore(repo, new Progress()).toFile(ref, offline.resolve("dump.rdb"));
    try (RedisServer fromFile = RedisServer.start(offline, "--dbfilename", "dump.rdb")) {
      assertEquals(Set.of("db3"), databases(fromFile));
      assertEquals(sourceContent.get(3), content(fromFile, 3));
      assertEquals(0, functionLibraries(fromFile));
    }
    // Online without /N: back into database 3; with /6: into database 6.
    try (RedisServer t = RedisServer.start(tmp.resolve("t-db3"))) {
      restore(ref, t.url(), RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(Set.of("db3"), databases(t));
      assertEquals(sourceContent.get(3), content(t, 3));
      RedisRestore.Result r = restore(ref, t.url() + "/6", RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(300, r.keys());
      assertEquals(6, r.database());
      assertEquals(Set.of("db3", "db6"), databases(t));
      assertEquals(sourceContent.get(3), content(t, 6));
    }
    // The same through ?db=3 (redis-py's spelling); the disk-based framing filters too.
    try (RespConnection c = source.connect()) {
      c.call("CONFIG", "SET", "repl-diskless-sync", "no");
    }
    try {
      SnapshotRef viaQuery = backup(source.url() + "?db=3");
      assertEquals("disk", viaQuery.snapshot().source().get("framing"));
      assertEquals(source.url() + "/3", viaQuery.snapshot().target());
      Path offline2 = tmp.resolve("offline-db3-disk");
      new RedisRestore(repo, new Progress()).toFile(viaQuery, offline2.resolve("dump.rdb"));
      try (RedisServer fromFile = RedisServer.start(offline2, "--dbfilename", "dump.rdb")) {
        assertEquals(Set.of("db3"), databases(fromFile));
        assertEquals(sourceContent.get(3), content(fromFile, 3));
      }
    } finally {
      try (RespConnection c = source.connect()) {
        c.call("CONFIG", "SET", "repl-diskless-sync", "yes");
      }
    }
  }

  /**
   * A target with fewer databases refuses the SELECT of database 5: the keys of database 5 (the
   * same names as database 3's) must not go into database 3, the one selected before.
   */
  @Test
  void restoreIntoATargetWithFewerDatabasesWritesNoKeyIntoAnotherDatabase() throws Exception {
    SnapshotRef ref = backup(source.url());
    try (RedisServer t = RedisServer.start(tmp.resolve("four-dbs"), "--databases", "4")) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () -> restore(ref, t.url(), RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertEquals(Set.of("db0", "db3"), databases(t));
      assertEquals(sourceContent.get(0), content(t, 0));
      assertEquals(sourceContent.get(3), content(t, 3));
      assertTrue(e.getMessage().contains("has no database 5"), e.getMessage());
      assertTrue(e.getMessage().contains("the target holds part of the snapshot"), e.getMessage());
    }
  }

  @Test
  void databaseTheServerDoesNotHaveIsRefused() {
    RoadieException e = assertThrows(RoadieException.class, () -> backup(source.url() + "/16"));
    assertTrue(e.getMessage().contains("no database 16"), e.getMessage());
  }

  @Test
  void restoreIntoOneDatabaseFlushesAndChecksOnlyIt() throws Exception {
    SnapshotRef ref;
    Map<String, String> want;
    try (RedisServer single = RedisServer.start(tmp.resolve("single"))) {
      try (RespConnection c = single.connect()) {
        fill(c, 0, 50);
        c.call(
            "FUNCTION",
            "LOAD",
            "#!lua name=singlelib\nredis.register_function('single_one', function() return 1 end)");
      }
      want = content(single, 0);
      ref = backup(single.url());
    }
    try (RedisServer t = RedisServer.start(tmp.resolve("t-single"))) {
      try (RespConnection c = t.connect()) {
        c.call("SELECT", "5");
        c.call("SET", "keep", "other application's key");
      }
      // Database 3 is empty: no --flush needed, whatever database 5 holds.
      RedisRestore.Result r = restore(ref, t.url() + "/3", RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(50, r.keys());
      assertEquals(1, r.functionsSkipped());
      assertEquals(
          0, functionLibraries(t), "function libraries belong to the server, not to database 3");
      assertEquals(want, content(t, 3));
      try (RespConnection c = t.connect()) {
        c.call("SELECT", "3");
        c.call("SET", "stale", "x");
      }
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () -> restore(ref, t.url() + "/3", RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("database 3 is not empty (51 keys)"), e.getMessage());
      restore(ref, t.url() + "/3", RedisRestore.Mode.FLUSH);
      assertEquals(want, content(t, 3), "FLUSHDB removed the stale key");
      assertEquals(Map.of("keep", "other application's key"), Map.of("keep", get(t, 5, "keep")));
      assertEquals(Set.of("db3", "db5"), databases(t));
    }
  }

  @Test
  void snapshotOfOneDatabaseFlushesOnlyItsOwnWithoutN() throws Exception {
    SnapshotRef ref = backup(source.url() + "/5");
    try (RedisServer t = RedisServer.start(tmp.resolve("t-own"))) {
      try (RespConnection c = t.connect()) {
        c.call("SET", "keep", "db0 key");
        c.call("SELECT", "5");
        c.call("SET", "stale", "x");
      }
      restore(ref, t.url(), RedisRestore.Mode.FLUSH);
      assertEquals(sourceContent.get(5), content(t, 5));
      assertEquals("db0 key", get(t, 0, "keep"));
    }
  }

  @Test
  void snapshotOfSeveralDatabasesIntoOneIsRefused() throws Exception {
    SnapshotRef ref = backup(source.url());
    try (RedisServer t = RedisServer.start(tmp.resolve("t-several"))) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () -> restore(ref, t.url() + "/2", RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("holds databases 0, 3, 5"), e.getMessage());
      assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
      assertEquals(Set.of(), databases(t));
    }
  }

  private static String get(RedisServer s, int db, String key) throws IOException {
    try (RespConnection c = s.connect()) {
      c.call("SELECT", Integer.toString(db));
      Object v = c.call("GET", key);
      assertNotNull(v, key + " in database " + db);
      return new String((byte[]) v, StandardCharsets.UTF_8);
    }
  }

  @Test
  void urlDatabaseAndParameters() {
    assertEquals(-1, RedisUrl.parse("redis://h:1", null).database());
    assertEquals(-1, RedisUrl.parse("redis://h:1/", null).database());
    RedisUrl u = RedisUrl.parse("redis://alice:pw@h:1/3", null);
    assertEquals(3, u.database());
    assertEquals("redis://h:1/3", u.target());
    assertEquals("redis://alice:***@h:1/3", u.toString());
    assertEquals(4, RedisUrl.parse("redis://h:1?db=4", null).database());
    assertEquals(4, RedisUrl.parse("redis://h:1/4?db=4", null).database());
    assertEquals(2, RedisUrl.parse("rediss://h:1?db=2&cacert=/ca.pem", null).database());

    List<String[]> refused = new ArrayList<>();
    refused.add(new String[] {"redis://h:1/3?db=4", "two databases, 3 and 4"});
    refused.add(new String[] {"redis://h:1/x", "not a database number"});
    refused.add(new String[] {"redis://h:1?db=", "not a database number"});
    refused.add(
        new String[] {"redis://h:1?dbx=1", "unknown parameter 'dbx'; a redis:// URL takes db=N"});
    refused.add(
        new String[] {
          "rediss://h:1?foo=1", "unknown parameter 'foo'; a rediss:// URL takes db=N, cacert=FILE"
        });
    refused.add(new String[] {"redis://h:1?cacert=/ca.pem", "cacert= is a TLS parameter"});
    for (String[] r : refused) {
      RoadieException e =
          assertThrows(RoadieException.class, () -> RedisUrl.parse(r[0], null), r[0]);
      assertTrue(e.getMessage().contains(r[1]), r[0] + ": " + e.getMessage());
      assertFalse(
          e.getMessage().contains("cacert, cert and key go with") && r[0].contains("db"),
          e.getMessage());
    }
  }
}
