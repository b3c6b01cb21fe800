package dev.roadie.agent.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The agent's HTTP server (the JDK's {@code com.sun.net.httpserver}):
 *
 * <ul>
 *   <li>{@code /healthz}: 200 while the process serves requests;
 *   <li>{@code /readyz}: 200 when the repository is reachable, 503 otherwise;
 *   <li>{@code /metrics}: the Prometheus metrics;
 *   <li>{@code /api/v1/status}: the targets, their last and next runs and RPO, as JSON;
 *   <li>{@code /}: the dashboard, when one is mounted ({@link #mount}).
 * </ul>
 *
 * Bound to loopback by default, where every page is open. On any other address, everything but
 * {@code /healthz}, {@code /readyz} and {@code /metrics} needs {@code Authorization: Bearer TOKEN}
 * with the token from the config's {@code tokenFile}.
 */
public final class AgentHttp implements AutoCloseable {
  private final HttpServer server;
  private final byte[] token;

  /**
   * @param metrics writes the metrics' text exposition
   * @param ready whether the repository is reachable now
   * @param status the status document
   */
  public AgentHttp(
      AgentConfig.Listen listen,
      byte[] token,
      MetricsWriter metrics,
      BooleanSupplier ready,
      Supplier<Object> status)
      throws IOException {
    if (!listen.loopback() && token == null) {
      throw new IllegalArgumentException("a listener on " + listen + " needs a bearer token");
    }
    this.token = listen.loopback() ? null : token.clone();
    server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/healthz", open(ex -> reply(ex, 200, "text/plain", "ok\n")));
    server.createContext(
        "/readyz",
        open(
            ex -> {
              boolean ok = ready.getAsBoolean();
              reply(
                  ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "repository not reachable\n");
            }));
    server.createContext(
        "/metrics",
        open(
            ex -> {
              ex.getResponseHeaders()
                  .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
              ex.sendResponseHeaders(200, 0);
              try (OutputStream out = ex.getResponseBody()) {
                metrics.write(out);
              }
            }));
    server.createContext(
        "/api/v1/status",
        guarded(ex -> reply(ex, 200, "application/json", Json.writePretty(status.get()) + "\n")));
    server.createContext(
        "/",
        guarded(
            ex ->
                reply(
                    ex,
                    404,
                    "text/plain",
                    "not found: "
                        + ex.getRequestURI().getPath()
                        + " (the agent serves /healthz, /readyz, /metrics and /api/v1/status)\n")));
  }

  /** Writes the metrics in Prometheus' text format. */
  public interface MetricsWriter {
    void write(OutputStream out) throws IOException;
  }

  /** Mounts the dashboard at {@code /} (behind the token, as the API). */
  public void mount(HttpHandler dashboard) {
    server.removeContext("/");
    server.createContext("/", guarded(dashboard));
  }

  public void start() {
    server.start();
  }

  /** The port it listens on (the configured one, or the one chosen for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static HttpHandler open(HttpHandler h) {
    return ex -> {
      try (ex) {
        if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
          reply(ex, 405, "text/plain", "only GET\n");
          return;
        }
        h.handle(ex);
      }
    };
  }

  private HttpHandler guarded(HttpHandler h) {
    return open(
        ex -> {
          if (token != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            reply(
                ex,
                401,
                "text/plain",
                "this page needs Authorization: Bearer TOKEN (the agent's tokenFile)\n");
            return;
          }
          h.handle(ex);
        });
  }

  private boolean authorized(String header) {
    if (header == null || !header.startsWith("Bearer ")) return false;
    byte[] given = header.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
  }

  private static void reply(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
