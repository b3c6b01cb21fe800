package dev.roadie.dashboard;

import dev.roadie.core.Redact;
import dev.roadie.dashboard.page.Layout;
import dev.roadie.dashboard.page.Links;
import dev.roadie.dashboard.page.Pages;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.TargetStatus;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The overview and every target page as one self-contained HTML document ({@code roadie report
 * --html}): styles, scripts and chart data inlined, targets as sections linked by anchors, for a
 * setup without an agent or to attach to an incident ticket. Snapshot and repository pages are not
 * in it (snapshot ids show as text).
 */
public final class StaticReport {
  private StaticReport() {}

  public static String html(DashboardStatus status) {
    Map<TargetStatus, String> anchors = new IdentityHashMap<>();
    for (int i = 0; i < status.targets().size(); i++)
      anchors.put(status.targets().get(i), "target-" + (i + 1));
    Links links =
        new Links() {
          @Override
          public String overview() {
            return "#summary";
          }

          @Override
          public String target(TargetStatus t) {
            String a = anchors.get(t);
            return a == null ? "#summary" : "#" + a;
          }

          @Override
          public String snapshot(String id) {
            return null;
          }

          @Override
          public String repository() {
            return null;
          }
        };
    Pages pages = new Pages(links);
    StringBuilder body = new StringBuilder(pages.overview(status));
    for (TargetStatus t : status.targets())
      body.append(pages.target(t, status.now(), anchors.get(t)));
    return Layout.standalone(
        "Report of " + Redact.url(status.repository()), body.toString(), links);
  }
}
