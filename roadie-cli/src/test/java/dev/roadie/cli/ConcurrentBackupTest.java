package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two backups into one repository at the same moment: both succeed and both restore. */
class ConcurrentBackupTest {
  @TempDir Path tmp;

  @Test
  void twoBackupsAtOnce() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie =
        RoadieProcess.of(repo, "concurrent").fullJit().timeout(Duration.ofMinutes(3));
    roadie.run("init").assertOk();

    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    for (Path d : new Path[] {a, b}) {
      Files.createDirectories(d.resolve("common"));
      // Shared content: the same 20 MiB in both sets, so they deduplicate against each other.
      TestData.writeRandom(d.resolve("common/shared.bin"), 20 << 20, 77);
      TestData.writeText(d.resolve("common/shared.txt"), 4 << 20, 78);
    }
    TestData.writeRandom(a.resolve("own-a.bin"), 22 << 20, 1);
    TestData.writeText(a.resolve("own-a.txt"), 4 << 20, 2);
    TestData.writeRandom(b.resolve("own-b.bin"), 22 << 20, 3);
    TestData.writeText(b.resolve("own-b.txt"), 4 << 20, 4);
    Map<String, String> hashA = TestData.hashTree(a);
    Map<String, String> hashB = TestData.hashTree(b);

    RoadieProcess.Running ra =
        roadie.start("backup", "file", a.toString(), "--target", "a", "--json");
    RoadieProcess.Running rb =
        roadie.start("backup", "file", b.toString(), "--target", "b", "--json");
    RoadieProcess.Result resA = ra.await(Duration.ofMinutes(3)).assertOk();
    RoadieProcess.Result resB = rb.await(Duration.ofMinutes(3)).assertOk();
    System.out.printf(
        "concurrent backups took %d ms and %d ms%n",
        resA.wallTime().toMillis(), resB.wallTime().toMillis());
    String idA = TestData.json(resA.stdout()).get("id").asText();
    String idB = TestData.json(resB.stdout()).get("id").asText();
    assertNotEquals(idA, idB);

    JsonNode list = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    assertEquals(2, list.size(), list.toString());

    RoadieProcess.Result check = roadie.run("check", "--read-data").assertOk();
    assertTrue(check.stdout().contains("no errors"), check.describe());

    Path outA = tmp.resolve("out-a");
    Path outB = tmp.resolve("out-b");
    roadie.run("restore", idA, "--target", outA.toString()).assertOk();
    roadie.run("restore", idB, "--target", outB.toString()).assertOk();
    assertEquals(hashA, TestData.hashTree(outA.resolve("a")));
    assertEquals(hashB, TestData.hashTree(outB.resolve("b")));
  }
}
