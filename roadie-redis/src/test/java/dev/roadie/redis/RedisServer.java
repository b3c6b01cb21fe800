package dev.roadie.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throwaway redis-server on a free port, for tests (never the one on 6379). */
public final class RedisServer implements AutoCloseable {
  public final int port;
  public final Path dir;
  private final Process process;

  private RedisServer(int port, Path dir, Process process) {
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Starts a server with {@code dir} as its working directory; extra config as {@code --name value}
   * pairs.
   */
  public static RedisServer start(Path dir, String... extra)
      throws IOException, InterruptedException {
    return start("redis-server", dir, extra);
  }

  /**
   * The Redis 6.2 server of the tests: the linux-amd64 binary that Maven unpacks from the
   * embedded-redis jar (system property {@code roadie.redis62.dir}); null where there is none.
   */
  public static String redis62() throws IOException {
    String dir = System.getProperty("roadie.redis62.dir");
    if (dir == null
        || !System.getProperty("os.arch").matches("amd64|x86_64")
        || !System.getProperty("os.name").equals("Linux")) {
      return null;
    }
    try (var files = Files.list(Path.of(dir))) {
      Path binary =
          files
              .filter(
                  f -> f.getFileName().toString().matches("redis-server-6\\.2\\..*-linux-amd64"))
              .findFirst()
              .orElse(null);
      if (binary == null) return null;
      binary.toFile().setExecutable(true);
      return binary.toString();
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Starts {@code binary} (redis-server 6.2 has no enable-debug-command option: DEBUG is always on
   * there).
   */
  public static RedisServer start(String binary, Path dir, String... extra)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int port = freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                binary,
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
                "0",
                "--daemonize",
                "no",
                "--logfile",
                dir.resolve("redis.log").toString()));
    if (binary.equals("redis-server")) cmd.addAll(List.of("--enable-debug-command", "yes"));
    cmd.addAll(List.of(extra));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.out").toFile())
            .start();
    RedisServer s = new RedisServer(port, dir, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (RespConnection c = s.connect()) {
        Object r = c.send("PING");
        if ("PONG".equals(r)) return s;
        if (r instanceof RespConnection.ErrorReply e && !e.message().startsWith("LOADING")) {
          throw new IOException("redis-server: " + e.message());
        }
      } catch (RuntimeException e) {
        // not up yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException(
            "redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
      }
      Thread.sleep(20);
    }
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public RespConnection connect() {
    return RespConnection.open(RedisUrl.parse(url(), null));
  }

  /** INFO's redis_version. */
  public String version() throws IOException {
    try (RespConnection c = connect()) {
      return c.info("server").get("redis_version");
    }
  }

  public String digest() throws IOException {
    try (RespConnection c = connect()) {
      return (String) c.call("DEBUG", "DIGEST");
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
