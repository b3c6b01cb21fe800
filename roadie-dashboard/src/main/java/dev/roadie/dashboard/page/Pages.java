package dev.roadie.dashboard.page;

import static dev.roadie.dashboard.page.Html.bytes;
import static dev.roadie.dashboard.page.Html.esc;
import static dev.roadie.dashboard.page.Html.time;

import dev.roadie.core.Redact;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.json.Json;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.RecoverableWindow;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.VerificationRecord;
import dev.roadie.dashboard.status.Contents;
import dev.roadie.dashboard.status.CopyLag;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.Durations;
import dev.roadie.dashboard.status.Health;
import dev.roadie.dashboard.status.RepositoryFacts;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.TargetStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dashboard's pages as HTML fragments (the body of a page; {@link Layout} wraps them). Every
 * value from the repository is escaped, and every text that may hold a URL goes through {@link
 * Redact#url}, so no secret is ever rendered.
 */
public final class Pages {
  /** Snapshots listed on a target page (the charts show all of them). */
  static final int SNAPSHOT_ROWS = 100;

  /**
   * Rows of one metadata table on a snapshot page (a database of 10,000 tables lists the first
   * ones).
   */
  static final int METADATA_ROWS = 500;

  private final Links links;

  public Pages(Links links) {
    this.links = links;
  }

  // ---- overview ----

  public String overview(DashboardStatus s) {
    StringBuilder b = new StringBuilder();
    int ok = 0, warn = 0, fail = 0, unknown = 0;
    for (TargetStatus t : s.targets()) {
      switch (t.health()) {
        case OK -> ok++;
        case WARN -> warn++;
        case FAIL -> fail++;
        case UNKNOWN -> unknown++;
      }
    }
    b.append("<section class=\"summary\" id=\"summary\">");
    b.append("<h1>Backups</h1><p class=\"where\">repository <code>")
        .append(esc(s.repository()))
        .append("</code>, read ")
        .append(esc(time(s.now())))
        .append("</p>");
    b.append("<ul class=\"counts\">")
        .append(count("fail", fail, "failing or too old"))
        .append(count("warn", warn, "late or needing a look"))
        .append(count("ok", ok, "on time"))
        .append(count("unknown", unknown, "without an expected interval"))
        .append("</ul></section>");
    problems(b, s.problems());
    if (links.running() != null || !s.running().isEmpty()) {
      b.append("<section id=\"running\"");
      if (links.running() != null)
        b.append(" data-refresh=\"").append(esc(links.running())).append("\"");
      b.append(">").append(running(s.running(), s.now())).append("</section>");
    }
    b.append("<section id=\"targets\"><h2>Targets</h2>");
    if (s.targets().isEmpty()) {
      b.append("<p>No snapshot in this repository yet.</p>");
    } else {
      b.append(
          "<div class=\"scroll\"><table class=\"targets stack\"><thead><tr><th>Target</th><th>Kind</th><th>Status</th>"
              + "<th>Last backup</th><th>Expected every</th><th>RPO now</th><th>Last verification</th><th>Last drill</th>"
              + "<th>Next run</th></tr></thead><tbody>");
      for (TargetStatus t : s.targets()) overviewRow(b, t, s.now());
      b.append("</tbody></table></div>");
    }
    b.append("</section>");
    return b.toString();
  }

  /**
   * The jobs running now, with how far each has got: the inside of the overview's {@code running}
   * section, which the page fetches again every few seconds while it is open (served pages only).
   */
  public String running(List<ScheduleProvider.RunningJob> jobs, Instant now) {
    StringBuilder b = new StringBuilder("<h2>Running now</h2>");
    if (jobs.isEmpty()) {
      return b.append("<p class=\"muted\">No job is running now.</p>").toString();
    }
    b.append(
        "<div class=\"scroll\"><table class=\"running stack\"><thead><tr><th>Target</th>"
            + "<th>Job</th><th>Running for</th><th>Progress</th></tr></thead><tbody>");
    for (ScheduleProvider.RunningJob j : jobs) {
      b.append("<tr class=\"job\" data-target=\"")
          .append(esc(Redact.url(j.target())))
          .append("\" data-bytes-read=\"")
          .append(j.bytesRead())
          .append("\" data-files=\"")
          .append(j.files())
          .append("\"><td data-label=\"Target\">")
          .append(esc(Redact.url(j.target())))
          .append("</td><td data-label=\"Job\">")
          .append(esc(j.operation()))
          .append(
              j.step() == null || j.step().isEmpty()
                  ? ""
                  : " <span class=\"muted step\">" + esc(Redact.url(j.step())) + "</span>")
          .append("</td><td data-label=\"Running for\">")
          .append(esc(Durations.words(Duration.between(j.started(), now))))
          .append("</td><td class=\"progress\" data-label=\"Progress\">");
      if (j.fraction() != null) {
        b.append("<progress max=\"1\" value=\"")
            .append(j.fraction())
            .append("\"></progress> ")
            .append(Math.round(j.fraction() * 100))
            .append("%, ");
      }
      b.append(esc(bytes(j.bytesRead()))).append(" read");
      if (j.files() > 0)
        b.append(", ").append(j.files()).append(j.files() == 1 ? " file" : " files");
      b.append("</td></tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }

  private static String count(String css, int n, String what) {
    return "<li class=\"" + css + "\"><span class=\"n\">" + n + "</span> " + what + "</li>";
  }

  private void overviewRow(StringBuilder b, TargetStatus t, Instant now) {
    b.append("<tr class=\"target ")
        .append(t.health().css())
        .append("\" data-target=\"")
        .append(esc(Redact.url(t.name())))
        .append("\" data-kind=\"")
        .append(esc(t.kind()))
        .append("\" data-health=\"")
        .append(t.health().css())
        .append("\"><td class=\"name\"><a href=\"")
        .append(esc(links.target(t)))
        .append("\">")
        .append(esc(Redact.url(t.name())))
        .append("</a>");
    for (String r : t.reasons())
      b.append("<div class=\"reason\">").append(esc(Redact.url(r))).append("</div>");
    b.append("</td><td data-label=\"Kind\">")
        .append(esc(t.kind()))
        .append("</td><td data-label=\"Status\">")
        .append(badge(t.health()))
        .append("</td>");
    SnapshotRef last = t.last();
    b.append("<td class=\"last\" data-label=\"Last backup\">");
    if (last == null) {
      b.append("never");
    } else {
      b.append("<span class=\"age\">")
          .append(esc(Durations.words(t.age())))
          .append(" ago</span><br><span class=\"muted\">")
          .append(esc(time(last.snapshot().time())))
          .append("</span>");
    }
    b.append("</td><td class=\"expected\" data-label=\"Expected every\">");
    if (t.expected() != null) {
      b.append(esc(Durations.words(t.expected().interval())))
          .append(" <span class=\"muted\">(")
          .append(esc(t.expected().source()))
          .append(")</span>");
    } else {
      b.append("–");
    }
    b.append("</td><td class=\"rpo\" data-label=\"RPO now\">")
        .append(t.rpo() == null ? "–" : esc(Durations.words(t.rpo())));
    if (t.rpoObjective() != null) {
      b.append(" <span class=\"muted\">/ ")
          .append(esc(Durations.words(t.rpoObjective())))
          .append("</span>");
    }
    b.append("</td><td class=\"verification\" data-label=\"Verified\">");
    Records.Stored<VerificationRecord> v = t.lastVerification();
    if (v == null) {
      b.append("never");
    } else {
      b.append(result(v.record().result()))
          .append(" <span class=\"muted\">")
          .append(esc(Durations.words(Duration.between(Instant.parse(v.record().finished()), now))))
          .append(" ago</span>");
    }
    b.append("</td><td class=\"drill\" data-label=\"Drill\">");
    TargetStatus.Drilled d = t.lastDrill();
    if (d == null) {
      b.append("never");
    } else {
      b.append(result(d.target().pass() ? "pass" : "fail"))
          .append(" RTO ")
          .append(esc(Html.seconds(d.target().rtoSeconds())));
      if (d.target().rpoSeconds() != null)
        b.append(", RPO ").append(esc(Html.seconds(d.target().rpoSeconds())));
      if (d.target().objective() != null) {
        b.append(" <span class=\"muted\">(objectives ")
            .append(esc(Durations.words(Duration.ofSeconds(d.target().objective().rtoSeconds()))))
            .append(" / ")
            .append(esc(Durations.words(Duration.ofSeconds(d.target().objective().rpoSeconds()))))
            .append(")</span>");
      }
    }
    b.append("</td><td class=\"next\" data-label=\"Next run\">");
    if (t.nextRun() != null) {
      b.append("in ").append(esc(Durations.words(Duration.between(now, t.nextRun()))));
    } else if (t.schedule() != null && t.schedule().expression() != null) {
      b.append(esc(t.schedule().expression()));
    } else {
      b.append("<span class=\"muted\">no schedule</span>");
    }
    b.append("</td></tr>");
  }

  static String badge(Health h) {
    String word =
        switch (h) {
          case OK -> "ok";
          case WARN -> "late";
          case FAIL -> "failing";
          case UNKNOWN -> "no interval";
        };
    return "<span class=\"badge " + h.css() + "\">" + word + "</span>";
  }

  private static String result(String r) {
    String css = "pass".equals(r) ? "ok" : "fail";
    return "<span class=\"badge " + css + "\">" + esc(r) + "</span>";
  }

  private static void problems(StringBuilder b, List<String> problems) {
    if (problems.isEmpty()) return;
    b.append("<section class=\"problems\"><h2>Could not be read</h2><ul>");
    for (String p : problems) b.append("<li>").append(esc(Redact.url(p))).append("</li>");
    b.append("</ul></section>");
  }

  // ---- target ----

  public String target(TargetStatus t, Instant now, String anchor) {
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"target-page\"")
        .append(anchor == null ? "" : " id=\"" + esc(anchor) + "\"")
        .append(" data-target=\"")
        .append(esc(Redact.url(t.name())))
        .append("\" data-health=\"")
        .append(t.health().css())
        .append("\"><h1>")
        .append(esc(Redact.url(t.name())))
        .append(" ")
        .append(badge(t.health()))
        .append("</h1>");
    for (String r : t.reasons())
      b.append("<p class=\"reason ")
          .append(t.health().css())
          .append("\">")
          .append(esc(Redact.url(r)))
          .append("</p>");
    b.append("<dl class=\"facts\">");
    fact(b, "Kind", esc(t.kind()));
    fact(b, "Snapshots", String.valueOf(t.snapshots().size()));
    SnapshotRef last = t.last();
    if (last != null) {
      fact(
          b,
          "Last backup",
          esc(time(last.snapshot().time())) + " (" + esc(Durations.words(t.age())) + " ago)");
    }
    if (t.expected() != null) {
      fact(
          b,
          "Expected every",
          esc(Durations.words(t.expected().interval())) + " (" + esc(t.expected().source()) + ")");
    }
    if (t.rpo() != null) {
      fact(
          b,
          "RPO now",
          esc(Durations.words(t.rpo()))
              + (t.rpoObjective() == null
                  ? ""
                  : " (objective " + esc(Durations.words(t.rpoObjective())) + ")"));
    }
    if (t.nextRun() != null) fact(b, "Next run", esc(time(t.nextRun())));
    b.append("</dl>");

    if (!t.windows().isEmpty()) windowBar(b, t.windows(), now);
    if (!t.snapshots().isEmpty()) {
      b.append("<h2>Backups over time</h2><div class=\"charts\">");
      List<Long> x = new ArrayList<>();
      List<Long> read = new ArrayList<>();
      List<Long> added = new ArrayList<>();
      List<Double> secs = new ArrayList<>();
      for (SnapshotRef r : t.snapshots()) {
        Snapshot.Stats st = r.snapshot().stats();
        x.add(r.time().toEpochSecond());
        read.add(st == null ? null : st.bytesRead());
        added.add(st == null ? null : st.bytesAdded());
        secs.add(st == null ? null : st.durationMillis() / 1000.0);
      }
      chart(b, "bytes-read", "Bytes read", "bytes", x, read);
      chart(b, "bytes-added", "Bytes added", "bytes", x, added);
      chart(b, "duration", "Duration", "seconds", x, secs);
      b.append("</div>");
    }
    verifications(b, t.verifications(), now);
    drills(b, t.drills());
    if (!t.snapshots().isEmpty()) {
      b.append(
          "<h2>Snapshots</h2><div class=\"scroll\"><table class=\"snapshots\"><thead><tr><th>Snapshot</th><th>Time</th>"
              + "<th>Read</th><th>Added</th><th>Duration</th><th>Host</th><th>Tags</th></tr></thead><tbody>");
      List<SnapshotRef> snaps = t.snapshots();
      for (int i = snaps.size() - 1, shown = 0; i >= 0 && shown < SNAPSHOT_ROWS; i--, shown++) {
        SnapshotRef r = snaps.get(i);
        Snapshot.Stats st = r.snapshot().stats();
        b.append("<tr data-snapshot=\"")
            .append(r.id().hex())
            .append("\"><td>")
            .append(snapshotLink(r.id().hex()))
            .append("</td><td>")
            .append(esc(time(r.snapshot().time())))
            .append("</td><td>")
            .append(st == null ? "–" : esc(bytes(st.bytesRead())))
            .append("</td><td>")
            .append(st == null ? "–" : esc(bytes(st.bytesAdded())))
            .append("</td><td>")
            .append(st == null ? "–" : esc(Html.seconds(st.durationMillis() / 1000.0)))
            .append("</td><td>")
            .append(esc(r.snapshot().host()))
            .append("</td><td>")
            .append(r.snapshot().tags() == null ? "" : esc(String.join(", ", r.snapshot().tags())))
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>");
      if (snaps.size() > SNAPSHOT_ROWS) {
        b.append("<p class=\"muted\">The newest ")
            .append(SNAPSHOT_ROWS)
            .append(" of ")
            .append(snaps.size())
            .append(" snapshots; <code>roadie snapshots --target ")
            .append(esc(RestoreCommands.quote(Redact.url(t.name()))))
            .append("</code> lists them all.</p>");
      }
      String newest = snaps.get(snaps.size() - 1).id().hex();
      if (links.snapshot(newest) == null) {
        // The static report: no snapshot pages, so no contents; the command lists them.
        b.append(
                "<p class=\"muted no-contents\">What a snapshot holds is not in this report: "
                    + "<code>roadie ls ")
            .append(newest, 0, 8)
            .append(" /</code> lists it (the agent's dashboard browses it).</p>");
      }
    }
    b.append("</section>");
    return b.toString();
  }

  private static void fact(StringBuilder b, String name, String html) {
    b.append("<dt>").append(esc(name)).append("</dt><dd>").append(html).append("</dd>");
  }

  private String snapshotLink(String id) {
    String href = links.snapshot(id);
    String text = "<code>" + esc(id.substring(0, 8)) + "</code>";
    return href == null ? text : "<a href=\"" + esc(href) + "\">" + text + "</a>";
  }

  private static void chart(
      StringBuilder b,
      String id,
      String title,
      String unit,
      List<Long> x,
      List<? extends Number> y) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("title", title);
    data.put("unit", unit);
    data.put("x", x);
    data.put("y", y);
    b.append("<figure class=\"chart\" data-chart=\"")
        .append(id)
        .append("\"><figcaption>")
        .append(esc(title))
        .append("</figcaption><div class=\"plot\"></div><script type=\"application/json\">")
        .append(
            Html.scriptJson(new String(Json.write(data), java.nio.charset.StandardCharsets.UTF_8)))
        .append("</script></figure>");
  }

  /**
   * The recoverable window of a physical PostgreSQL target as a bar from the oldest base backup's
   * window to the newest archived WAL: covered spans green, gaps between them red.
   */
  private static void windowBar(StringBuilder b, List<RecoverableWindow> windows, Instant now) {
    Instant start = null;
    Instant end = null;
    for (RecoverableWindow w : windows) {
      Instant f = Instant.parse(w.from());
      Instant t = Instant.parse(w.to());
      if (start == null || f.isBefore(start)) start = f;
      if (end == null || t.isAfter(end)) end = t;
    }
    double total = Math.max(1, Duration.between(start, end).toMillis());
    // Merge overlapping windows into covered spans; what lies between two spans is a gap.
    List<Instant[]> spans = new ArrayList<>();
    for (RecoverableWindow w : windows) {
      Instant f = Instant.parse(w.from());
      Instant t = Instant.parse(w.to());
      if (!spans.isEmpty() && !f.isAfter(spans.get(spans.size() - 1)[1])) {
        Instant[] lastSpan = spans.get(spans.size() - 1);
        if (t.isAfter(lastSpan[1])) lastSpan[1] = t;
      } else {
        spans.add(new Instant[] {f, t});
      }
    }
    b.append("<h2>Recoverable window</h2><p>Point-in-time recovery reaches from <strong>")
        .append(esc(time(start)))
        .append("</strong> to <strong>")
        .append(esc(time(end)))
        .append("</strong> (")
        .append(esc(Durations.words(Duration.between(end, now))))
        .append(" ago)");
    int gaps = spans.size() - 1;
    if (gaps > 0) b.append(", with ").append(gaps).append(gaps == 1 ? " gap" : " gaps");
    b.append(".</p><div class=\"window-bar\" role=\"img\" aria-label=\"recoverable window\">");
    Instant prevEnd = null;
    for (Instant[] sp : spans) {
      if (prevEnd != null) {
        segment(
            b,
            "gap",
            prevEnd,
            sp[0],
            start,
            total,
            "no recovery from " + time(prevEnd) + " to " + time(sp[0]));
      }
      segment(
          b,
          "covered",
          sp[0],
          sp[1],
          start,
          total,
          "recoverable from " + time(sp[0]) + " to " + time(sp[1]));
      prevEnd = sp[1];
    }
    b.append("</div><ul class=\"window-notes\">");
    for (RecoverableWindow w : windows) {
      if (w.note() != null || !w.complete()) {
        b.append("<li>base backup <code>")
            .append(esc(w.snapshot().substring(0, 8)))
            .append("</code>: ")
            .append(esc(w.note() == null ? "incomplete" : w.note()))
            .append("</li>");
      }
    }
    b.append("</ul>");
  }

  private static void segment(
      StringBuilder b,
      String css,
      Instant from,
      Instant to,
      Instant start,
      double total,
      String title) {
    double left = 100.0 * Duration.between(start, from).toMillis() / total;
    double width = Math.max(0.5, 100.0 * Duration.between(from, to).toMillis() / total);
    b.append(
        String.format(
            java.util.Locale.ROOT,
            "<span class=\"%s\" style=\"left:%.3f%%;width:%.3f%%\" title=\"%s\"></span>",
            css,
            left,
            width,
            esc(title)));
  }

  private void verifications(
      StringBuilder b, List<Records.Stored<VerificationRecord>> records, Instant now) {
    b.append("<h2>Verifications</h2>");
    if (records.isEmpty()) {
      b.append(
          "<p class=\"muted\">Never verified: <code>roadie verify</code> restores a snapshot into scratch space and "
              + "checks it.</p>");
      return;
    }
    b.append(
        "<div class=\"scroll\"><table class=\"verifications\"><thead><tr><th>Finished</th><th>Snapshot</th>"
            + "<th>Result</th><th>Checks</th></tr></thead><tbody>");
    for (int i = records.size() - 1; i >= 0; i--) {
      VerificationRecord v = records.get(i).record();
      b.append("<tr class=\"")
          .append(v.passed() ? "ok" : "fail")
          .append("\"><td>")
          .append(esc(time(v.finished())))
          .append("</td><td>")
          .append(snapshotLink(v.snapshot()))
          .append("</td><td>")
          .append(result(v.result()))
          .append("</td><td>");
      checks(b, v.checks());
      b.append("</td></tr>");
    }
    b.append("</tbody></table></div>");
  }

  private static void checks(StringBuilder b, List<Check> checks) {
    b.append("<ul class=\"checks\">");
    for (Check c : checks) {
      b.append("<li class=\"")
          .append(c.failed() ? "fail" : "ok")
          .append("\"><strong>")
          .append(esc(c.name()))
          .append("</strong> ")
          .append(esc(c.status()));
      if (c.summary() != null) b.append(": ").append(esc(Redact.url(c.summary())));
      for (int i = 0; i < Math.min(5, c.details().size()); i++) {
        b.append("<div class=\"detail\">")
            .append(esc(Redact.url(c.details().get(i))))
            .append("</div>");
      }
      b.append("</li>");
    }
    b.append("</ul>");
  }

  private void drills(StringBuilder b, List<TargetStatus.Drilled> drills) {
    b.append("<h2>Drills</h2>");
    if (drills.isEmpty()) {
      b.append(
          "<p class=\"muted\">No drill yet: <code>roadie drill</code> measures how long a recovery takes (RTO) "
              + "and how much data it loses (RPO).</p>");
      return;
    }
    b.append(
        "<div class=\"scroll\"><table class=\"drills\"><thead><tr><th>Finished</th><th>Scenario</th><th>Result</th>"
            + "<th>RTO</th><th>RPO</th><th>Objectives (RTO / RPO)</th><th>Notes</th></tr></thead><tbody>");
    for (int i = drills.size() - 1; i >= 0; i--) {
      TargetStatus.Drilled d = drills.get(i);
      DrillRecord.Target t = d.target();
      b.append("<tr class=\"")
          .append(t.pass() ? "ok" : "fail")
          .append("\"><td>")
          .append(esc(time(d.drill().finished())))
          .append("</td><td>")
          .append(esc(d.drill().scenario()))
          .append("</td><td>")
          .append(result(t.pass() ? "pass" : "fail"))
          .append("</td><td>")
          .append(esc(Html.seconds(t.rtoSeconds())))
          .append("</td><td>")
          .append(t.rpoSeconds() == null ? "–" : esc(Html.seconds(t.rpoSeconds())))
          .append("</td><td>");
      if (t.objective() != null) {
        b.append(esc(Durations.words(Duration.ofSeconds(t.objective().rtoSeconds()))))
            .append(" / ")
            .append(esc(Durations.words(Duration.ofSeconds(t.objective().rpoSeconds()))));
      }
      b.append("</td><td>")
          .append(esc(Redact.url(String.join("; ", t.notes()))))
          .append("</td></tr>");
    }
    b.append("</tbody></table></div>");
  }

  // ---- snapshot ----

  public String snapshot(DashboardStatus s, SnapshotRef ref) {
    Snapshot sn = ref.snapshot();
    TargetStatus t = s.target(sn.kind(), sn.target());
    RecoverableWindow window = null;
    if (t != null) {
      for (RecoverableWindow w : t.windows()) {
        if (w.snapshot().equals(ref.id().hex())) window = w;
      }
    }
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"snapshot-page\" data-snapshot=\"")
        .append(ref.id().hex())
        .append("\"><h1>Snapshot <code>")
        .append(ref.id().shortHex())
        .append("</code></h1><dl class=\"facts\">");
    fact(b, "Id", "<code>" + ref.id().hex() + "</code>");
    fact(
        b,
        "Target",
        t == null
            ? esc(Redact.url(sn.target()))
            : "<a href=\"" + esc(links.target(t)) + "\">" + esc(Redact.url(sn.target())) + "</a>");
    fact(b, "Kind", esc(sn.kind()));
    fact(b, "Time", esc(time(sn.time())));
    fact(b, "Summary", esc(Redact.url(Sources.summary(sn))));
    if (sn.stats() != null) {
      fact(b, "Read", esc(bytes(sn.stats().bytesRead())));
      fact(b, "Added to the repository", esc(bytes(sn.stats().bytesAdded())));
      fact(b, "Duration", esc(Html.seconds(sn.stats().durationMillis() / 1000.0)));
    }
    fact(b, "Host", esc(sn.host()) + (sn.user() == null ? "" : " (" + esc(sn.user()) + ")"));
    if (sn.paths() != null && !sn.paths().isEmpty())
      fact(b, "Paths", esc(Redact.url(String.join(", ", sn.paths()))));
    if (sn.tags() != null && !sn.tags().isEmpty())
      fact(b, "Tags", esc(String.join(", ", sn.tags())));
    if (sn.parent() != null) fact(b, "Parent", snapshotLink(sn.parent()));
    if (window != null) {
      fact(
          b,
          "Recoverable",
          "from "
              + esc(time(window.from()))
              + " to "
              + esc(time(window.to()))
              + (window.note() == null ? "" : " (" + esc(window.note()) + ")"));
    }
    b.append("</dl>");

    b.append(
        "<h2>Restore</h2><p class=\"muted\">With the repository's password in <code>ROADIE_PASSWORD_FILE</code> "
            + "(or <code>ROADIE_PASSWORD</code>), as for every command.</p><ol class=\"restore-commands\">");
    for (RestoreCommands.Command c : RestoreCommands.of(s.repository(), ref, window)) {
      b.append("<li><div class=\"what\">")
          .append(esc(c.title()))
          .append("</div><div class=\"cmd\"><pre><code>")
          .append(esc(c.line()))
          .append("</code></pre><button type=\"button\" class=\"copy\">Copy</button></div>");
      if (c.note() != null)
        b.append("<div class=\"muted\">").append(esc(Redact.url(c.note()))).append("</div>");
      b.append("</li>");
    }
    b.append("</ol>");

    b.append("<h2>Recorded by the backup</h2>");
    metadata(b, sn);
    if (t != null) {
      List<Records.Stored<VerificationRecord>> mine = new ArrayList<>();
      for (Records.Stored<VerificationRecord> v : t.verifications()) {
        if (ref.id().hex().equals(v.record().snapshot())) mine.add(v);
      }
      verifications(b, mine, s.now());
    }
    b.append("</section>");
    return b.toString();
  }

  /**
   * What a snapshot holds below a path, one page of it ({@link Contents}): a path bar whose parts
   * link up, containers (directories, prefixes, databases, namespaces, kinds) linking down, and
   * links to the pages before and after. Only names and what {@code roadie ls -l} shows are
   * rendered, never content: a Kubernetes Secret is a name here, its data is not read.
   *
   * @param heading whether this is a page of its own (with a heading and a link back) rather than a
   *     section of the snapshot page
   */
  public String contents(SnapshotRef ref, Contents c, boolean heading) {
    String id = ref.id().hex();
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"contents\" data-snapshot=\"")
        .append(id)
        .append("\" data-path=\"")
        .append(esc(Redact.url(c.path())))
        .append("\">");
    if (heading) {
      b.append("<h1>Snapshot ")
          .append(snapshotLink(id))
          .append(": contents</h1><p class=\"muted\">")
          .append(esc(Redact.url(ref.snapshot().target())))
          .append(", ")
          .append(esc(ref.snapshot().kind()))
          .append(", ")
          .append(esc(time(ref.snapshot().time())))
          .append("</p>");
    } else {
      b.append("<h2>Contents</h2>");
    }
    b.append("<p class=\"path\"><a href=\"")
        .append(esc(links.contents(id, "", 0)))
        .append("\">")
        .append(esc(ref.id().shortHex()))
        .append("</a>");
    String[] parts = c.path().split("/");
    StringBuilder at = new StringBuilder();
    for (String part : parts) {
      if (part.isEmpty()) continue;
      at.append(part).append('/');
      b.append(" / <a href=\"")
          .append(esc(links.contents(id, at.toString(), 0)))
          .append("\">")
          .append(esc(Redact.url(part)))
          .append("</a>");
    }
    b.append("</p>");
    if (c.entries().isEmpty()) {
      b.append(
          c.from() > 0
              ? "<p class=\"muted\">Nothing more here.</p>"
              : "<p class=\"muted\">Nothing here.</p>");
    } else {
      b.append(
          "<div class=\"scroll\"><table class=\"entries\"><thead><tr><th>Name</th><th>Type</th>"
              + "<th>Size</th><th>Modified</th><th>Details</th></tr></thead><tbody>");
      for (Entry e : c.entries()) {
        b.append("<tr data-path=\"")
            .append(esc(Redact.url(e.path())))
            .append("\" data-type=\"")
            .append(esc(e.type()))
            .append("\"><td class=\"name\">");
        String name = esc(Redact.url(e.name()));
        if (e.container()) {
          b.append("<a href=\"")
              .append(esc(links.contents(id, e.path(), 0)))
              .append("\">")
              .append(name)
              .append("</a>");
        } else {
          b.append(name);
        }
        b.append("</td><td>")
            .append(esc(e.type()))
            .append("</td><td class=\"num\">")
            .append(e.size() == null ? "" : esc(bytes(e.size())))
            .append("</td><td>")
            .append(e.mtime() == null ? "" : esc(time(e.mtime())))
            .append("</td><td class=\"details\">")
            .append(esc(cellText(e.details())))
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    long to = c.from() + c.entries().size();
    if (c.from() > 0 || c.more()) {
      b.append("<p class=\"pages\">");
      if (c.from() > 0) {
        b.append("<a rel=\"prev\" href=\"")
            .append(esc(links.contents(id, c.path(), Math.max(0, c.from() - Contents.PAGE))))
            .append("\">previous ")
            .append(Contents.PAGE)
            .append("</a> ");
      }
      b.append("<span class=\"muted\">entries ")
          .append(c.entries().isEmpty() ? c.from() : c.from() + 1)
          .append("–")
          .append(to)
          .append("</span>");
      if (c.more()) {
        b.append(" <a rel=\"next\" href=\"")
            .append(esc(links.contents(id, c.path(), to)))
            .append("\">next ")
            .append(Contents.PAGE)
            .append("</a>");
      }
      b.append("</p>");
    }
    b.append("<p class=\"muted\">The same listing on the command line: <code>roadie ls ")
        .append(esc(ref.id().shortHex()))
        .append(" ")
        .append(c.path().isEmpty() ? "/" : esc(RestoreCommands.quote(Redact.url(c.path()))))
        .append(" -l</code></p></section>");
    return b.toString();
  }

  /**
   * The source's metadata, read through the kind's own record ({@link SourceMetadata}) so only the
   * fields the source defines show: scalars as a list, a map of records (rows per table, keys per
   * database) as a table, a map of numbers (objects per kind) as a two-column table.
   */
  private static void metadata(StringBuilder b, Snapshot sn) {
    Map<String, Object> m;
    try {
      m =
          SourceMetadata.toMap(
              SourceMetadata.of(sn, Sources.forKind(sn.kind()).metadataType(sn.kind())));
    } catch (RuntimeException e) {
      m = sn.source() == null ? Map.of() : sn.source();
    }
    if (m.isEmpty()) {
      b.append("<p class=\"muted\">Nothing beyond the files themselves.</p>");
      return;
    }
    b.append("<dl class=\"facts metadata\">");
    List<Map.Entry<String, Object>> tables = new ArrayList<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      Object v = e.getValue();
      if (v == null) continue;
      if (v instanceof Map<?, ?>
          || (v instanceof Collection<?> c
              && c.stream().anyMatch(x -> x instanceof Map<?, ?> || x instanceof Collection<?>))) {
        tables.add(e);
      } else if (v instanceof Collection<?> c && c.isEmpty()) {
        continue;
      } else if (v instanceof Collection<?> c) {
        fact(
            b,
            e.getKey(),
            esc(Redact.url(String.join(", ", c.stream().map(String::valueOf).toList()))));
      } else {
        fact(b, e.getKey(), esc(Redact.url(v.toString())));
      }
    }
    b.append("</dl>");
    for (Map.Entry<String, Object> e : tables) {
      b.append("<h3>").append(esc(e.getKey())).append("</h3>");
      if (e.getValue() instanceof Map<?, ?> map) {
        mapTable(b, e.getKey(), map);
      } else {
        b.append("<pre class=\"json\">")
            .append(
                esc(
                    Redact.url(
                        abbreviate(
                            new String(
                                Json.write(e.getValue()),
                                java.nio.charset.StandardCharsets.UTF_8)))))
            .append("</pre>");
      }
    }
  }

  private static void mapTable(StringBuilder b, String name, Map<?, ?> map) {
    Set<String> columns = new LinkedHashSet<>();
    boolean records = !map.isEmpty() && map.values().stream().allMatch(v -> v instanceof Map<?, ?>);
    if (records) {
      for (Object v : map.values())
        for (Object k : ((Map<?, ?>) v).keySet()) columns.add(String.valueOf(k));
    } else {
      columns.add("value");
    }
    b.append("<div class=\"scroll\"><table class=\"metadata-table\" data-field=\"")
        .append(esc(name))
        .append("\"><thead><tr><th>name</th>");
    for (String c : columns) b.append("<th>").append(esc(c)).append("</th>");
    b.append("</tr></thead><tbody>");
    int rows = 0;
    for (Map.Entry<?, ?> row : map.entrySet()) {
      if (rows++ == METADATA_ROWS) break;
      b.append("<tr><td>").append(esc(Redact.url(String.valueOf(row.getKey())))).append("</td>");
      for (String c : columns) {
        Object cell = records ? ((Map<?, ?>) row.getValue()).get(c) : row.getValue();
        b.append("<td class=\"")
            .append(cell instanceof Number ? "num" : "")
            .append("\">")
            .append(esc(cellText(cell)))
            .append("</td>");
      }
      b.append("</tr>");
    }
    b.append("</tbody></table></div>");
    if (map.size() > METADATA_ROWS) {
      b.append("<p class=\"muted\">The first ")
          .append(METADATA_ROWS)
          .append(" of ")
          .append(map.size())
          .append(".</p>");
    }
  }

  private static String cellText(Object cell) {
    if (cell == null) return "";
    if (cell instanceof Map<?, ?> m) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<?, ?> e : m.entrySet()) parts.add(e.getKey() + " " + e.getValue());
      return Redact.url(String.join(", ", parts));
    }
    return Redact.url(cell.toString());
  }

  private static String abbreviate(String s) {
    return s.length() <= 4000 ? s : s.substring(0, 4000) + " …";
  }

  // ---- repository ----

  public String repository(RepositoryFacts r, Instant now) {
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"repository-page\"><h1>Repository</h1><dl class=\"facts\">");
    fact(b, "Location", "<code>" + esc(r.location()) + "</code>");
    fact(b, "Id", "<code>" + esc(r.id()) + "</code> (format version " + r.formatVersion() + ")");
    fact(
        b,
        "Stored",
        esc(bytes(r.storedBytes()))
            + " in "
            + r.objectsByKind().getOrDefault("data", 0L)
            + " packs, "
            + r.objectsByKind().getOrDefault("index", 0L)
            + " index files");
    fact(
        b,
        "Snapshots",
        r.snapshots() + ", holding " + esc(bytes(r.sourceBytes())) + " of source data");
    fact(
        b,
        "Deduplication",
        String.format(java.util.Locale.ROOT, "%.2fx", r.deduplicationRatio())
            + " <span class=\"muted\">(source bytes of all snapshots / stored bytes)</span>");
    b.append(
        "</dl><h2>Stored, by kind of object</h2><div class=\"scroll\"><table class=\"stored\"><thead><tr>"
            + "<th>Directory</th><th>Objects</th><th>Bytes</th></tr></thead><tbody>");
    for (Map.Entry<String, Long> e : r.storedBytesByKind().entrySet()) {
      b.append("<tr data-dir=\"")
          .append(esc(e.getKey()))
          .append("\"><td>")
          .append(esc(e.getKey()))
          .append("/</td><td class=\"num\">")
          .append(r.objectsByKind().getOrDefault(e.getKey(), 0L))
          .append("</td><td class=\"num\">")
          .append(esc(bytes(e.getValue())))
          .append("</td></tr>");
    }
    b.append("</tbody></table></div>");
    b.append("<h2>Leases (writers running now)</h2>");
    if (r.leases().isEmpty()) {
      b.append("<p class=\"muted\">None: no backup or other writer is running.</p>");
    } else {
      b.append(
          "<div class=\"scroll\"><table class=\"leases\"><thead><tr><th>Operation</th><th>Host</th><th>PID</th>"
              + "<th>Started</th><th>Refreshed</th><th>State</th></tr></thead><tbody>");
      for (RepositoryFacts.LeaseInfo l : r.leases()) {
        b.append("<tr><td>")
            .append(esc(l.operation()))
            .append("</td><td>")
            .append(esc(l.host()))
            .append("</td><td>")
            .append(l.pid())
            .append("</td><td>")
            .append(esc(time(l.started())))
            .append("</td><td>")
            .append(esc(Durations.words(Duration.between(l.refreshed(), now))))
            .append(" ago</td><td>")
            .append(
                l.fresh()
                    ? "<span class=\"badge ok\">running</span>"
                    : "<span class=\"badge warn\">lapsed</span> <span class=\"muted\">(its writer stopped or paused)</span>")
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    b.append("<h2>Prune plans</h2>");
    if (r.plans().isEmpty()) {
      b.append("<p class=\"muted\">None: prune has nothing waiting to be deleted.</p>");
    } else {
      b.append(
          "<div class=\"scroll\"><table class=\"plans\"><thead><tr><th>Plan</th><th>Created</th><th>Packs</th>"
              + "<th>Snapshots</th><th>Deletable from</th></tr></thead><tbody>");
      for (RepositoryFacts.PlanInfo p : r.plans()) {
        b.append("<tr><td><code>")
            .append(esc(p.id().substring(0, 8)))
            .append("</code></td><td>")
            .append(esc(time(p.created())))
            .append("</td><td class=\"num\">")
            .append(p.packs())
            .append("</td><td class=\"num\">")
            .append(p.snapshots())
            .append("</td><td>")
            .append(esc(time(p.deletableFrom())))
            .append(
                " <span class=\"muted\">(with the default grace period, once no older writer holds a lease)</span></td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    copyLag(b, r.copyLag(), now);
    problems(b, r.problems());
    b.append("</section>");
    return b.toString();
  }

  /**
   * The second region's copy: per copied target, its newest snapshot here and the newest copy of it
   * there, with how far the copy is behind.
   */
  private static void copyLag(StringBuilder b, CopyLag lag, Instant now) {
    b.append("<h2>Second region</h2>");
    if (lag == null) {
      b.append(
          "<p class=\"muted\">No second region known: the agent's config names it "
              + "(<code>secondRegion</code>, with <code>copy: true</code> on a target).</p>");
      return;
    }
    b.append("<p class=\"where\">copies go to <code>")
        .append(esc(Redact.url(lag.location())))
        .append("</code></p>");
    if (lag.targets().isEmpty() && lag.problems().isEmpty()) {
      b.append("<p class=\"muted\">No copied target has a snapshot yet.</p>");
    }
    if (!lag.targets().isEmpty()) {
      b.append(
          "<div class=\"scroll\"><table class=\"copy-lag stack\"><thead><tr><th>Target</th><th>Kind</th>"
              + "<th>Newest here</th><th>Newest in the second region</th><th>Behind by</th></tr></thead><tbody>");
      for (CopyLag.Target t : lag.targets()) {
        Duration behind = t.behind();
        String css = behind == null ? "fail" : t.copied() ? "ok" : "warn";
        b.append("<tr class=\"")
            .append(css)
            .append("\" data-target=\"")
            .append(esc(Redact.url(t.name())))
            .append("\" data-kind=\"")
            .append(esc(t.kind()))
            .append("\" data-newest=\"")
            .append(t.newest())
            .append("\" data-newest-copy=\"")
            .append(t.newestCopy() == null ? "" : t.newestCopy().toString())
            .append("\" data-behind-seconds=\"")
            .append(behind == null ? "" : String.valueOf(behind.toSeconds()))
            .append("\"><td data-label=\"Target\">")
            .append(esc(Redact.url(t.name())))
            .append("</td><td data-label=\"Kind\">")
            .append(esc(t.kind()))
            .append("</td><td data-label=\"Newest here\">")
            .append(esc(time(t.newest())))
            .append(" <span class=\"muted\">(")
            .append(esc(Durations.words(Duration.between(t.newest(), now))))
            .append(" ago)</span></td><td data-label=\"Second region\">");
        if (t.newestCopy() == null) {
          b.append("none");
        } else {
          b.append(esc(time(t.newestCopy())))
              .append(" <span class=\"muted\">(")
              .append(esc(Durations.words(Duration.between(t.newestCopy(), now))))
              .append(" ago)</span>");
        }
        b.append("</td><td class=\"behind\" data-label=\"Behind by\">");
        if (behind == null) {
          b.append("<span class=\"badge fail\">never copied</span>");
        } else if (t.copied()) {
          b.append("<span class=\"badge ok\">up to date</span>");
        } else {
          b.append("<span class=\"badge warn\">")
              .append(esc(Durations.words(behind)))
              .append("</span>");
        }
        b.append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    for (String p : lag.problems())
      b.append("<p class=\"reason fail\">")
          .append(esc(Redact.url(lag.location() + ": " + p)))
          .append("</p>");
  }
}
