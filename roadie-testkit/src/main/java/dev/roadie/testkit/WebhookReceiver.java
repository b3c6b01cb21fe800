package dev.roadie.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local webhook receiver on a free port: records every body posted to {@link #url}; the first
 * {@code failFirst} requests get a 500, as a receiver that is briefly down answers.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** The bodies answered with 200, in order. */
  public final List<String> bodies = new CopyOnWriteArrayList<>();

  /** Every request, failed ones included. */
  public final AtomicInteger requests = new AtomicInteger();

  private final HttpServer server;

  public WebhookReceiver() throws IOException {
    this(0);
  }

  public WebhookReceiver(int failFirst) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/hook",
        ex -> {
          try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (requests.incrementAndGet() <= failFirst) {
              ex.sendResponseHeaders(500, -1);
              return;
            }
            bodies.add(body);
            ex.sendResponseHeaders(200, -1);
          }
        });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  /** Waits (at most 10 s) until {@code n} messages have arrived. */
  public void await(int n) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (bodies.size() < n && System.nanoTime() < deadline) Thread.sleep(10);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
