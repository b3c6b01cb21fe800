package dev.roadie.s3;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ssl.SSLException;
import org.apache.http.HttpHost;
import org.apache.http.protocol.BasicHttpContext;
import org.junit.jupiter.api.Test;

/**
 * Built lazily, the https factory is still a TLS one: it never talks plain text on an https route.
 */
class LazyTlsSocketFactoryTest {
  @Test
  void httpsConnectionsStillNegotiateTls() throws IOException {
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread server =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (Socket s = plain.accept()) {
                      s.getOutputStream().write("HTTP/1.1 200 OK\r\n\r\n".getBytes());
                    } catch (IOException ignored) {
                      // the client gave up: fine
                    }
                  });
      LazyTlsSocketFactory f = new LazyTlsSocketFactory();
      BasicHttpContext ctx = new BasicHttpContext();
      HttpHost host = new HttpHost("localhost", plain.getLocalPort(), "https");
      Socket sock = f.createSocket(ctx);
      // The TLS handshake fails against a server answering in plain text.
      assertThrows(
          SSLException.class,
          () ->
              f.connectSocket(
                      2000,
                      sock,
                      host,
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), plain.getLocalPort()),
                      null,
                      ctx)
                  .close());
      sock.close();
      server.interrupt();
    }
  }
}
