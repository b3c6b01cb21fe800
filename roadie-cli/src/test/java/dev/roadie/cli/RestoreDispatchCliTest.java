package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * restore as a user runs it against a repository with a file and a redis snapshot: the snapshot is
 * resolved first and its kind decides what restores it; --of takes the target as the user writes
 * the URL.
 */
class RestoreDispatchCliTest {
  @TempDir Path tmp;
  private Process server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.destroy();
      if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
    }
  }

  private int startRedis() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("redis"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--repl-diskless-sync-delay",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (RespConnection c =
          RespConnection.open(RedisUrl.parse("redis://127.0.0.1:" + port, null))) {
        if ("PONG".equals(c.send("PING"))) {
          c.call("SET", "greeting", "hello");
          return port;
        }
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline || !server.isAlive()) throw e;
      }
      Thread.sleep(20);
    }
  }

  @Test
  void theSnapshotsKindDecidesAndOfTakesTheUrlAsGiven() throws Exception {
    int port = startRedis();
    RoadieProcess roadie = RoadieProcess.of(tmp.resolve("repo"), "dispatch-pw");
    roadie.run("init").assertOk();
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "a\n");
    String fileSnap =
        TestData.json(roadie.run("backup", "file", data.toString(), "--json").assertOk().stdout())
            .get("id")
            .asText();
    roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + port).assertOk();

    // The URL as a user gives it: a password, another scheme spelling, no port... all name the
    // target.
    Path rdb = tmp.resolve("out/dump.rdb");
    RoadieProcess.Result r =
        roadie
            .run(
                "restore",
                "latest",
                "--of",
                "rediss://ops:s3cret@127.0.0.1:" + port,
                "--rdb-file",
                rdb.toString())
            .assertOk();
    assertTrue(Files.size(rdb) > 0, r.describe());

    // The snapshot's kind decides, not the flags: a redis snapshot with a directory names what
    // fits.
    Path dir = tmp.resolve("not-written");
    RoadieProcess.Result wrong =
        roadie
            .run(
                "restore",
                "latest",
                "--of",
                "redis://127.0.0.1:" + port,
                "--target",
                dir.toString())
            .assertExit(2);
    assertTrue(
        wrong
            .stderr()
            .contains(
                "is a redis snapshot; --target DIR does not fit it: restore it with "
                    + "--to redis://HOST:PORT or --rdb-file PATH"),
        wrong.describe());
    assertFalse(Files.exists(dir), "nothing written");
    RoadieProcess.Result none = roadie.run("restore", "latest", "--kind", "redis").assertExit(2);
    assertTrue(
        none.stderr()
            .contains("say where to restore it: --to redis://HOST:PORT or --rdb-file PATH"),
        none.describe());
    RoadieProcess.Result fileToServer =
        roadie.run("restore", fileSnap, "--to", "redis://127.0.0.1:" + port).assertExit(2);
    assertTrue(
        fileToServer
            .stderr()
            .contains(
                "is a file snapshot; --to redis://… does not fit it: restore it with "
                    + "--target DIR or --stdout"),
        fileToServer.describe());
    RoadieProcess.Result two =
        roadie.run("restore", fileSnap, "--stdout", "--rdb-file", "x").assertExit(2);
    assertTrue(
        two.stderr().contains("give one place to restore to, not --stdout and --rdb-file PATH"),
        two.describe());

    // Another port is another target; the password typed in --of never shows.
    RoadieProcess.Result other =
        roadie
            .run(
                "restore",
                "latest",
                "--of",
                "redis://ops:s3cret@127.0.0.1:1",
                "--rdb-file",
                tmp.resolve("other.rdb").toString())
            .assertExit(1);
    assertTrue(
        other.stderr().contains("no snapshot matches target=redis://ops:***@127.0.0.1:1"),
        other.describe());
    assertFalse(other.stderr().contains("s3cret"), other.describe());
  }
}
