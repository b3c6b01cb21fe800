package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prune and forget --prune as a user runs them. */
class PruneCliTest {
  @TempDir Path tmp;

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static long bytesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) return 0;
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static int filesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return (int) s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void forgetThenPruneFreesSpaceAndKeptSnapshotsRestore() throws IOException {
    Path repo = tmp.resolve("repo");
    RoadieProcess p = RoadieProcess.of(repo, "pw");
    p.run("init").assertOk();
    byte[][] data = new byte[4][];
    for (int i = 0; i < 4; i++) {
      data[i] = random(2 << 20, i);
      p.copy()
          .stdin(data[i])
          .run(
              "backup",
              "file",
              "--stdin",
              "--name",
              "s",
              "--target",
              "t",
              "--time",
              "2026-01-0" + (i + 1) + "T10:00:00Z")
          .assertOk();
    }
    long before = bytesUnder(repo.resolve("data"));

    // Default grace: plan only.
    p.run("forget", "--keep-last", "2").assertOk();
    RoadieProcess.Result planned = p.run("prune").assertOk();
    assertTrue(
        planned.stdout().contains("planned for deletion")
            && planned.stdout().contains("is carried out by a prune after"),
        planned.describe());
    assertEquals(
        before, bytesUnder(repo.resolve("data")), "nothing deleted within the grace period");
    assertEquals(1, filesUnder(repo.resolve("plans")));

    // A dry run with the grace passed says what it would delete and deletes nothing.
    int files = filesUnder(repo);
    RoadieProcess.Result dry = p.run("prune", "--grace", "0", "--dry-run", "--json").assertOk();
    JsonNode d = TestData.json(dry.stdout());
    assertTrue(d.get("dryRun").asBoolean() && d.get("packsDeleted").asInt() >= 2, dry.describe());
    assertEquals(files, filesUnder(repo), "a dry run writes and deletes nothing");

    JsonNode r = TestData.json(p.run("prune", "--grace", "0", "--json").assertOk().stdout());
    assertTrue(r.get("packsDeleted").asInt() >= 2, r.toString());
    assertTrue(r.get("bytesDeleted").asLong() >= 4 << 20, r.toString());
    assertTrue(r.get("memoryBytes").asLong() > 0, r.toString());
    long after = bytesUnder(repo.resolve("data"));
    assertTrue(after < before - (4 << 20), before + " -> " + after);
    assertEquals(0, filesUnder(repo.resolve("plans")), "the plan was carried out");

    // forget --prune in one go.
    RoadieProcess.Result fp =
        p.run("forget", "--keep-last", "1", "--prune", "--grace", "0").assertOk();
    assertTrue(
        fp.stdout().contains("1 snapshot removed") && fp.stdout().contains("deleted"),
        fp.describe());
    assertTrue(bytesUnder(repo.resolve("data")) < after - (2 << 20));
    assertEquals(
        new String(data[3], java.nio.charset.StandardCharsets.ISO_8859_1),
        new String(
            p.run("restore", "latest", "--stdout").assertOk().stdoutBytes(),
            java.nio.charset.StandardCharsets.ISO_8859_1),
        "the kept snapshot restores byte for byte");
    RoadieProcess.Result check = p.run("check", "--read-data").assertOk();
    assertTrue(check.stdout().contains("no errors"), check.describe());
  }

  @Test
  void badOptionsAreRefused() {
    RoadieProcess p = RoadieProcess.of(tmp.resolve("repo"), "pw");
    p.run("init").assertOk();
    assertTrue(p.run("prune", "--grace", "1w").assertExit(2).stderr().contains("not a duration"));
    assertTrue(
        p.run("prune", "--max-unused", "150%").assertExit(2).stderr().contains("0% to 100%"));
    assertTrue(p.run("prune").assertOk().stdout().contains("nothing to free"));
  }
}
