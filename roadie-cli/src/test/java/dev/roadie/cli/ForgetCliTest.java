package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** forget as a user runs it: dry run, per-target groups, JSON reasons, refusals. */
class ForgetCliTest {
  @TempDir Path tmp;

  private static List<String> times(RoadieProcess p, String target) {
    List<String> out = new ArrayList<>();
    TestData.json(p.run("snapshots", "--json", "--target", target).assertOk().stdout())
        .forEach(s -> out.add(s.get("time").asText()));
    return out;
  }

  @Test
  void keepsPerTargetAndRemovesTheRest() {
    RoadieProcess p = RoadieProcess.of(tmp.resolve("repo"), "pw");
    p.run("init").assertOk();
    String[] times = {
      "2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-01-02T12:00:00Z", "2026-02-01T10:00:00Z"
    };
    for (String target : new String[] {"a", "b"}) {
      for (String t : times) {
        p.copy()
            .stdin((target + t).getBytes())
            .run("backup", "file", "--stdin", "--name", "s", "--target", target, "--time", t)
            .assertOk();
      }
    }
    RoadieProcess.Result dry =
        p.run("forget", "--keep-daily", "2", "--dry-run", "--target", "a").assertOk();
    assertTrue(dry.stdout().contains("would remove"), dry.describe());
    assertEquals(4, times(p, "a").size(), "a dry run removes nothing");

    JsonNode report =
        TestData.json(p.run("forget", "--keep-daily", "2", "--json").assertOk().stdout());
    assertEquals(2, report.size(), "one group per target");
    for (JsonNode g : report) {
      assertEquals(2, g.get("keep").size(), g.toString());
      assertEquals("daily", g.get("keep").get(0).get("reasons").get(0).asText());
      assertEquals(2, g.get("remove").size());
    }
    assertEquals(List.of("2026-01-02T12:00:00Z", "2026-02-01T10:00:00Z"), times(p, "a"));
    assertEquals(List.of("2026-01-02T12:00:00Z", "2026-02-01T10:00:00Z"), times(p, "b"));
    assertEquals(
        "b2026-02-01T10:00:00Z",
        p.run("restore", "latest", "--of", "b", "--stdout").assertOk().stdout(),
        "the kept snapshots still restore");
  }

  @Test
  void refusesAnEmptyPolicy() {
    RoadieProcess p = RoadieProcess.of(tmp.resolve("repo"), "pw");
    p.run("init").assertOk();
    assertTrue(p.run("forget").assertExit(2).stderr().contains("no --keep-* rule"));
    assertTrue(
        p.run("forget", "--keep-last", "1", "--prune", "--grace", "soon")
            .assertExit(2)
            .stderr()
            .contains("not a duration"));
    assertTrue(
        p.run("forget", "--keep-within", "2w").assertExit(2).stderr().contains("not a span"));
  }
}
