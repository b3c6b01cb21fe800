package dev.roadie.dashboard.page;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A whole HTML document around a page's body: the navigation, the stylesheet and scripts, either
 * linked (served pages, from {@code assets}) or inlined (the static report, one self-contained
 * file). The assets are in this jar; nothing is loaded from the network.
 */
public final class Layout {
  /** The files the pages use, under {@code assets/} of the handler. */
  public static final String[] ASSETS = {
    "dashboard.css", "dashboard.js", "uplot/uPlot.min.css", "uplot/uPlot.iife.min.js"
  };

  private Layout() {}

  /** An asset's bytes, or null when there is no such asset. */
  public static byte[] asset(String name) {
    boolean known = false;
    for (String a : ASSETS) known |= a.equals(name);
    if (!known) return null;
    try (InputStream in =
        Layout.class.getResourceAsStream("/dev/roadie/dashboard/assets/" + name)) {
      if (in == null)
        throw new IllegalStateException("asset " + name + " is missing from the dashboard's jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A served page. {@code assets} is the path prefix of the assets ({@code /assets/}); {@code
   * current} the navigation entry to mark ({@code overview}, {@code repository} or null).
   */
  public static String page(String title, String body, Links links, String assets, String current) {
    StringBuilder b = new StringBuilder(body.length() + 2048);
    b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(Html.esc(title))
        .append(" · roadie</title>");
    for (String css : new String[] {"uplot/uPlot.min.css", "dashboard.css"}) {
      b.append("<link rel=\"stylesheet\" href=\"").append(Html.esc(assets + css)).append("\">");
    }
    b.append("</head><body>");
    nav(b, links, current);
    b.append("<main>").append(body).append("</main>");
    for (String js : new String[] {"uplot/uPlot.iife.min.js", "dashboard.js"}) {
      b.append("<script src=\"").append(Html.esc(assets + js)).append("\"></script>");
    }
    b.append("</body></html>");
    return b.toString();
  }

  /** One self-contained document: styles and scripts inlined. */
  public static String standalone(String title, String body, Links links) {
    StringBuilder b = new StringBuilder(body.length() + 80_000);
    b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(Html.esc(title))
        .append(" · roadie</title>");
    for (String css : new String[] {"uplot/uPlot.min.css", "dashboard.css"}) {
      b.append("<style>").append(text(css)).append("</style>");
    }
    b.append("</head><body>");
    nav(b, links, "overview");
    b.append("<main>").append(body).append("</main>");
    for (String js : new String[] {"uplot/uPlot.iife.min.js", "dashboard.js"}) {
      // "</script" inside a script would end it early; neither file has one, this keeps it so.
      b.append("<script>").append(text(js).replace("</script", "<\\/script")).append("</script>");
    }
    b.append("</body></html>");
    return b.toString();
  }

  private static String text(String asset) {
    return new String(asset(asset), StandardCharsets.UTF_8);
  }

  private static void nav(StringBuilder b, Links links, String current) {
    b.append("<nav><a class=\"brand\" href=\"")
        .append(Html.esc(links.overview()))
        .append("\">roadie</a>");
    b.append("<a href=\"")
        .append(Html.esc(links.overview()))
        .append("\"")
        .append("overview".equals(current) ? " aria-current=\"page\"" : "")
        .append(">Overview</a>");
    if (links.repository() != null) {
      b.append("<a href=\"")
          .append(Html.esc(links.repository()))
          .append("\"")
          .append("repository".equals(current) ? " aria-current=\"page\"" : "")
          .append(">Repository</a>");
    }
    b.append("</nav>");
  }
}
