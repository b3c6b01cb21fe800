package dev.roadie.training;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for a Redis master on a loopback port, for the start-up archive's training run only
 * ({@link TrainingRun}): it answers the commands {@code roadie backup redis} sends (PING, INFO,
 * REPLCONF, SYNC) and streams a given payload as the RDB, with diskless framing ({@code $EOF:} and
 * an end mark), so the RDB transfer's classes and their profiles get into the archive. The payload
 * is an RDB of string keys whose values are the given bytes, so the scanner that counts a backup's
 * keys is trained too. One connection at a time; nothing but training uses it.
 */
final class TrainingRedisEndpoint implements AutoCloseable {
  private static final byte[] MARK =
      "0123456789abcdef0123456789abcdef01234567".getBytes(StandardCharsets.US_ASCII);

  private final ServerSocket server;
  private final byte[] body;
  private final Thread thread;

  private TrainingRedisEndpoint(byte[] body) throws IOException {
    this.server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
    this.body = body;
    this.thread = Thread.ofPlatform().daemon().name("training-redis").start(this::serve);
  }

  /** Serves {@code body} (after an RDB header) as the RDB of every SYNC. */
  static TrainingRedisEndpoint start(byte[] body) throws IOException {
    return new TrainingRedisEndpoint(body);
  }

  String url() {
    return "redis://127.0.0.1:" + server.getLocalPort();
  }

  private void serve() {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        session(
            new BufferedInputStream(s.getInputStream()),
            new BufferedOutputStream(s.getOutputStream(), 1 << 16));
      } catch (IOException | RuntimeException e) {
        // closed, or the client went away: next connection
      }
    }
  }

  private void session(InputStream in, OutputStream out) throws IOException {
    List<String> command;
    while ((command = readCommand(in)) != null && !command.isEmpty()) {
      switch (command.get(0).toUpperCase(java.util.Locale.ROOT)) {
        case "PING" -> ascii(out, "+PONG\r\n");
        case "REPLCONF" -> ascii(out, "+OK\r\n");
        case "INFO" -> {
          byte[] info =
              ("# Server\r\nredis_version:7.2.0\r\n# Replication\r\nrole:master\r\n# Memory\r\n"
                      + "used_memory:"
                      + body.length
                      + "\r\n# Keyspace\r\ndb0:keys=1000,expires=0,avg_ttl=0\r\n")
                  .getBytes(StandardCharsets.US_ASCII);
          ascii(out, "$" + info.length + "\r\n");
          out.write(info);
          ascii(out, "\r\n");
        }
        case "SYNC" -> {
          ascii(out, "$EOF:");
          out.write(MARK);
          ascii(out, "\r\n");
          out.write(header());
          writeKeys(out, body);
          out.write(MARK);
          out.flush();
          return; // rdb-only: the transfer ends the session
        }
        default -> ascii(out, "-ERR unknown command\r\n");
      }
      out.flush();
    }
  }

  /** REDIS0011 and two aux fields, as a Redis 7.2 save starts. */
  private static byte[] header() {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.writeBytes("REDIS0011".getBytes(StandardCharsets.US_ASCII));
    for (String[] kv : new String[][] {{"redis-ver", "7.2.0"}, {"redis-bits", "64"}}) {
      b.write(0xFA);
      for (String s : kv) {
        b.write(s.length());
        b.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
      }
    }
    return b.toByteArray();
  }

  /**
   * {@code body} as string keys of database 0 with values of 4 KiB, a few with an expiry, then the
   * EOF opcode and a zero checksum (which Redis reads as "not computed").
   */
  private static void writeKeys(OutputStream out, byte[] body) throws IOException {
    out.write(0xFE); // SELECTDB 0
    out.write(0);
    int value = 4096;
    for (int i = 0, off = 0; off < body.length; i++, off += value) {
      if (i % 8 == 0) {
        out.write(0xFC); // expiry in ms, far ahead
        for (int b = 0; b < 8; b++) out.write((int) (4_000_000_000_000L >>> (8 * b)));
      }
      out.write(0); // string
      byte[] key = ("training:" + i).getBytes(StandardCharsets.US_ASCII);
      out.write(key.length);
      out.write(key);
      int n = Math.min(value, body.length - off);
      out.write(0x40 | (n >>> 8)); // a 14-bit length
      out.write(n & 0xFF);
      out.write(body, off, n);
    }
    out.write(0xFF);
    out.write(new byte[8]);
  }

  /** A RESP array of bulk strings (what a client sends); null at the end of the stream. */
  private static List<String> readCommand(InputStream in) throws IOException {
    String line = line(in);
    if (line == null || !line.startsWith("*")) return null;
    int n = Integer.parseInt(line.substring(1));
    List<String> args = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String len = line(in);
      if (len == null || !len.startsWith("$")) return null;
      byte[] a = in.readNBytes(Integer.parseInt(len.substring(1)) + 2);
      args.add(new String(a, 0, Math.max(0, a.length - 2), StandardCharsets.UTF_8));
    }
    return args;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') sb.append((char) c);
    }
    return c < 0 && sb.isEmpty() ? null : sb.toString();
  }

  private static void ascii(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public void close() {
    try {
      server.close();
      thread.join(1000);
    } catch (IOException | InterruptedException e) {
      // training only
    }
  }
}
