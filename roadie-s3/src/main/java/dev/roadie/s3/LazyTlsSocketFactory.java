package dev.roadie.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.apache.http.HttpHost;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;

/**
 * The https socket factory for a client whose endpoint is plain http: the Apache client builds its
 * TLS context (JSSE provider, the JDK's trust store) when the client is built, a noticeable part of
 * every command's start, even against an http endpoint (MinIO, s3proxy on a private network) where
 * no https connection is ever made (docs/decisions/0015-s3-http-client.md). This one builds the
 * JDK's default TLS factory (default trust store, hostname verification) only if an https
 * connection is ever asked for.
 */
final class LazyTlsSocketFactory implements LayeredConnectionSocketFactory {
  private volatile SSLConnectionSocketFactory tls;

  private SSLConnectionSocketFactory tls() {
    SSLConnectionSocketFactory f = tls;
    if (f == null) {
      synchronized (this) {
        f = tls;
        if (f == null) tls = f = SSLConnectionSocketFactory.getSocketFactory();
      }
    }
    return f;
  }

  @Override
  public Socket createSocket(HttpContext context) throws IOException {
    return tls().createSocket(context);
  }

  @Override
  public Socket connectSocket(
      int connectTimeout,
      Socket sock,
      HttpHost host,
      InetSocketAddress remoteAddress,
      InetSocketAddress localAddress,
      HttpContext context)
      throws IOException {
    return tls().connectSocket(connectTimeout, sock, host, remoteAddress, localAddress, context);
  }

  @Override
  public Socket createLayeredSocket(Socket socket, String target, int port, HttpContext context)
      throws IOException {
    return tls().createLayeredSocket(socket, target, port, context);
  }
}
