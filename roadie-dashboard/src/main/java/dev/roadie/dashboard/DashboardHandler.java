package dev.roadie.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.roadie.core.Redact;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.dashboard.page.Layout;
import dev.roadie.dashboard.page.Links;
import dev.roadie.dashboard.page.Pages;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.StatusReader;
import dev.roadie.dashboard.status.TargetStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's pages, read-only, for a {@link com.sun.net.httpserver.HttpServer}: {@code
 * server.createContext("/", new DashboardHandler(reader))} (any context path works; links are made
 * relative to it). Routes below the context:
 *
 * <ul>
 *   <li>{@code /} the overview; {@code /target?kind=K&name=N} a target; {@code /snapshot/ID} a
 *       snapshot; {@code /repository} the repository;
 *   <li>{@code /assets/…} the stylesheet, the script and uPlot, from this jar.
 * </ul>
 *
 * Only GET and HEAD; anything else is 405. Access control (loopback, bearer token) is the server's:
 * wrap this handler or add a {@link com.sun.net.httpserver.Filter} to its context. Errors are shown
 * without secrets (URLs redacted).
 */
public final class DashboardHandler implements HttpHandler {
  private final StatusReader reader;

  public DashboardHandler(StatusReader reader) {
    this.reader = reader;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        send(
            ex,
            405,
            "text/plain; charset=utf-8",
            "the dashboard is read-only\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String context = ex.getHttpContext().getPath();
      String base = context.endsWith("/") ? context : context + "/";
      String path = ex.getRequestURI().getPath();
      String rel = path.length() >= base.length() ? path.substring(base.length()) : "";
      if (path.equals(context) && !context.endsWith("/")) rel = "";
      try {
        route(ex, base, rel);
      } catch (IOException | RuntimeException e) {
        String msg =
            "roadie dashboard: the repository could not be read: "
                + Redact.url(String.valueOf(e.getMessage()));
        send(ex, 500, "text/plain; charset=utf-8", (msg + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private void route(HttpExchange ex, String base, String rel) throws IOException {
    Links links = links(base);
    Pages pages = new Pages(links);
    if (rel.startsWith("assets/")) {
      byte[] body = Layout.asset(rel.substring("assets/".length()));
      if (body == null) {
        notFound(ex, links, "no such asset");
        return;
      }
      ex.getResponseHeaders().set("Cache-Control", "max-age=3600");
      send(
          ex,
          200,
          rel.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
          body);
      return;
    }
    switch (rel) {
      case "", "index.html" -> {
        DashboardStatus s = reader.read();
        html(
            ex,
            200,
            Layout.page("Overview", pages.overview(s), links, base + "assets/", "overview"));
      }
      case "repository" ->
          html(
              ex,
              200,
              Layout.page(
                  "Repository",
                  pages.repository(reader.repositoryFacts(), java.time.Instant.now()),
                  links,
                  base + "assets/",
                  "repository"));
      case "target" -> {
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        DashboardStatus s = reader.read();
        TargetStatus t = s.target(q.getOrDefault("kind", ""), q.getOrDefault("name", ""));
        if (t == null) {
          notFound(ex, links, "no target of that kind and name in this repository");
          return;
        }
        html(
            ex,
            200,
            Layout.page(
                Redact.url(t.name()),
                pages.target(t, s.now(), null),
                links,
                base + "assets/",
                null));
      }
      default -> {
        if (rel.startsWith("snapshot/")) {
          String id = rel.substring("snapshot/".length());
          DashboardStatus s = reader.read();
          SnapshotRef ref = id.matches("[0-9a-f]{64}") ? s.snapshots().get(id) : null;
          if (ref == null) {
            notFound(
                ex,
                links,
                "no snapshot " + id.replaceAll("[^0-9a-zA-Z]", "") + " in this repository");
            return;
          }
          html(
              ex,
              200,
              Layout.page(
                  "Snapshot " + id.substring(0, 8),
                  pages.snapshot(s, ref),
                  links,
                  base + "assets/",
                  null));
        } else {
          notFound(ex, links, "no such page");
        }
      }
    }
  }

  /** Links between served pages, below {@code base} (the context path with a trailing slash). */
  static Links links(String base) {
    return new Links() {
      @Override
      public String overview() {
        return base;
      }

      @Override
      public String target(TargetStatus t) {
        return base + "target?kind=" + enc(t.kind()) + "&name=" + enc(Redact.url(t.name()));
      }

      @Override
      public String snapshot(String id) {
        return id == null || !id.matches("[0-9a-f]{64}") ? null : base + "snapshot/" + id;
      }

      @Override
      public String repository() {
        return base + "repository";
      }
    };
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) return out;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) continue;
      out.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static void notFound(HttpExchange ex, Links links, String what) throws IOException {
    html(
        ex,
        404,
        Layout.page(
            "Not found",
            "<h1>Not found</h1><p>"
                + what.replace("<", "&lt;")
                + ".</p><p><a href=\""
                + links.overview()
                + "\">Back to the overview</a></p>",
            links,
            links.overview() + "assets/",
            null));
  }

  private static void html(HttpExchange ex, int status, String page) throws IOException {
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    // Everything the pages use comes from this handler; the chart data are JSON blocks, not
    // scripts.
    ex.getResponseHeaders()
        .set(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                + "connect-src 'none'; frame-ancestors 'none'");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    send(ex, status, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
