package dev.roadie.cli;

import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.redis.RedisBackup;
import dev.roadie.redis.RedisRestore;
import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The demo's Redis part: a throwaway redis-server backed up, flushed, restored online, compared.
 */
final class RedisDemo {
  private RedisDemo() {}

  static Path findRedisServer() {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d, "redis-server");
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  /** Returns false on a mismatch. */
  static boolean run(Repository repo, Path base, Consumer<String> step, Consumer<String> say)
      throws Exception {
    Path server = findRedisServer();
    if (server == null) {
      say.accept(
          "(redis-server is not installed, so the Redis part is skipped; install it with"
              + " 'sudo apt-get install redis-server' and run the demo again)");
      return true;
    }
    Path dir = base.resolve("redis");
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder(
                server.toString(),
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
                dir.resolve("redis.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.out").toFile())
            .start();
    try {
      RedisUrl url = RedisUrl.parse("redis://127.0.0.1:" + port, null);
      RespConnection c = connect(url, p);
      try (c) {
        for (int i = 0; i < 1000; i++) {
          c.write(("SET").getBytes(), ("ticket:" + i).getBytes(), ("gate " + (i % 7)).getBytes());
          c.write(
              "HSET".getBytes(),
              ("festival:" + (i % 10)).getBytes(),
              ("f" + i).getBytes(),
              Integer.toString(i).getBytes());
        }
        c.write(
            "RPUSH".getBytes(), "queue".getBytes(), "a".getBytes(), "b".getBytes(), "c".getBytes());
        c.write(
            "SET".getBytes(),
            "session:1".getBytes(),
            "x".getBytes(),
            "EX".getBytes(),
            "3600".getBytes());
        c.flush();
        for (int i = 0; i < 2002; i++) c.readReply();
        String before = (String) c.call("DEBUG", "DIGEST");
        say.accept(
            "  started a throwaway redis-server on port "
                + port
                + " with "
                + c.call("DBSIZE")
                + " keys");

        step.accept("roadie backup redis --url " + url.target());
        Id id =
            new RedisBackup(repo, new Progress())
                .backup(
                    url, url.target(), List.of("demo"), java.time.OffsetDateTime.now().toString());
        SnapshotRef ref = repo.readSnapshot(id);
        say.accept(
            "  snapshot "
                + id.shortHex()
                + ": RDB "
                + ref.snapshot().source().get("rdbVersion")
                + " from Redis "
                + ref.snapshot().source().get("redisVersion")
                + ", "
                + Format.bytes(ref.snapshot().stats().bytesRead()));

        step.accept("redis-cli -p " + port + " FLUSHALL   (the accident)");
        c.call("FLUSHALL");
        step.accept("roadie restore " + id.shortHex() + " --to " + url.target());
        RedisRestore.Result r =
            new RedisRestore(repo, new Progress())
                .online(ref, url, RedisRestore.Mode.REFUSE_NON_EMPTY);
        String after = (String) c.call("DEBUG", "DIGEST");
        if (!before.equals(after)) {
          say.accept("  MISMATCH: DEBUG DIGEST differs after the restore");
          return false;
        }
        say.accept(
            "  restored "
                + Plural.count(r.keys(), "key")
                + "; DEBUG DIGEST equals the original's (TTLs included)");
      }
      return true;
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  private static RespConnection connect(RedisUrl url, Process p)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        RespConnection c = RespConnection.open(url);
        if ("PONG".equals(c.send("PING"))) return c;
        c.close();
      } catch (RuntimeException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) throw e;
      }
      Thread.sleep(20);
    }
  }
}
