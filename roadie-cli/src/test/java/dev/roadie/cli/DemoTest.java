package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {
  @TempDir Path tmp;

  @Test
  void demoRunsEndToEnd() throws Exception {
    Path dir = tmp.resolve("demo");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("stale-file"), "left from an earlier run");
    // A directory the demo did not make is never deleted.
    RoadieProcess.Result refused = RoadieProcess.bare().workDir(tmp).run("demo", "--dir", dir.toString()).assertExit(2);
    assertTrue(refused.stderr().contains("was not made by 'roadie demo'"), refused.describe());
    assertTrue(Files.exists(dir.resolve("stale-file")));
    Files.writeString(dir.resolve(".roadie-demo"), "as an earlier demo run leaves it");
    RoadieProcess.Result r = RoadieProcess.bare().fullJit().workDir(tmp).run("demo", "--dir", dir.toString())
        .assertOk();
    assertTrue(r.stdout().contains("every file's SHA-256 equals the original's"), r.describe());
    assertTrue(r.stdout().contains("no errors"), r.describe());
    assertFalse(r.stdout().contains("MISMATCH"), r.describe());
    assertTrue(r.stdout().contains("so the bucket part is skipped") == (BucketDemo.findMinio() == null), r.describe());
    if (BucketDemo.findMinio() != null) {
      assertTrue(r.stdout().contains("every object's bytes (SHA-256), headers, user metadata and tags equal"), r.describe());
    }
    assertFalse(Files.exists(dir.resolve("stale-file")), "the demo starts afresh");
    assertTrue(Files.exists(dir.resolve("repo/config")));
    assertFalse(Files.exists(tmp.resolve("roadie-demo")), "--dir is honoured");
  }
}
