package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills backups with SIGKILL at random moments, 20 times, and then demands that the repository is
 * consistent, that every snapshot in it restores to exactly what was backed up at its time, and
 * that killed runs left no snapshot behind unless they had finished writing it.
 */
@Tag("slow")
class CrashTest {
  private static final int ROUNDS = 20;
  private static final long SEED = Long.getLong("roadie.crash.seed", 20261124L);
  @TempDir Path tmp;

  record Round(
      int n,
      Map<String, String> hashes,
      boolean exitedOnItsOwn,
      int exitCode,
      String stdout,
      long delayMillis,
      long wallMillis) {}

  @Test
  void killedBackupsNeverDamageTheRepository() throws Exception {
    System.out.println("CrashTest seed " + SEED + " (rerun with -Droadie.crash.seed=" + SEED + ")");
    Random rnd = new Random(SEED);
    Path repo = tmp.resolve("repo");
    Path data = tmp.resolve("data");
    RoadieProcess roadie =
        RoadieProcess.of(repo, "crash test").fullJit().timeout(Duration.ofMinutes(3));
    roadie.run("init").assertOk();

    Files.createDirectories(data.resolve("sub"));
    TestData.writeRandom(data.resolve("a.bin"), 80 << 20, 1);
    TestData.writeRandom(data.resolve("b.bin"), 60 << 20, 2);
    TestData.writeText(data.resolve("sub/c.txt"), 40 << 20, 3);
    TestData.writeRandom(data.resolve("sub/d.bin"), 20 << 20, 4);
    Map<String, String> hashes = TestData.hashTree(data);

    RoadieProcess.Result good =
        roadie
            .run("backup", "file", data.toString(), "--target", "crash", "--tag", "good", "--json")
            .assertOk();
    String goodId = TestData.json(good.stdout()).get("id").asText();
    Map<String, String> goodHashes = Map.copyOf(hashes);
    long fullMillis = good.wallTime().toMillis();
    System.out.println("full backup of 200 MiB: " + fullMillis + " ms");

    List<Round> rounds = new ArrayList<>();
    String[] mutable = {"a.bin", "b.bin", "sub/d.bin"};
    for (int i = 1; i <= ROUNDS; i++) {
      // New data each round: a 16 MiB region of one file rewritten, and a fresh 8 MiB file.
      String f = mutable[i % mutable.length];
      long size = Files.size(data.resolve(f));
      long offset = (long) (rnd.nextDouble() * (size - (16 << 20)));
      TestData.overwriteRandom(data.resolve(f), offset, 16 << 20, 1000 + i);
      hashes.put(f, TestData.sha256(data.resolve(f)));
      String fresh = "new-" + i + ".bin";
      Files.deleteIfExists(data.resolve("new-" + (i - 1) + ".bin"));
      hashes.remove("new-" + (i - 1) + ".bin");
      TestData.writeRandom(data.resolve(fresh), 8 << 20, 2000 + i);
      hashes.put(fresh, TestData.sha256(data.resolve(fresh)));

      long delay = (long) (rnd.nextDouble() * fullMillis);
      RoadieProcess.Running run =
          roadie.start(
              "backup",
              "file",
              data.toString(),
              "--target",
              "crash",
              "--tag",
              "round-" + i,
              "--json");
      boolean finished = run.process.waitFor(delay, java.util.concurrent.TimeUnit.MILLISECONDS);
      RoadieProcess.Result r = finished ? run.await(Duration.ofMinutes(1)) : run.kill();
      boolean onItsOwn = finished && !r.killed();
      if (onItsOwn) r.assertOk();
      rounds.add(
          new Round(
              i,
              Map.copyOf(hashes),
              onItsOwn,
              r.exitCode(),
              r.stdout(),
              delay,
              r.wallTime().toMillis()));
      System.out.printf(
          "round %2d: delay %5d ms, %s after %5d ms%n",
          i,
          delay,
          onItsOwn ? "completed" : "killed (exit " + r.exitCode() + ")",
          r.wallTime().toMillis());
    }

    // Which snapshots exist?
    JsonNode list = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    Map<String, String> idByTag = new HashMap<>();
    for (JsonNode s : list) {
      assertEquals(1, s.get("tags").size(), s.toString());
      String tag = s.get("tags").get(0).asText();
      if (idByTag.put(tag, s.get("id").asText()) != null)
        fail("two snapshots tagged " + tag + ": " + list);
    }
    assertEquals(goodId, idByTag.get("good"));
    int completed = 0;
    List<Round> killedButSaved = new ArrayList<>();
    for (Round r : rounds) {
      String id = idByTag.get("round-" + r.n());
      if (r.exitedOnItsOwn()) {
        completed++;
        assertNotNull(id, "round " + r.n() + " completed but its snapshot is missing");
        assertEquals(TestData.json(r.stdout()).get("id").asText(), id);
      } else if (id != null) {
        // Killed between writing the snapshot and exiting: allowed only if the snapshot is whole,
        // which the restore below proves.
        killedButSaved.add(r);
        System.out.println(
            "round "
                + r.n()
                + " was killed after its snapshot was written (printed: "
                + !r.stdout().isBlank()
                + ")");
      }
    }
    long killed = rounds.stream().filter(r -> !r.exitedOnItsOwn()).count();
    System.out.println(
        completed
            + " rounds completed, "
            + killed
            + " killed, "
            + killedButSaved.size()
            + " of those after their snapshot was written");
    assertEquals(
        1 + completed + killedButSaved.size(),
        list.size(),
        "a snapshot for each finished run and none for killed runs: " + list);

    // A run killed after its snapshot was written may not have recorded its audit entry: check
    // names
    // exactly those snapshots' entries as missing, and finds nothing else wrong.
    RoadieProcess.Result check = roadie.run("check");
    List<String> errors = check.stdout().lines().filter(l -> l.startsWith("error: ")).toList();
    for (String e : errors) {
      boolean killedRun =
          killedButSaved.stream()
              .anyMatch(
                  r ->
                      e.startsWith(
                              "error: snapshot " + idByTag.get("round-" + r.n()).substring(0, 8))
                          && e.contains("which is missing"));
      assertTrue(killedRun, "only a killed run's missing audit entry: " + check.describe());
    }
    if (errors.isEmpty()) {
      assertEquals(0, check.exitCode(), check.describe());
      assertTrue(check.stdout().contains("no errors"), check.describe());
    } else {
      assertEquals(3, check.exitCode(), check.describe());
    }

    // Every snapshot restores to exactly what was backed up at its time.
    Map<String, Map<String, String>> expected = new TreeMap<>();
    expected.put("good", goodHashes);
    for (Round r : rounds) {
      if (idByTag.containsKey("round-" + r.n())) expected.put("round-" + r.n(), r.hashes());
    }
    Path out = tmp.resolve("out");
    for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
      deleteTree(out);
      roadie.run("restore", idByTag.get(e.getKey()), "--target", out.toString()).assertOk();
      assertEquals(
          e.getValue(),
          TestData.hashTree(out.resolve("data")),
          "snapshot " + e.getKey() + " restored wrong");
    }

    RoadieProcess.Result readData = roadie.run("check", "--read-data");
    assertEquals(
        errors,
        readData.stdout().lines().filter(l -> l.startsWith("error: ")).toList(),
        "reading every blob finds nothing more: " + readData.describe());
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList())
        Files.delete(x);
    }
  }
}
