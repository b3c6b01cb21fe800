package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus/roadie-rules.yaml: valid for Prometheus ({@code promtool check rules}), firing
 * when and only when its unit tests say ({@code promtool test rules}: each alert against a target
 * that must alert and one that must not), and every alert leads to a runbook that exists. promtool
 * comes with Debian's prometheus package, which scripts/test installs.
 */
class PrometheusRulesTest {
  static final Path SOURCE = Path.of("").toAbsolutePath().getParent();
  static final Path RULES = SOURCE.resolve("deploy/prometheus/roadie-rules.yaml");
  static final List<String> ALERTS =
      List.of(
          "BackupJobFailed",
          "BackupTooOld",
          "BackupSizeDrop",
          "VerificationFailed",
          "VerificationTooOld",
          "RPOAboveTarget",
          "DrillMissedTarget",
          "WALArchivingStalled");

  @Test
  void rulesAreValidAndTheirUnitTestsPass() throws Exception {
    assertEquals("", promtool("check", "rules", RULES.toString()).error());
    Result tests =
        promtool(
            "test", "rules", SOURCE.resolve("deploy/prometheus/roadie-rules.test.yaml").toString());
    assertEquals("", tests.error(), tests.output());
  }

  @Test
  void everyAlertHasARunbookThatExists() throws IOException {
    String rules = Files.readString(RULES);
    List<String> alerts = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\S+)$").matcher(rules);
    while (m.find()) alerts.add(m.group(1));
    assertEquals(ALERTS, alerts);
    List<String> runbooks = new ArrayList<>();
    Matcher r = Pattern.compile("runbook_url: \"(docs/runbooks/[a-z-]+\\.md)\"").matcher(rules);
    while (r.find()) runbooks.add(r.group(1));
    assertEquals(ALERTS.size(), runbooks.size(), "one runbook_url per alert");
    for (int i = 0; i < ALERTS.size(); i++) {
      Path runbook = SOURCE.resolve(runbooks.get(i));
      assertTrue(Files.isRegularFile(runbook), ALERTS.get(i) + ": no runbook at " + runbook);
      assertTrue(
          Files.readString(runbook).contains(ALERTS.get(i)),
          runbook + " does not name " + ALERTS.get(i));
    }
  }

  record Result(String output, String error) {}

  /** Runs promtool; {@code error} is empty on success, else its exit status and output. */
  static Result promtool(String... args) throws Exception {
    Path promtool = Path.of("/usr/bin/promtool");
    assertTrue(
        Files.isExecutable(promtool) || onPath("promtool"),
        "promtool is missing: install Debian's prometheus package (scripts/test does): apt-get install -y prometheus");
    List<String> cmd = new ArrayList<>(List.of("promtool"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    return new Result(
        out, rc == 0 ? "" : "promtool " + String.join(" ", args) + " exited " + rc + ":\n" + out);
  }

  private static boolean onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return true;
    }
    return false;
  }
}
