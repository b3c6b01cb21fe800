package dev.roadie.s3;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 proxy on loopback in front of an S3 server that injects the faults real networks and
 * real S3 have, per request, chosen by a {@link Policy}: a connection reset before the request
 * reaches the server, a {@code 503 SlowDown}, added latency, and a response dropped after the
 * server executed the request (for a PUT: the object is stored, the client never hears so).
 *
 * <p>It understands just enough HTTP for the AWS SDK: keep-alive, {@code Expect: 100-continue}
 * (answered by the proxy itself), bodies by {@code Content-Length} or chunked. It counts requests
 * by method; {@code GET /__roadie_proxy/stats} answers the counts without forwarding (for the
 * benchmark). Run as a program: {@code FaultProxy UPSTREAM_PORT [LISTEN_PORT]}, no faults.
 */
public final class FaultProxy implements AutoCloseable {
  public enum Fault {
    NONE,
    /**
     * The connection is reset (RST) as soon as the request head arrived; nothing reaches the
     * server.
     */
    RESET,
    /** 503 SlowDown without forwarding, as throttled S3 answers. */
    SLOW_DOWN,
    /** 500 InternalError without forwarding. */
    SERVER_ERROR,
    /** The request is forwarded after a delay. */
    LATENCY,
    /** The request is forwarded and executed, then the connection is reset instead of answering. */
    DROP_RESPONSE,
    /**
     * The request is forwarded and executed; the response head and half of its body reach the
     * client, then the connection is reset (a download cut off mid-way).
     */
    TRUNCATE_RESPONSE
  }

  /**
   * One request as the policy sees it: its sequence number (from 1), method, target (path and
   * query) and headers (names in lower case).
   */
  public record Request(long seq, String method, String target, Map<String, String> headers) {
    public boolean isPackPut() {
      return method.equals("PUT") && target.contains("/data/");
    }

    public boolean isPackGet() {
      return method.equals("GET") && target.contains("/data/");
    }

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  @FunctionalInterface
  public interface Policy {
    Fault decide(Request r);

    Policy NONE = r -> Fault.NONE;

    /** Every {@code n}th request gets the next fault of {@code faults}, in turn. */
    static Policy every(int n, Fault... faults) {
      AtomicLong k = new AtomicLong();
      return r ->
          r.seq() % n == 0 ? faults[(int) (k.getAndIncrement() % faults.length)] : Fault.NONE;
    }
  }

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private volatile Policy policy = Policy.NONE;
  private volatile long latencyMillis = 150;
  private final AtomicLong seq = new AtomicLong();
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final AtomicLong faults = new AtomicLong();
  private final List<Socket> open = new ArrayList<>();
  private final Thread acceptor;

  /** With -Dfaultproxy.log=FILE: one line per request (method and target), for the benchmark. */
  private final java.io.PrintStream requestLog;

  public FaultProxy(int upstreamPort) throws IOException {
    this(upstreamPort, 0);
  }

  public FaultProxy(int upstreamPort, int listenPort) throws IOException {
    this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
    this.server = new ServerSocket(listenPort, 128, InetAddress.getLoopbackAddress());
    String logFile = System.getProperty("faultproxy.log");
    this.requestLog =
        logFile == null
            ? null
            : new java.io.PrintStream(
                new java.io.FileOutputStream(logFile, true), false, StandardCharsets.UTF_8);
    this.acceptor = Thread.ofPlatform().daemon().name("fault-proxy").start(this::acceptLoop);
  }

  public static void main(String[] args) throws Exception {
    FaultProxy p =
        new FaultProxy(Integer.parseInt(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 0);
    System.out.println(p.port());
    System.out.flush();
    Thread.currentThread().join();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port();
  }

  public FaultProxy policy(Policy p) {
    this.policy = p;
    return this;
  }

  public FaultProxy latency(long millis) {
    this.latencyMillis = millis;
    return this;
  }

  /** Requests seen, by method ("PUT", "GET", ...). */
  public long count(String method) {
    AtomicLong c = counts.get(method);
    return c == null ? 0 : c.get();
  }

  public long requests() {
    return seq.get();
  }

  public long faultsInjected() {
    return faults.get();
  }

  public String stats() {
    StringBuilder sb = new StringBuilder("requests=" + requests() + " faults=" + faultsInjected());
    new java.util.TreeMap<>(counts)
        .forEach((k, v) -> sb.append(' ').append(k).append('=').append(v.get()));
    return sb.toString();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        synchronized (open) {
          open.add(client);
        }
        Thread.ofVirtual().start(() -> serve(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    Socket up = null;
    try (client) {
      client.setTcpNoDelay(true);
      InputStream cin = new BufferedInputStream(client.getInputStream(), 1 << 16);
      OutputStream cout = new BufferedOutputStream(client.getOutputStream(), 1 << 16);
      InputStream uin = null;
      OutputStream uout = null;
      while (true) {
        Head req = Head.read(cin);
        if (req == null) return;
        String[] line = req.first.split(" ", 3);
        String method = line[0];
        String target = line.length > 1 ? line[1] : "/";
        if (target.startsWith("/__roadie_proxy/stats")) {
          respond(cout, 200, "OK", stats() + "\n", false);
          continue;
        }
        Request r = new Request(seq.incrementAndGet(), method, target, req.headerMap());
        if (requestLog != null) {
          synchronized (requestLog) {
            requestLog.println(method + " " + target);
            requestLog.flush();
          }
        }
        counts.computeIfAbsent(method, k -> new AtomicLong()).incrementAndGet();
        Fault f = policy.decide(r);
        if (f == null) f = Fault.NONE;
        if (f != Fault.NONE && f != Fault.LATENCY) faults.incrementAndGet();
        if (f == Fault.RESET) {
          reset(client);
          return;
        }
        boolean expectContinue = "100-continue".equalsIgnoreCase(req.header("expect"));
        if (f == Fault.SLOW_DOWN || f == Fault.SERVER_ERROR) {
          // As S3 does: the final answer instead of 100 Continue, and the connection closed.
          boolean slow = f == Fault.SLOW_DOWN;
          String body =
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                  + (slow ? "SlowDown" : "InternalError")
                  + "</Code><Message>"
                  + (slow
                      ? "Please reduce your request rate."
                      : "We encountered an internal error. Please try again.")
                  + "</Message><RequestId>fault-proxy</RequestId></Error>";
          if (!expectContinue) discardBody(cin, req);
          respond(cout, slow ? 503 : 500, slow ? "Slow Down" : "Internal Server Error", body, true);
          return;
        }
        if (f == Fault.LATENCY) {
          Thread.sleep(latencyMillis);
        }
        if (up == null) {
          up = new Socket();
          up.connect(upstream, 5000);
          up.setTcpNoDelay(true);
          uin = new BufferedInputStream(up.getInputStream(), 1 << 16);
          uout = new BufferedOutputStream(up.getOutputStream(), 1 << 16);
        }
        if (expectContinue) {
          cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          cout.flush();
        }
        uout.write(req.bytes(true));
        copyBody(cin, uout, req, false);
        uout.flush();
        Head resp;
        int status;
        do {
          resp = Head.read(uin);
          if (resp == null) throw new EOFException("upstream closed");
          status = Integer.parseInt(resp.first.split(" ", 3)[1]);
        } while (status == 100);
        boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
        if (f == Fault.DROP_RESPONSE) {
          copyBody(uin, OutputStream.nullOutputStream(), resp, noBody);
          reset(client);
          return;
        }
        String length = resp.header("content-length");
        if (f == Fault.TRUNCATE_RESPONSE
            && !noBody
            && length != null
            && Long.parseLong(length.trim()) > 1) {
          long n = Long.parseLong(length.trim());
          cout.write(resp.bytes(false));
          copy(uin, cout, n / 2);
          cout.flush();
          copy(uin, OutputStream.nullOutputStream(), n - n / 2);
          reset(client);
          return;
        }
        cout.write(resp.bytes(false));
        copyBody(uin, cout, resp, noBody);
        cout.flush();
        if ("close".equalsIgnoreCase(resp.header("connection"))
            || "close".equalsIgnoreCase(req.header("connection"))) {
          return;
        }
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // The client or the server went away: so does this connection.
    } finally {
      if (up != null) {
        try {
          up.close();
        } catch (IOException e) {
          // gone
        }
      }
      synchronized (open) {
        open.remove(client);
      }
    }
  }

  private static void reset(Socket s) throws IOException {
    s.setSoLinger(true, 0);
    s.close();
  }

  private static void respond(
      OutputStream out, int status, String reason, String body, boolean close) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + "\r\nContent-Type: application/xml\r\nContent-Length: "
            + b.length
            + "\r\n"
            + (close ? "Connection: close\r\n" : "")
            + "\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(b);
    out.flush();
  }

  private static void discardBody(InputStream in, Head h) throws IOException {
    copyBody(in, OutputStream.nullOutputStream(), h, false);
  }

  private static void copyBody(InputStream in, OutputStream out, Head h, boolean none)
      throws IOException {
    if (none) return;
    if ("chunked".equalsIgnoreCase(h.header("transfer-encoding"))) {
      while (true) {
        String sizeLine = readLine(in);
        out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        int semi = sizeLine.indexOf(';');
        long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
        if (size == 0) {
          String trailer;
          do {
            trailer = readLine(in);
            out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          } while (!trailer.isEmpty());
          return;
        }
        copy(in, out, size);
        String crlf = readLine(in);
        out.write((crlf + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    String cl = h.header("content-length");
    if (cl != null) {
      copy(in, out, Long.parseLong(cl.trim()));
    } else if (h.isResponse()) {
      in.transferTo(out); // until the server closes
    }
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[1 << 16];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) throw new EOFException("body ended early");
      out.write(buf, 0, r);
      n -= r;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') break;
      if (c != '\r') b.write(c);
      if (b.size() > 65536) throw new IOException("line too long");
    }
    if (c < 0 && b.size() == 0) throw new EOFException();
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** A request or response head: first line and headers. */
  private record Head(String first, List<String[]> headers) {
    static Head read(InputStream in) throws IOException {
      String first;
      try {
        first = readLine(in);
      } catch (EOFException e) {
        return null;
      }
      List<String[]> headers = new ArrayList<>();
      while (true) {
        String l = readLine(in);
        if (l.isEmpty()) break;
        int colon = l.indexOf(':');
        headers.add(new String[] {l.substring(0, colon), l.substring(colon + 1).trim()});
      }
      return new Head(first, headers);
    }

    Map<String, String> headerMap() {
      Map<String, String> m = new java.util.HashMap<>();
      for (String[] h : headers) m.putIfAbsent(h[0].toLowerCase(Locale.ROOT), h[1]);
      return Map.copyOf(m);
    }

    boolean isResponse() {
      return first.startsWith("HTTP/");
    }

    String header(String name) {
      for (String[] h : headers) {
        if (h[0].toLowerCase(Locale.ROOT).equals(name)) return h[1];
      }
      return null;
    }

    /** The head as bytes; for forwarding a request, without Expect (the proxy answered it). */
    byte[] bytes(boolean dropExpect) {
      StringBuilder sb = new StringBuilder(first).append("\r\n");
      for (String[] h : headers) {
        if (dropExpect && h[0].equalsIgnoreCase("expect")) continue;
        sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
      }
      return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (open) {
      for (Socket s : open) {
        try {
          s.close();
        } catch (IOException e) {
          // gone
        }
      }
    }
    acceptor.interrupt();
  }
}
