package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * roadie backup redis / restore --to / --rdb-file as a user runs them, against throwaway
 * redis-servers.
 */
class RedisCliTest {
  @TempDir Path tmp;
  private final List<Process> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws Exception {
    for (Process p : servers) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  private int startServer(Path dir, String... extra) throws Exception {
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--enable-debug-command",
                "yes",
                "--dir",
                dir.toString(),
                "--repl-diskless-sync-delay",
                "0",
                "--logfile",
                dir.resolve("redis.log").toString()));
    cmd.addAll(List.of(extra));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out").toFile())
            .start();
    servers.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (RespConnection c = conn(port)) {
        if ("PONG".equals(c.send("PING"))) return port;
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline || !p.isAlive()) throw e;
      }
      Thread.sleep(20);
    }
  }

  private static RespConnection conn(int port) {
    return RespConnection.open(RedisUrl.parse("redis://127.0.0.1:" + port, null));
  }

  private static String digest(int port) throws Exception {
    try (RespConnection c = conn(port)) {
      return (String) c.call("DEBUG", "DIGEST");
    }
  }

  @Test
  void backupThenRestoreOnlineAndOffline() throws Exception {
    int src = startServer(tmp.resolve("src"));
    try (RespConnection c = conn(src)) {
      c.call("ACL", "SETUSER", "ops", "on", ">hunter2", "~*", "&*", "+@all");
      for (int db = 0; db < 3; db++) {
        c.call("SELECT", Integer.toString(db));
        for (int i = 0; i < 500; i++) {
          c.write(("SET").getBytes(), ("k" + i).getBytes(), ("v" + i + "-" + db).getBytes());
        }
        c.write("ZADD".getBytes(), "z".getBytes(), "1.5".getBytes(), "a".getBytes());
        c.write(
            "SET".getBytes(), "ttl".getBytes(), "x".getBytes(), "EX".getBytes(), "5000".getBytes());
        c.flush();
        for (int i = 0; i < 502; i++) c.readReply();
      }
    }
    String want = digest(src);
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repo, "pw");
    roadie.run("init").assertOk();

    RoadieProcess.Result b =
        roadie.run("backup", "redis", "--url", "redis://ops:hunter2@127.0.0.1:" + src).assertOk();
    assertTrue(b.stdout().contains("of redis://127.0.0.1:" + src + " saved: Redis "), b.describe());
    assertTrue(b.stdout().contains("1506 keys"), b.describe());
    assertFalse(b.stdout().contains("hunter2") || b.stderr().contains("hunter2"), b.describe());

    RoadieProcess.Result bad =
        roadie.run("backup", "redis", "--url", "redis://ops:wrong@127.0.0.1:" + src).assertExit(1);
    assertTrue(bad.stderr().contains("refused the credentials"), bad.describe());
    assertFalse(bad.stderr().contains("wrong"), bad.describe());

    int dst = startServer(tmp.resolve("dst"));
    roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst).assertOk();
    assertEquals(want, digest(dst));
    RoadieProcess.Result refused =
        roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst).assertExit(2);
    assertTrue(refused.stderr().contains("--flush"), refused.describe());
    roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst, "--flush").assertOk();
    assertEquals(want, digest(dst));
    roadie
        .run("restore", "latest", "--to", "redis://127.0.0.1:" + dst, "--rdb-file", "x")
        .assertExit(2);

    Path off = tmp.resolve("off");
    RoadieProcess.Result f =
        roadie
            .run("restore", "latest", "--rdb-file", off.resolve("dump.rdb").toString())
            .assertOk();
    assertTrue(f.stdout().contains("appendonly"), f.describe());
    int fromFile = startServer(off, "--dbfilename", "dump.rdb");
    assertEquals(want, digest(fromFile));
  }

  private static long dbsize(int port, int db) throws Exception {
    try (RespConnection c = conn(port)) {
      c.call("SELECT", Integer.toString(db));
      return (Long) c.call("DBSIZE");
    }
  }

  private static void set(int port, int db, String key, String value) throws Exception {
    try (RespConnection c = conn(port)) {
      c.call("SELECT", Integer.toString(db));
      c.call("SET", key, value);
    }
  }

  @Test
  void databaseNumberInTheUrl() throws Exception {
    int src = startServer(tmp.resolve("src"));
    for (int i = 0; i < 100; i++) set(src, 3, "k" + i, "v" + i);
    for (int i = 0; i < 10; i++) set(src, 0, "other" + i, "x");
    RoadieProcess roadie = RoadieProcess.of(tmp.resolve("repo"), "pw");
    roadie.run("init").assertOk();

    // Database 3 alone: its keys, and only its keys, in the snapshot and in a dump.rdb.
    RoadieProcess.Result b =
        roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + src + "/3").assertOk();
    assertTrue(b.stdout().contains("of redis://127.0.0.1:" + src + "/3 saved"), b.describe());
    assertTrue(b.stdout().contains("100 keys of database 3"), b.describe());
    Path off = tmp.resolve("off");
    roadie.run("restore", "latest", "--rdb-file", off.resolve("dump.rdb").toString()).assertOk();
    int fromFile = startServer(off, "--dbfilename", "dump.rdb");
    assertEquals(100, dbsize(fromFile, 3));
    assertEquals(0, dbsize(fromFile, 0));

    // Into database 3 of a server whose other databases are someone else's: --flush empties only 3.
    int dst = startServer(tmp.resolve("dst"));
    set(dst, 5, "keep", "other application");
    set(dst, 3, "stale", "x");
    RoadieProcess.Result r =
        roadie
            .run("restore", "latest", "--to", "redis://127.0.0.1:" + dst + "/3", "--flush")
            .assertOk();
    assertTrue(r.stdout().contains("100 keys"), r.describe());
    assertEquals(100, dbsize(dst, 3));
    assertEquals(1, dbsize(dst, 5), "the key of database 5 survives --flush into database 3");
    assertEquals(0, dbsize(dst, 0));

    // A snapshot of databases 0 and 3 cannot go into one database.
    roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + src).assertOk();
    RoadieProcess.Result refused =
        roadie
            .run(
                "restore",
                "latest",
                "--of",
                "redis://127.0.0.1:" + src,
                "--to",
                "redis://127.0.0.1:" + dst + "/4")
            .assertExit(2);
    assertTrue(refused.stderr().contains("holds databases 0, 3"), refused.describe());
    assertEquals(0, dbsize(dst, 4));

    // ?db=N is the same as /N; a parameter roadie does not know is named, with those it knows.
    RoadieProcess.Result q =
        roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + src + "?db=3").assertOk();
    assertTrue(q.stdout().contains("of redis://127.0.0.1:" + src + "/3 saved"), q.describe());
    RoadieProcess.Result unknown =
        roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + src + "?dbx=3").assertExit(2);
    assertTrue(unknown.stderr().contains("unknown parameter 'dbx'"), unknown.describe());
    assertTrue(unknown.stderr().contains("db=N"), unknown.describe());
    assertFalse(unknown.stderr().contains("cacert, cert and key go with"), unknown.describe());
  }

  @Test
  void serverRefusingSyncFailsBeforeTheRepositoryIsOpened() throws Exception {
    int src = startServer(tmp.resolve("src"));
    try (RespConnection c = conn(src)) {
      c.call("ACL", "SETUSER", "nosync", "on", ">pw", "~*", "&*", "+@all", "-sync", "-psync");
    }
    Path repo = tmp.resolve("repo");
    RoadieProcess.of(repo, "pw").run("init").assertOk();
    // A wrong repository password: the server's refusal is reported, not the password (which a
    // backup that opened the repository first would have had to derive and check).
    RoadieProcess.Result r =
        RoadieProcess.of(repo, "not-the-password")
            .run("backup", "redis", "--url", "redis://nosync:pw@127.0.0.1:" + src)
            .assertExit(1);
    assertTrue(r.stderr().contains("refused to send an RDB: NOPERM"), r.describe());
    assertTrue(r.stderr().contains("+sync +psync"), r.describe());
    assertFalse(r.stderr().contains("wrong password"), r.describe());
  }
}
