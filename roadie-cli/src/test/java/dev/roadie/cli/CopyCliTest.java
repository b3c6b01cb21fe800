package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** copy between two local repositories with different passwords. */
class CopyCliTest {
  @TempDir Path tmp;

  /**
   * The repository's objects and their sizes, but leases and audit entries (every run leaves one).
   */
  static Map<String, Long> objects(Path repo) throws IOException {
    try (Stream<Path> s = Files.walk(repo)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.startsWith(repo.resolve("leases")))
          .filter(p -> !p.startsWith(repo.resolve("audit")))
          .collect(
              java.util.stream.Collectors.toMap(
                  p -> repo.relativize(p).toString(), p -> p.toFile().length()));
    }
  }

  @Test
  void copiesRestoreIdenticallyAndCopyingAgainUploadsNothing() throws IOException {
    Path src = tmp.resolve("src");
    Path dst = tmp.resolve("dst");
    Path data = tmp.resolve("data");
    Files.createDirectories(data.resolve("sub"));
    TestData.writeRandom(data.resolve("a.bin"), 3 << 20, 1);
    TestData.writeText(data.resolve("sub/b.txt"), 2 << 20, 2);
    Files.writeString(data.resolve("small.txt"), "hello");
    RoadieProcess source = RoadieProcess.of(src, "source-pw");
    source.run("init").assertOk();
    source
        .run(
            "backup",
            "file",
            data.toString(),
            "--target",
            "files",
            "--time",
            "2026-01-01T00:00:00Z")
        .assertOk();
    Map<String, String> first = TestData.hashTree(data);
    TestData.overwriteRandom(data.resolve("a.bin"), 1 << 20, 256 << 10, 3);
    source
        .run(
            "backup",
            "file",
            data.toString(),
            "--target",
            "files",
            "--time",
            "2026-01-02T00:00:00Z")
        .assertOk();
    Map<String, String> second = TestData.hashTree(data);
    byte[] stream = PruneCliTest.random(1 << 20, 4);
    source
        .copy()
        .stdin(stream)
        .run("backup", "file", "--stdin", "--name", "dump", "--target", "db")
        .assertOk();

    Path pwFile = tmp.resolve("source.pw");
    Files.writeString(pwFile, "source-pw\n");
    RoadieProcess dest = RoadieProcess.of(dst, "dest-pw");
    dest.run("init").assertOk();
    JsonNode out =
        TestData.json(
            dest.run(
                    "copy",
                    "--from",
                    src.toString(),
                    "--from-password-file",
                    pwFile.toString(),
                    "--target",
                    "files",
                    "--json")
                .assertOk()
                .stdout());
    assertEquals(2, out.get("copied").size(), out.toString());
    JsonNode copied = TestData.json(dest.run("snapshots", "--json").assertOk().stdout());
    assertEquals(2, copied.size());
    // A copy shows the original backup's statistics; what the copy did is recorded apart.
    JsonNode originals =
        TestData.json(source.run("snapshots", "--json", "--target", "files").assertOk().stdout());
    String sourceRepo =
        TestData.json(source.run("stats", "--json").assertOk().stdout())
            .get("repositoryId")
            .asText();
    for (int i = 0; i < 2; i++) {
      JsonNode c = copied.get(i);
      assertEquals(
          originals.get(i).get("stats"),
          c.get("stats"),
          "stats of the copy of " + originals.get(i));
      assertEquals(sourceRepo, c.get("copy").get("repository").asText());
      assertEquals(originals.get(i).get("id").asText(), c.get("copy").get("snapshot").asText());
      assertEquals(
          out.get("copied").get(i).get("bytesAdded").asLong(),
          c.get("copy").get("stats").get("bytesAdded").asLong(),
          c.toString());
      assertTrue(c.get("copy").get("stats").get("bytesAdded").asLong() > 0, c.toString());
      assertTrue(c.get("copy").get("time").asText().endsWith("Z"), c.toString());
    }
    assertTrue(originals.get(0).get("copy") == null, "an original has no copy record");

    Path restored = tmp.resolve("r1");
    dest.run("restore", copied.get(0).get("id").asText(), "--target", restored.toString())
        .assertOk();
    assertEquals(
        first, TestData.hashTree(restored.resolve("data")), "first copy restores byte-identical");
    Path restored2 = tmp.resolve("r2");
    dest.run("restore", copied.get(1).get("id").asText(), "--target", restored2.toString())
        .assertOk();
    assertEquals(second, TestData.hashTree(restored2.resolve("data")));

    // Again: nothing new is stored; then the rest (the db stream) by id.
    Map<String, Long> before = objects(dst);
    JsonNode again =
        TestData.json(
            dest.env("ROADIE_FROM_PASSWORD", "source-pw")
                .run("copy", "--from", src.toString(), "--target", "files", "--json")
                .assertOk()
                .stdout());
    assertEquals(0, again.get("copied").size());
    assertEquals(2, again.get("skipped").size());
    assertEquals(before, objects(dst), "a second copy writes no object but its audit entry");
    JsonNode audit = TestData.json(dest.run("audit", "--json").assertOk().stdout());
    JsonNode last = audit.get(audit.size() - 1);
    assertEquals("copy", last.get("operation").asText(), audit.toString());
    assertEquals(0, last.get("snapshots").size(), "nothing copied: " + last);
    String dbId =
        TestData.json(source.run("snapshots", "--json", "--target", "db").assertOk().stdout())
            .get(0)
            .get("id")
            .asText();
    dest.run("copy", "--from", src.toString(), dbId.substring(0, 10)).assertOk();
    assertArrayEquals(
        stream, dest.run("restore", "latest", "--of", "db", "--stdout").assertOk().stdoutBytes());
    assertTrue(dest.run("check", "--read-data").assertOk().stdout().contains("no errors"));

    // Wrong source password: a clear error, nothing written.
    Map<String, Long> now = objects(dst);
    RoadieProcess.Result wrong =
        dest.env("ROADIE_FROM_PASSWORD", "nope").run("copy", "--from", src.toString());
    assertEquals(12, wrong.exitCode(), wrong.describe());
    assertEquals(now, objects(dst));
  }
}
