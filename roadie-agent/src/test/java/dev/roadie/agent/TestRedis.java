package dev.roadie.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A throwaway redis-server on a free port (never one this test did not start). */
final class TestRedis implements AutoCloseable {
  final int port;
  private final Process process;

  private TestRedis(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static TestRedis start(Path dir) throws IOException, InterruptedException {
    return startOn(dir, freePort());
  }

  static TestRedis startOn(Path dir, int port) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Process p =
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
                "--daemonize",
                "no",
                "--repl-diskless-sync-delay",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.out").toFile())
            .start();
    TestRedis r = new TestRedis(port, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        if (r.command("PING").contains("PONG")) return r;
      } catch (IOException e) {
        // not up yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException(
            "redis-server did not start: " + Files.readString(dir.resolve("redis.out")));
      }
      Thread.sleep(20);
    }
  }

  /** Sends one inline command and returns the first reply line. */
  String command(String line) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder b = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') b.append((char) c);
      return b.toString();
    }
  }

  /** Stops the server (its port refuses connections afterwards). */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
