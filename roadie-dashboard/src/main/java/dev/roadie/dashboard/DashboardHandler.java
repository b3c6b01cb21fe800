package dev.roadie.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Redact;
import dev.roadie.core.RoadieException;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.dashboard.page.Layout;
import dev.roadie.dashboard.page.Links;
import dev.roadie.dashboard.page.Pages;
import dev.roadie.dashboard.status.Contents;
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
 *       snapshot; {@code /snapshot/ID/contents?path=P&from=N} a page of what it holds below a path
 *       (as {@code roadie ls}); {@code /repository} the repository;
 *   <li>{@code /running} the overview's running jobs alone, fetched again by the overview while it
 *       is open;
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
      case "running" -> {
        // The overview's running jobs, fetched again by the page while it is open.
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(
            ex,
            200,
            "text/html; charset=utf-8",
            pages
                .running(reader.running(), java.time.Instant.now())
                .getBytes(StandardCharsets.UTF_8));
      }
      default -> {
        if (rel.startsWith("snapshot/")) {
          snapshot(ex, links, pages, base, rel.substring("snapshot/".length()));
        } else {
          notFound(ex, links, "no such page");
        }
      }
    }
  }

  /**
   * {@code snapshot/ID}: the snapshot page; {@code snapshot/ID/contents?path=P&from=N}: a listing.
   */
  private void snapshot(HttpExchange ex, Links links, Pages pages, String base, String rest)
      throws IOException {
    boolean contents = rest.endsWith("/contents");
    String id = contents ? rest.substring(0, rest.length() - "/contents".length()) : rest;
    DashboardStatus s = reader.read();
    SnapshotRef ref = id.matches("[0-9a-f]{64}") ? s.snapshots().get(id) : null;
    if (ref == null) {
      notFound(
          ex, links, "no snapshot " + id.replaceAll("[^0-9a-zA-Z]", "") + " in this repository");
      return;
    }
    if (contents) {
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      long from;
      try {
        from = Math.max(0, Long.parseLong(q.getOrDefault("from", "0")));
      } catch (NumberFormatException e) {
        from = 0;
      }
      Contents page;
      try {
        page = Contents.read(reader.repository(), ref, q.getOrDefault("path", ""), from);
      } catch (RoadieException e) {
        if (e.code() != ErrorCode.USAGE) throw e;
        notFound(ex, links, Redact.url(e.getMessage()));
        return;
      }
      html(
          ex,
          200,
          Layout.page(
              "Snapshot " + ref.id().shortHex() + " contents",
              pages.contents(ref, page, true),
              links,
              base + "assets/",
              null));
      return;
    }
    StringBuilder body = new StringBuilder(pages.snapshot(s, ref));
    try {
      body.append(pages.contents(ref, Contents.read(reader.repository(), ref, "", 0), false));
    } catch (IOException | RuntimeException e) {
      body.append("<section class=\"problems\"><h2>Contents</h2><p>Could not be listed: ")
          .append(
              Redact.url(String.valueOf(e.getMessage())).replace("&", "&amp;").replace("<", "&lt;"))
          .append("</p></section>");
    }
    html(
        ex,
        200,
        Layout.page(
            "Snapshot " + ref.id().shortHex(), body.toString(), links, base + "assets/", null));
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

      @Override
      public String contents(String id, String path, long from) {
        String s = snapshot(id);
        if (s == null) return null;
        StringBuilder q = new StringBuilder(s).append("/contents");
        String sep = "?";
        if (path != null && !path.isEmpty()) {
          q.append(sep).append("path=").append(enc(path));
          sep = "&";
        }
        if (from > 0) q.append(sep).append("from=").append(from);
        return q.toString();
      }

      @Override
      public String running() {
        return base + "running";
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
                + "connect-src 'self'; frame-ancestors 'none'");
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
