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

/** roadie backup redis / restore --to / --rdb-file as a user runs them, against throwaway redis-servers. */
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
    List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--dir", dir.toString(),
        "--repl-diskless-sync-delay", "0", "--logfile", dir.resolve("redis.log").toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
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
        c.write("SET".getBytes(), "ttl".getBytes(), "x".getBytes(), "EX".getBytes(), "5000".getBytes());
        c.flush();
        for (int i = 0; i < 502; i++) c.readReply();
      }
    }
    String want = digest(src);
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repo, "pw");
    roadie.run("init").assertOk();

    RoadieProcess.Result b = roadie.run("backup", "redis", "--url", "redis://ops:hunter2@127.0.0.1:" + src).assertOk();
    assertTrue(b.stdout().contains("of redis://127.0.0.1:" + src + " saved: Redis "), b.describe());
    assertTrue(b.stdout().contains("1506 keys"), b.describe());
    assertFalse(b.stdout().contains("hunter2") || b.stderr().contains("hunter2"), b.describe());

    RoadieProcess.Result bad = roadie.run("backup", "redis", "--url", "redis://ops:wrong@127.0.0.1:" + src).assertExit(1);
    assertTrue(bad.stderr().contains("refused the credentials"), bad.describe());
    assertFalse(bad.stderr().contains("wrong"), bad.describe());

    int dst = startServer(tmp.resolve("dst"));
    roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst).assertOk();
    assertEquals(want, digest(dst));
    RoadieProcess.Result refused = roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst).assertExit(2);
    assertTrue(refused.stderr().contains("--flush"), refused.describe());
    roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst, "--flush").assertOk();
    assertEquals(want, digest(dst));
    roadie.run("restore", "latest", "--to", "redis://127.0.0.1:" + dst, "--rdb-file", "x").assertExit(2);

    Path off = tmp.resolve("off");
    RoadieProcess.Result f = roadie.run("restore", "latest", "--rdb-file", off.resolve("dump.rdb").toString()).assertOk();
    assertTrue(f.stdout().contains("appendonly"), f.describe());
    int fromFile = startServer(off, "--dbfilename", "dump.rdb");
    assertEquals(want, digest(fromFile));
  }
}
