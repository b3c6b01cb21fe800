package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.testkit.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roadie drill --config} tells the config's webhooks when a target's drills start failing
 * and when they pass again, once per change (as the agent does for backups and verifications),
 * reading the earlier drills' results from the repository.
 */
class DrillNotificationCliTest {
  @TempDir Path tmp;

  @Test
  void aDrillThatStartsFailingOrPassesAgainIsNotifiedOnce() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      List<String> bodies = receiver.bodies;
      Path repo = tmp.resolve("repo");
      RoadieProcess roadie = RoadieProcess.of(repo, "pw");
      roadie.run("init").assertOk();
      Path app = Files.createDirectories(tmp.resolve("app"));
      Files.writeString(app.resolve("a.txt"), "the set list");
      roadie.run("backup", "file", app.toString(), "--target", "app").assertOk();
      Path url = Files.writeString(tmp.resolve("hook-url"), receiver.url() + "\n");
      // The drill's part of roadie's config, and a webhook for drill results only.
      Path config =
          Files.writeString(
              tmp.resolve("roadie.yaml"),
              "objectives:\n  complete-loss: {rpo: 1s, rto: 1h}\n"
                  + "notifications:\n  - webhook: {urlFile: "
                  + url
                  + ", format: json, on: [drill]}\n");
      Path scratch = tmp.resolve("scratch");
      Thread.sleep(1500); // the snapshot is now older than the 1 s recovery point objective
      String[] drill = {
        "drill", "complete-loss", "--config", config.toString(), "--scratch-dir", scratch.toString()
      };

      roadie.run(drill).assertExit(1);
      assertEquals(1, bodies.size(), "a first failure is sent: " + bodies);
      JsonNode failed = TestData.json(bodies.get(0));
      assertEquals("drill", failed.get("event").asText());
      assertEquals("app", failed.get("target").asText());
      assertEquals("file", failed.get("kind").asText());
      assertEquals("complete-loss", failed.get("scenario").asText());
      assertEquals("fail", failed.get("result").asText());
      assertTrue(
          failed.get("text").asText().startsWith("app (file): complete-loss drill FAILED: RTO "),
          failed.toString());
      assertTrue(failed.get("text").asText().contains("(objective 1s)"), failed.toString());

      roadie.run(drill).assertExit(1);
      assertEquals(1, bodies.size(), "a target that keeps failing is not sent again: " + bodies);

      String[] relaxed = {
        "drill",
        "complete-loss",
        "--config",
        config.toString(),
        "--scratch-dir",
        scratch.toString(),
        "--rpo",
        "1h"
      };
      roadie.run(relaxed).assertOk();
      assertEquals(2, bodies.size(), "passing again is sent: " + bodies);
      JsonNode recovered = TestData.json(bodies.get(1));
      assertEquals("pass", recovered.get("result").asText());
      assertTrue(
          recovered.get("text").asText().startsWith("app (file): complete-loss drill passed again"),
          recovered.toString());

      roadie.run(relaxed).assertOk();
      assertEquals(2, bodies.size(), "nothing while it keeps passing: " + bodies);

      // A webhook the config gets wrong is refused before the drill starts.
      Files.writeString(
          config, "notifications:\n  - webhook: {url: \"http://127.0.0.1:1/x\", format: json}\n");
      RoadieProcess.Result bad = roadie.run(drill).assertExit(2);
      assertTrue(bad.stderr().contains("line 2, key 'url'"), bad.describe());
    }
  }
}
