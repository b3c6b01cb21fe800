package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A minimal RESP2 client on one socket: commands, pipelined writes, replies, and raw access to the
 * input for the replication payload. Messages name the server by its redacted URL.
 */
public final class RespConnection implements AutoCloseable {
  public static final int CONNECT_TIMEOUT_MS = 10_000;
  public static final int READ_TIMEOUT_MS = 120_000;

  /**
   * An error reply ({@code -ERR ...}); returned by {@link #readReply()}, thrown as a
   * RoadieException by {@link #call}.
   */
  public record ErrorReply(String message) {}

  private final RedisUrl url;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RespConnection(RedisUrl url, Socket socket) throws IOException {
    this.url = url;
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
  }

  /** Connects (TLS for rediss://) and authenticates with the URL's user and password, if any. */
  public static RespConnection open(RedisUrl url) {
    Socket s = null;
    try {
      if (url.tls()) {
        SSLSocket ssl = (SSLSocket) TlsContext.socketFactory(url).createSocket();
        s = ssl;
        ssl.connect(new InetSocketAddress(url.host(), url.port()), CONNECT_TIMEOUT_MS);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(p);
        ssl.setSoTimeout(READ_TIMEOUT_MS);
        ssl.startHandshake();
      } else {
        s = new Socket();
        s.connect(new InetSocketAddress(url.host(), url.port()), CONNECT_TIMEOUT_MS);
      }
      s.setSoTimeout(READ_TIMEOUT_MS);
      s.setTcpNoDelay(true);
      RespConnection c = new RespConnection(url, s);
      try {
        // The first exchange (AUTH, or a PING) shows what the handshake cannot: a TLS 1.3 server
        // judges the client certificate after it, and a TLS port hangs up on a plain client.
        if (url.password() == null) c.send("PING");
        c.authenticate();
      } catch (SSLException e) {
        throw e;
      } catch (IOException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "cannot connect to "
                + url
                + ": the server closed the connection at"
                + " the first command ("
                + e.getMessage()
                + "); "
                + (url.tls()
                    ? "it may require a client certificate (tls-auth-clients yes): give one, rediss://…?cert=FILE&key=FILE"
                    : "if the port speaks TLS (tls-port), use a rediss:// URL"),
            e);
      }
      return c;
    } catch (UnknownHostException e) {
      closeQuietly(s);
      throw new RoadieException(
          ErrorCode.FAILURE, "cannot connect to " + url + ": unknown host " + url.host());
    } catch (ConnectException | SocketTimeoutException e) {
      closeQuietly(s);
      // Refused or timed out: the server may be restarting or failing over; the same command can
      // succeed later.
      throw new RoadieException.Retriable(
          "cannot connect to "
              + url
              + ": "
              + e.getMessage()
              + "; check that Redis is running there and reachable from this host",
          e);
    } catch (SSLException e) {
      closeQuietly(s);
      throw new RoadieException(
          ErrorCode.FAILURE, "cannot connect to " + url + ": " + tlsAdvice(url, e), e);
    } catch (IOException e) {
      closeQuietly(s);
      throw new RoadieException(
          ErrorCode.FAILURE, "cannot connect to " + url + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(s);
      throw e;
    }
  }

  /** What a failed TLS connection means and what to do about it. */
  private static String tlsAdvice(RedisUrl url, SSLException e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) all.append(' ').append(t.getMessage());
    String m = all.toString();
    java.nio.file.Path ca = url.tlsFiles().caCert();
    if (m.contains("PKIX path")
        || m.contains("unable to find valid certification path")
        || m.contains("signature check failed")
        || m.contains("trust anchor")) {
      return "the server's TLS certificate is not trusted by "
          + (ca == null ? "the JVM's trust store" : "the CA in " + ca)
          + "; give the CA certificate (PEM) that signed it: rediss://HOST:PORT?cacert=FILE";
    }
    if (m.contains("No subject alternative") || m.contains("No name matching")) {
      return "the server's TLS certificate is not issued for "
          + url.host()
          + " ("
          + e.getMessage()
          + "); connect with a host name or address the certificate lists";
    }
    if (m.contains("certificate_required") || m.contains("bad_certificate")) {
      return "the server did not accept "
          + (url.tlsFiles().cert() == null
              ? "a connection without a client certificate"
              : "the client certificate " + url.tlsFiles().cert())
          + " ("
          + e.getMessage()
          + "); it has tls-auth-clients"
          + " on: give a certificate its tls-ca-cert-file trusts: rediss://…?cert=FILE&key=FILE";
    }
    if (m.contains("Unsupported or unrecognized SSL message")
        || m.contains("plaintext connection")) {
      return "the server does not speak TLS on port "
          + url.port()
          + "; use its tls-port, or redis:// for a plain port";
    }
    return "TLS failed: " + e.getMessage();
  }

  private void authenticate() throws IOException {
    char[] pw = url.password();
    if (pw == null) return;
    Object r =
        url.user() != null
            ? send("AUTH", url.user(), new String(pw))
            : send("AUTH", new String(pw));
    if (r instanceof ErrorReply e) {
      String m = e.message();
      if (m.startsWith("ERR AUTH <password> called without any password configured")) {
        return; // a password given to a server without one: harmless, as redis-cli treats it
      }
      throw new RoadieException(
          ErrorCode.FAILURE,
          url
              + " refused the credentials ("
              + m
              + "); check the user and password in the URL (or $REDISCLI_AUTH)");
    }
  }

  private static void closeQuietly(Socket s) {
    if (s == null) return;
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  public RedisUrl url() {
    return url;
  }

  public Socket socket() {
    return socket;
  }

  /** The buffered input: for reading the replication payload after SYNC. */
  public InputStream input() {
    return in;
  }

  /**
   * Sends one command and reads its reply; an error reply becomes a RoadieException naming the
   * server.
   */
  public Object call(String... args) throws IOException {
    Object r = send(args);
    if (r instanceof ErrorReply e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          url
              + ": "
              + args[0]
              + " failed: "
              + e.message()
              + (e.message().startsWith("NOAUTH")
                  ? "; give the password in the URL: redis://[USER:]PASSWORD@HOST:PORT"
                  : ""));
    }
    return r;
  }

  /** Sends one command and returns its reply, error replies included. */
  public Object send(String... args) throws IOException {
    byte[][] b = new byte[args.length][];
    for (int i = 0; i < args.length; i++) b[i] = args[i].getBytes(StandardCharsets.UTF_8);
    write(b);
    flush();
    return readReply();
  }

  /** Buffers one command (for pipelining). */
  public void write(byte[]... args) throws IOException {
    out.write('*');
    writeNumber(args.length);
    for (byte[] a : args) {
      out.write('$');
      writeNumber(a.length);
      out.write(a);
      out.write('\r');
      out.write('\n');
    }
  }

  private void writeNumber(long n) throws IOException {
    out.write(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
    out.write('\r');
    out.write('\n');
  }

  public void flush() throws IOException {
    out.flush();
  }

  /** Reads one reply: String (simple), Long, byte[] (bulk), List, null, or {@link ErrorReply}. */
  public Object readReply() throws IOException {
    int type = in.read();
    if (type < 0) throw new EOFException(url + " closed the connection");
    switch (type) {
      case '+':
        return readLine();
      case '-':
        return new ErrorReply(readLine());
      case ':':
        return Long.parseLong(readLine());
      case '$':
        {
          int len = Integer.parseInt(readLine());
          if (len < 0) return null;
          byte[] b = in.readNBytes(len);
          if (b.length < len || in.read() != '\r' || in.read() != '\n')
            throw new EOFException(url + " closed the connection");
          return b;
        }
      case '*':
        {
          int n = Integer.parseInt(readLine());
          if (n < 0) return null;
          List<Object> l = new ArrayList<>(n);
          for (int i = 0; i < n; i++) l.add(readReply());
          return l;
        }
      default:
        throw new IOException(
            url + " sent an unexpected reply (byte " + type + "); is it a Redis server?");
    }
  }

  /** Reads a CRLF-terminated line (without the CRLF). */
  public String readLine() throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\r') {
        int n = in.read();
        if (n == '\n') return b.toString();
        b.append('\r');
        if (n < 0) break;
        c = n;
      }
      b.append((char) c);
    }
    throw new EOFException(url + " closed the connection");
  }

  /** INFO SECTION parsed into name/value pairs. */
  public java.util.Map<String, String> info(String section) throws IOException {
    Object r = call("INFO", section);
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    if (r instanceof byte[] b) {
      for (String line : new String(b, StandardCharsets.UTF_8).split("\r?\n")) {
        int colon = line.indexOf(':');
        if (line.startsWith("#") || colon < 0) continue;
        m.put(line.substring(0, colon), line.substring(colon + 1));
      }
    }
    return m;
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }
}
