package dev.roadie.agent.notify;

import dev.roadie.agent.config.WebhookConfig;
import dev.roadie.core.json.Json;
import dev.roadie.core.source.Check;
import dev.roadie.core.verify.Age;
import dev.roadie.core.verify.DrillRecord;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.core.verify.VerificationRecord;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Webhook notifications: one message per target per change of state, not one per run. A target's
 * backups going from working to failing sends {@code failure}, back to working {@code recovery}; a
 * target's verifications likewise send {@code verification} when they start or stop passing, and
 * its drills of a scenario {@code drill} when they start failing or pass again. A target that keeps
 * failing sends nothing more until it recovers, so a broken schedule cannot flood a channel. The
 * first state known (from the repository at start) sends nothing; a first failure does.
 *
 * <p>Each message is posted on its own virtual thread and tried up to {@code attempts} times with a
 * doubling wait; a webhook that stays down loses the message (and says so in the log), it never
 * holds up a backup.
 */
public final class Notifier implements AutoCloseable {
  private final List<WebhookConfig> hooks;
  private final Consumer<String> log;
  private final int attempts;
  private final Duration firstWait;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();

  /**
   * The last known state of each target's backups ("backup/NAME"), verifications ("verify/NAME")
   * and drills ("drill/SCENARIO/NAME").
   */
  private final Map<String, Boolean> states = new ConcurrentHashMap<>();

  public Notifier(
      List<WebhookConfig> hooks, Consumer<String> log, int attempts, Duration firstWait) {
    this.hooks = List.copyOf(hooks);
    this.log = log;
    this.attempts = attempts;
    this.firstWait = firstWait;
  }

  public Notifier(List<WebhookConfig> hooks, Consumer<String> log) {
    this(hooks, log, 4, Duration.ofSeconds(2));
  }

  /**
   * What was known before this process started (rebuilt from run records): sets state, sends
   * nothing.
   */
  public void known(String target, boolean ok) {
    states.putIfAbsent("backup/" + target, ok);
  }

  public void knownVerification(String target, boolean passed) {
    states.putIfAbsent("verify/" + target, passed);
  }

  /** A job ended. */
  public void run(RunRecord r) {
    Boolean before = states.put("backup/" + r.target(), r.succeeded());
    if (r.succeeded() && Boolean.FALSE.equals(before)) {
      send(
          "recovery",
          r.target(),
          r.kind(),
          r.target()
              + " ("
              + r.kind()
              + "): backups work again; snapshot "
              + shortId(r.snapshot())
              + " saved",
          fields(r));
    } else if (!r.succeeded() && !Boolean.FALSE.equals(before)) {
      send(
          "failure",
          r.target(),
          r.kind(),
          r.target() + " (" + r.kind() + "): backup failed: " + r.error(),
          fields(r));
    }
  }

  /** A verification ended. */
  public void verification(VerificationRecord v) {
    Boolean before = states.put("verify/" + v.target(), v.passed());
    if (before != null && before == v.passed()) return;
    if (before == null && v.passed()) return;
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("snapshot", v.snapshot());
    f.put("result", v.result());
    f.put("finished", v.finished());
    send(
        "verification",
        v.target(),
        v.kind(),
        v.target()
            + " ("
            + v.kind()
            + "): verification of snapshot "
            + shortId(v.snapshot())
            + (v.passed() ? " passed again" : ": " + v.result().toUpperCase(java.util.Locale.ROOT)),
        f);
  }

  /**
   * What an earlier drill found (its record in the repository): sets each target's state, sends
   * nothing. Given oldest first, the newest drill of each scenario and target is what counts.
   */
  public void knownDrill(DrillRecord d) {
    for (DrillRecord.Target t : d.targets()) states.put(drillKey(d, t), t.pass());
  }

  /**
   * A drill ended: each target whose drills of this scenario start failing (or fail the first time)
   * is reported, and each that passes again after failing.
   */
  public void drill(DrillRecord d) {
    for (DrillRecord.Target t : d.targets()) {
      Boolean before = states.put(drillKey(d, t), t.pass());
      if (before != null && before == t.pass()) continue;
      if (before == null && t.pass()) continue;
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("scenario", d.scenario());
      f.put("result", t.pass() ? "pass" : "fail");
      if (t.snapshot() != null) f.put("snapshot", t.snapshot());
      f.put("rtoSeconds", t.rtoSeconds());
      if (t.rpoSeconds() != null) f.put("rpoSeconds", t.rpoSeconds());
      f.put("finished", d.finished());
      f.put("host", d.host());
      send(
          "drill",
          t.target(),
          t.kind(),
          t.target()
              + " ("
              + t.kind()
              + "): "
              + d.scenario()
              + " drill "
              + (t.pass() ? "passed again: " : "FAILED: ")
              + drillSummary(t),
          f);
    }
  }

  private static String drillKey(DrillRecord d, DrillRecord.Target t) {
    return "drill/" + d.scenario() + "/" + t.target();
  }

  /** The measured RTO and RPO against the objectives, and why a failed target failed. */
  private static String drillSummary(DrillRecord.Target t) {
    StringBuilder b =
        new StringBuilder("RTO ")
            .append(Age.text(seconds(t.rtoSeconds())))
            .append(" (objective ")
            .append(Age.text(Duration.ofSeconds(t.objective().rtoSeconds())))
            .append("), RPO ")
            .append(t.rpoSeconds() == null ? "unknown" : Age.text(seconds(t.rpoSeconds())))
            .append(" (objective ")
            .append(Age.text(Duration.ofSeconds(t.objective().rpoSeconds())))
            .append(")");
    if (!t.pass()) {
      for (Check c : t.checks()) {
        if (c.failed()) {
          b.append("; ").append(c.name()).append(": ").append(c.summary());
          break;
        }
      }
      if (!t.notes().isEmpty()) b.append("; ").append(t.notes().get(0));
    }
    return b.toString();
  }

  private static Duration seconds(double s) {
    return Duration.ofMillis(Math.round(s * 1000));
  }

  private static Map<String, Object> fields(RunRecord r) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("result", r.result());
    if (r.error() != null) f.put("error", r.error());
    if (r.snapshot() != null) f.put("snapshot", r.snapshot());
    f.put("finished", r.finished());
    f.put("host", r.host());
    return f;
  }

  private static String shortId(String id) {
    return id == null ? "-" : id.substring(0, Math.min(8, id.length()));
  }

  private void send(
      String event, String target, String kind, String text, Map<String, Object> fields) {
    for (WebhookConfig h : hooks) {
      if (!h.events().contains(event)) continue;
      Map<String, Object> body = new LinkedHashMap<>();
      if (h.format().equals("slack")) {
        body.put("text", "roadie: " + text);
      } else {
        body.put("event", event);
        body.put("target", target);
        body.put("kind", kind);
        body.put("text", text);
        body.putAll(fields);
      }
      byte[] json;
      try {
        json = Json.write(body);
      } catch (RuntimeException e) {
        log.accept("notification to " + h + " could not be encoded: " + e.getMessage());
        continue;
      }
      senders.submit(() -> deliver(h, event, target, json));
    }
  }

  private void deliver(WebhookConfig h, String event, String target, byte[] json) {
    Duration wait = firstWait;
    String last = null;
    for (int i = 1; i <= attempts; i++) {
      try {
        HttpResponse<Void> res =
            http.send(
                HttpRequest.newBuilder(h.url())
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (res.statusCode() / 100 == 2) return;
        last = "HTTP " + res.statusCode();
        // A client error other than rate limiting will not change by trying again.
        if (res.statusCode() / 100 == 4 && res.statusCode() != 429) break;
      } catch (IOException e) {
        last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (i < attempts) {
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        wait = wait.multipliedBy(2);
      }
    }
    log.accept(
        "notification '" + event + "' of " + target + " to " + h + " was not delivered: " + last);
  }

  /** Waits (up to {@code timeout}) for messages on their way. */
  @Override
  public void close() {
    senders.shutdown();
    try {
      senders.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
