package dev.roadie.postgres.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Sockets for the backup's {@code COPY} connections (pgjdbc's {@code socketFactory}): reads from
 * the server go through a {@value #BUFFER}-byte buffer. pgjdbc reads its socket 8 KiB at a time,
 * one system call each; a {@code COPY} of a large table streams hundreds of MiB, and these calls
 * cost about as much CPU as the copying (docs/decisions/0018-logical-backup-copy-path.md). A read
 * that times out leaves the buffer as it was, so pgjdbc's short timed peeks stay correct.
 */
public final class CopySocketFactory extends SocketFactory {
  static final int BUFFER = 256 * 1024;

  @Override
  public Socket createSocket() {
    return new BufferedSocket();
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return createSocket(InetAddress.getByName(host), port);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return createSocket(InetAddress.getByName(host), port, localHost, localPort);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress host, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(
        new InetSocketAddress(host, port), new InetSocketAddress(localAddress, localPort));
  }

  /** A connected socket, bound first to {@code from} unless null. */
  private static Socket connected(InetSocketAddress to, InetSocketAddress from) throws IOException {
    Socket s = new BufferedSocket();
    try {
      if (from != null) s.bind(from);
      s.connect(to);
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private static final class BufferedSocket extends Socket {
    private InputStream in;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) in = new BufferedInputStream(super.getInputStream(), BUFFER);
      return in;
    }
  }
}
