package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisRoundTripTest {
  static final String PASSWORD = "s3cret-p@ss";
  Path tmp;
  RedisServer source;
  Repository repo;
  String digest;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    tmp = dir;
    source = RedisServer.start(tmp.resolve("source"));
    try (RespConnection c = source.connect()) {
      c.call("ACL", "SETUSER", "backup", "on", ">" + PASSWORD, "~*", "&*", "+@all");
      c.call("ACL", "SETUSER", "nosync", "on", ">pw", "~*", "&*", "+@all", "-sync", "-psync");
      Dataset.fill(c);
      // A function library (Redis 7): restored with FUNCTION RESTORE; DEBUG DIGEST does not cover
      // it.
      c.call(
          "FUNCTION",
          "LOAD",
          "#!lua name=roadielib\nredis.register_function('roadie_one', function() return 1 end)");
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

  private String userUrl() {
    return "redis://backup:" + PASSWORD.replace("@", "%40") + "@127.0.0.1:" + source.port;
  }

  private SnapshotRef backup() throws IOException {
    RedisUrl url = RedisUrl.parse(userUrl(), null);
    Id id =
        new RedisBackup(repo, new Progress())
            .backup(url, url.target(), List.of(), java.time.OffsetDateTime.now().toString());
    return repo.readSnapshot(id);
  }

  @Test
  void disklessBackupRestoresOnlineAndOffline() throws Exception {
    SnapshotRef ref = backup();
    Map<String, Object> src = ref.snapshot().source();
    assertEquals("redis", ref.snapshot().kind());
    assertEquals("diskless", src.get("framing"));
    assertEquals(10, ((Number) src.get("rdbVersion")).intValue() >= 9 ? 10 : -1);
    assertTrue(((Number) src.get("keys")).longValue() > 9000, src.toString());
    assertTrue(((Number) src.get("keysWithExpiry")).longValue() >= 903, src.toString());
    assertEquals("master", src.get("role"));
    assertEquals("rdb", src.get("keyCounts"));
    assertEquals(1L, ((Number) src.get("functionLibraries")).longValue());
    assertFalse(src.toString().contains(PASSWORD));

    try (RedisServer target = RedisServer.start(tmp.resolve("target"))) {
      RedisRestore.Result r =
          new RedisRestore(repo, new Progress())
              .online(ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(digest, target.digest());
      assertTrue(r.keys() > 9000);
      assertEquals(1, r.functions());
      try (RespConnection b = target.connect()) {
        assertEquals(1L, b.call("FCALL", "roadie_one", "0"));
      }
      assertCountsMatch(src, target);
      try (RespConnection a = source.connect();
          RespConnection b = target.connect()) {
        for (String db : List.of("0", "1", "7")) {
          a.call("SELECT", db);
          b.call("SELECT", db);
          for (String k : List.of("ttl:0", "ttl:299", "hash:ttl")) {
            long pa = (Long) a.call("PTTL", k);
            long pb = (Long) b.call("PTTL", k);
            assertTrue(pa > 0 && Math.abs(pa - pb) < 1000, k + " " + pa + " vs " + pb);
          }
        }
      }
      // A non-empty target is refused without --flush or --merge; --merge overwrites.
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(
                          ref,
                          RedisUrl.parse(target.url(), null),
                          RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("not empty"), e.getMessage());
      new RedisRestore(repo, new Progress())
          .online(ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.MERGE);
      assertEquals(digest, target.digest());
      try (RespConnection b = target.connect()) {
        b.call("SET", "extra", "x");
        // A library of the target's own defining a function of the snapshot's library: FLUSHALL
        // keeps it, and FUNCTION RESTORE of the snapshot's library would fail on the name.
        b.call("FUNCTION", "DELETE", "roadielib");
        b.call(
            "FUNCTION",
            "LOAD",
            "#!lua name=otherlib\nredis.register_function('roadie_one', function() return 2 end)");
      }
      new RedisRestore(repo, new Progress())
          .online(ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.FLUSH);
      assertEquals(digest, target.digest());
      try (RespConnection b = target.connect()) {
        assertEquals(1L, b.call("FCALL", "roadie_one", "0"));
        assertEquals(
            1, ((List<?>) b.call("FUNCTION", "LIST")).size(), "only the snapshot's library");
      }
    }

    Path offline = tmp.resolve("offline");
    long size = new RedisRestore(repo, new Progress()).toFile(ref, offline.resolve("dump.rdb"));
    assertEquals(((Number) ref.snapshot().source().get("rdbBytes")).longValue(), size);
    try (RedisServer fromFile = RedisServer.start(offline, "--dbfilename", "dump.rdb")) {
      assertEquals(digest, fromFile.digest());
    }
  }

  /**
   * The snapshot's counts per database (keys, keys with an expiry, keys per type) are those of a
   * server that holds exactly the snapshot's keys.
   */
  static void assertCountsMatch(Map<String, Object> src, RedisServer server) throws IOException {
    Map<?, ?> recorded = (Map<?, ?>) src.get("databases");
    long total = 0;
    long totalExpires = 0;
    try (RespConnection c = server.connect()) {
      Map<String, Object> keyspace = RedisBackup.keyspace(c.info("keyspace"));
      assertEquals(keyspace.keySet(), recorded.keySet());
      for (String db : keyspace.keySet()) {
        Map<?, ?> want = (Map<?, ?>) keyspace.get(db);
        Map<?, ?> got = (Map<?, ?>) recorded.get(db);
        c.call("SELECT", db.substring(2));
        assertEquals(c.call("DBSIZE"), ((Number) got.get("keys")).longValue(), db);
        assertEquals(want.get("expires"), ((Number) got.get("expires")).longValue(), db);
        Map<String, Long> types = new java.util.TreeMap<>();
        for (Object k : (List<?>) c.call("KEYS", "*")) {
          c.write("TYPE".getBytes(StandardCharsets.US_ASCII), (byte[]) k);
        }
        c.flush();
        for (int i = ((Number) got.get("keys")).intValue(); i > 0; i--)
          types.merge((String) c.readReply(), 1L, Long::sum);
        Map<String, Long> gotTypes = new java.util.TreeMap<>();
        ((Map<?, ?>) got.get("types"))
            .forEach((t, n) -> gotTypes.put((String) t, ((Number) n).longValue()));
        assertEquals(types, gotTypes, db);
        total += ((Number) got.get("keys")).longValue();
        totalExpires += ((Number) got.get("expires")).longValue();
      }
    }
    assertEquals(total, ((Number) src.get("keys")).longValue());
    assertEquals(totalExpires, ((Number) src.get("keysWithExpiry")).longValue());
  }

  /**
   * Keys written after the sync began, before the server forked: in the RDB, and so in its counts.
   */
  @Test
  void keyCountsAreWhatTheRdbHolds() throws Exception {
    try (RedisServer s =
        RedisServer.start(tmp.resolve("counts"), "--repl-diskless-sync-delay", "3")) {
      try (RespConnection c = s.connect()) {
        c.call("DEBUG", "POPULATE", "1000", "before", "10");
      }
      RedisUrl url = RedisUrl.parse(s.url(), null);
      Id id;
      try (RedisBackup.Transfer t = RedisBackup.start(url)) {
        // The server forks when the delay has passed: these keys are in the RDB, not in INFO's
        // counts.
        try (RespConnection c = s.connect()) {
          c.call("SELECT", "2");
          c.call("DEBUG", "POPULATE", "500", "after", "10");
          c.call("SET", "expiring", "x", "EX", "3600");
        }
        id =
            new RedisBackup(repo, new Progress())
                .backup(t, url.target(), List.of(), "2026-01-01T00:00:00Z");
      }
      Map<String, Object> src = repo.readSnapshot(id).snapshot().source();
      assertEquals(1501L, ((Number) src.get("keys")).longValue(), src.toString());
      assertEquals(1L, ((Number) src.get("keysWithExpiry")).longValue(), src.toString());
      try (RedisServer target = RedisServer.start(tmp.resolve("counts-target"))) {
        new RedisRestore(repo, new Progress())
            .online(
                repo.readSnapshot(id),
                RedisUrl.parse(target.url(), null),
                RedisRestore.Mode.REFUSE_NON_EMPTY);
        assertCountsMatch(src, target);
      }
    }
  }

  @Test
  void scannerGivingUpMidStreamFallsBackToRedisReplicator() throws Exception {
    SnapshotRef ref = backup();
    try (RedisServer target = RedisServer.start(tmp.resolve("fallback"))) {
      RedisRestore restore = new RedisRestore(repo, new Progress());
      restore.scannerKeyLimit =
          4000; // past the first database's keys, mid-way through the second's
      RedisRestore.Result r =
          restore.online(
              ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.REFUSE_NON_EMPTY);
      assertEquals(digest, target.digest());
      RedisRestore.Result full =
          new RedisRestore(repo, new Progress())
              .online(ref, RedisUrl.parse(target.url(), null), RedisRestore.Mode.FLUSH);
      assertEquals(digest, target.digest());
      assertEquals(full.keys(), r.keys()); // counted once, not once per path
      assertEquals(full.functions(), r.functions());
    }
  }

  @Test
  void diskBasedSyncUsesLengthFraming() throws Exception {
    try (RespConnection c = source.connect()) {
      c.call("CONFIG", "SET", "repl-diskless-sync", "no");
    }
    try {
      SnapshotRef ref = backup();
      assertEquals("disk", ref.snapshot().source().get("framing"));
      Path offline = tmp.resolve("offline-disk");
      new RedisRestore(repo, new Progress()).toFile(ref, offline.resolve("dump.rdb"));
      try (RedisServer fromFile = RedisServer.start(offline, "--dbfilename", "dump.rdb")) {
        assertEquals(digest, fromFile.digest());
      }
    } finally {
      try (RespConnection c = source.connect()) {
        c.call("CONFIG", "SET", "repl-diskless-sync", "yes");
      }
    }
  }

  @Test
  void wrongPasswordIsAClearErrorWithoutThePassword() {
    RedisUrl url = RedisUrl.parse("redis://backup:not-it-xyz@127.0.0.1:" + source.port, null);
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                new RedisBackup(repo, new Progress())
                    .backup(url, "t", List.of(), "2026-01-01T00:00:00Z"));
    assertTrue(e.getMessage().contains("refused the credentials"), e.getMessage());
    assertFalse(e.getMessage().contains("not-it-xyz"), e.getMessage());
  }

  @Test
  void unreachableServer() throws Exception {
    RedisUrl url = RedisUrl.parse("redis://127.0.0.1:" + RedisServer.freePort(), null);
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                new RedisBackup(repo, new Progress())
                    .backup(url, "t", List.of(), "2026-01-01T00:00:00Z"));
    assertTrue(e.getMessage().startsWith("cannot connect to redis://127.0.0.1:"), e.getMessage());
  }

  @Test
  void serverThatRefusesSync() {
    RedisUrl url = RedisUrl.parse("redis://nosync:pw@127.0.0.1:" + source.port, null);
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () ->
                new RedisBackup(repo, new Progress())
                    .backup(url, "t", List.of(), "2026-01-01T00:00:00Z"));
    assertTrue(e.getMessage().contains("refused to send an RDB"), e.getMessage());
    assertTrue(e.getMessage().contains("NOPERM"), e.getMessage());
    assertTrue(e.getMessage().contains("+sync +psync"), e.getMessage());
    // Starting the transfer, which comes before the repository is opened, is what fails.
    RoadieException atStart =
        assertThrows(RoadieException.class, () -> RedisBackup.start(url).close());
    assertTrue(atStart.getMessage().contains("NOPERM"), atStart.getMessage());
  }

  @Test
  void replicaWithoutItsMasterRefusesAtStart() throws Exception {
    try (RedisServer replica =
        RedisServer.start(
            tmp.resolve("orphan"),
            "--replicaof",
            "127.0.0.1",
            Integer.toString(RedisServer.freePort()))) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () -> RedisBackup.start(RedisUrl.parse(replica.url(), null)).close());
      assertTrue(e.getMessage().contains("refused to send an RDB: NOMASTERLINK"), e.getMessage());
      assertTrue(e.getMessage().contains("back up the master"), e.getMessage());
    }
  }

  @Test
  void restoreRefusedBeforeAnyKeySaysNothingWasWritten() throws Exception {
    SnapshotRef ref = backup();
    try (RedisServer target = RedisServer.start(tmp.resolve("norestore"))) {
      try (RespConnection c = target.connect()) {
        c.call(
            "ACL",
            "SETUSER",
            "norestore",
            "on",
            ">pw",
            "~*",
            "&*",
            "+@all",
            "-restore",
            "-function");
      }
      RedisUrl url = RedisUrl.parse("redis://norestore:pw@127.0.0.1:" + target.port, null);
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(ref, url, RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("NOPERM"), e.getMessage());
      assertTrue(e.getMessage().contains("nothing of the snapshot was written"), e.getMessage());
      assertFalse(e.getMessage().contains("holds part"), e.getMessage());
      try (RespConnection c = target.connect()) {
        assertEquals(0L, c.call("DBSIZE"));
      }
    }
  }

  @Test
  void restoreRefusedMidWaySaysHowMuchWasWritten() throws Exception {
    SnapshotRef ref = backup();
    try (RedisServer target = RedisServer.start(tmp.resolve("oom"), "--maxmemory", "8mb")) {
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () ->
                  new RedisRestore(repo, new Progress())
                      .online(
                          ref,
                          RedisUrl.parse(target.url(), null),
                          RedisRestore.Mode.REFUSE_NON_EMPTY));
      assertTrue(e.getMessage().contains("OOM"), e.getMessage());
      long written = 0;
      try (RespConnection c = target.connect()) {
        written += ((List<?>) c.call("FUNCTION", "LIST")).size();
        for (Object db : RedisBackup.keyspace(c.info("keyspace")).values())
          written += (Long) ((Map<?, ?>) db).get("keys");
      }
      assertTrue(written > 0, "some keys fit");
      assertTrue(
          e.getMessage()
              .contains(
                  "the target holds part of the snapshot ("
                      + written
                      + " keys and function"
                      + " libraries written)"),
          e.getMessage());
    }
  }

  /** A fake master that answers every command with +OK, then sends part of an RDB and hangs up. */
  @Test
  void interruptedTransferWritesNoSnapshot() throws Exception {
    for (boolean diskless : new boolean[] {true, false}) {
      int before = repo.snapshots(null).size();
      try (ServerSocket server = new ServerSocket(0)) {
        Thread t =
            Thread.ofVirtual()
                .start(
                    () -> {
                      try (Socket s = server.accept()) {
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        byte[] buf = new byte[4096];
                        while (true) {
                          int n = in.read(buf);
                          if (n < 0) return;
                          String cmd = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                          if (cmd.contains("SYNC")) break;
                          out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write(
                            (diskless ? "$EOF:" + "a".repeat(40) + "\r\n" : "$10000000\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.write("REDIS0010".getBytes(StandardCharsets.US_ASCII));
                        out.write(new byte[300_000]);
                        out.flush();
                      } catch (IOException ignored) {
                        // the client went away
                      }
                    });
        RedisUrl url = RedisUrl.parse("redis://127.0.0.1:" + server.getLocalPort(), null);
        Exception e =
            assertThrows(
                Exception.class,
                () ->
                    new RedisBackup(repo, new Progress())
                        .backup(url, "t", List.of(), "2026-01-01T00:00:00Z"));
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        t.join();
      }
      assertEquals(
          before, repo.snapshots(null).size(), "no snapshot after an interrupted transfer");
    }
  }

  @Test
  void urlRedaction() {
    RedisUrl u = RedisUrl.parse("redis://alice:topsecret@db.example:6380", null);
    assertEquals("redis://alice:***@db.example:6380", u.toString());
    assertEquals("redis://db.example:6380", u.target());
    assertFalse(RedisUrl.redact("redis://alice:topsecret@h:1").contains("topsecret"));
    assertFalse(RedisUrl.redact("redis://topsecret@h:1").contains("topsecret"));
  }
}
