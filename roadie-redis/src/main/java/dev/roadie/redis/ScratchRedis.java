package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.Scratch;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throwaway {@code redis-server} that roadie starts to verify a restore: from PATH (or the binary
 * given), on a free port of 127.0.0.1, with a random password and no persistence, its settings in a
 * private config file in the scratch directory (never in argv). Killed and removed by the {@link
 * Scratch}.
 */
final class ScratchRedis {
  private static final int PORT_TRIES = 3;

  final String binary;
  final String version;
  private final Path dir;
  private final String password;
  private int port;
  private Process process;

  private ScratchRedis(String binary, String version, Path dir, String password) {
    this.binary = binary;
    this.version = version;
    this.dir = dir;
    this.password = password;
  }

  /**
   * The version of Redis that reads RDB format {@code rdbVersion}: 9 came with 5.0, 10 with 7.0, 11
   * with 7.2, 12 with 7.4.
   */
  static String versionFor(int rdbVersion) {
    return switch (rdbVersion) {
      case 0, 1, 2, 3, 4, 5, 6 -> "2.6";
      case 7 -> "3.2";
      case 8 -> "4.0";
      case 9 -> "5.0";
      case 10 -> "7.0";
      case 11 -> "7.2";
      case 12 -> "7.4";
      default -> null;
    };
  }

  /** Finds redis-server and checks it reads RDB {@code rdbVersion}. */
  static ScratchRedis find(String binary, int rdbVersion, Scratch scratch) throws IOException {
    String bin = binary != null ? binary : "redis-server";
    String out;
    try {
      Process p = new ProcessBuilder(bin, "--version").redirectErrorStream(true).start();
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "verifying a redis snapshot starts a scratch redis-server, and "
              + (binary != null ? binary + " cannot be run" : "there is none on PATH")
              + " ("
              + e.getMessage()
              + "): "
              + "install redis-server (apt-get install redis-server) or pass --redis-server PATH");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    Matcher m = Pattern.compile("v=(\\d+)\\.(\\d+)(\\.\\d+)?").matcher(out);
    if (!m.find()) {
      throw new RoadieException(
          ErrorCode.FAILURE, bin + " --version printed '" + out + "', not a Redis version");
    }
    String version = m.group(1) + "." + m.group(2) + (m.group(3) == null ? "" : m.group(3));
    String needed = versionFor(rdbVersion);
    if (needed == null || compare(version, needed) < 0) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the snapshot's RDB is format "
              + rdbVersion
              + ", which Redis "
              + (needed == null ? "newer than 7.4" : needed + " or newer")
              + " reads; "
              + bin
              + " is Redis "
              + version
              + ": install a newer redis-server or pass --redis-server PATH");
    }
    return new ScratchRedis(
        bin, version, scratch.directory("redis"), HexFormat.of().formatHex(random(16)));
  }

  static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? Integer.parseInt(x[i]) : 0;
      int q = i < y.length ? Integer.parseInt(y[i]) : 0;
      if (p != q) return Integer.compare(p, q);
    }
    return 0;
  }

  /** Starts the server with {@code databases} databases and registers its stop. */
  void start(Scratch scratch, int databases) throws IOException {
    scratch.onClose("stop the scratch redis-server on port " + port, this::stop);
    Path conf = dir.resolve("redis.conf");
    String failure = null;
    for (int i = 0; i < PORT_TRIES; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      Files.writeString(
          conf,
          String.join(
                  "\n",
                  List.of(
                      "port " + port,
                      "bind 127.0.0.1",
                      "protected-mode yes",
                      "requirepass " + password,
                      "save \"\"",
                      "appendonly no",
                      "dir " + dir,
                      "daemonize no",
                      "logfile " + dir.resolve("redis.log"),
                      "databases " + Math.max(16, databases),
                      "maxmemory 0"))
              + "\n",
          StandardCharsets.UTF_8);
      process =
          new ProcessBuilder(binary, conf.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.out").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (process.isAlive() && System.nanoTime() < deadline) {
        try (RespConnection c = RespConnection.open(url())) {
          if ("PONG".equals(c.send("PING"))) return;
        } catch (RuntimeException | IOException e) {
          // not up yet
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted");
        }
      }
      failure = log();
      stop();
      if (!failure.contains("Address already in use")) break;
    }
    throw new RoadieException(
        ErrorCode.FAILURE, "the scratch redis-server did not start: " + failure);
  }

  RedisUrl url() {
    return RedisUrl.parse("redis://:" + password + "@127.0.0.1:" + port, null);
  }

  String describe() {
    return "a scratch redis-server " + version + " on 127.0.0.1:" + port;
  }

  void stop() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String log() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("redis.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
