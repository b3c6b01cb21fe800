package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    RoadieProcess.Result refused =
        RoadieProcess.bare().workDir(tmp).run("demo", "--dir", dir.toString()).assertExit(2);
    assertTrue(refused.stderr().contains("was not made by 'roadie demo'"), refused.describe());
    assertTrue(Files.exists(dir.resolve("stale-file")));
    Files.writeString(dir.resolve(".roadie-demo"), "as an earlier demo run leaves it");
    RoadieProcess.Result r =
        RoadieProcess.bare().fullJit().workDir(tmp).run("demo", "--dir", dir.toString()).assertOk();
    assertTrue(r.stdout().contains("every file's SHA-256 equals the original's"), r.describe());
    assertTrue(r.stdout().contains("no errors"), r.describe());
    assertFalse(r.stdout().contains("MISMATCH"), r.describe());
    assertTrue(
        r.stdout().contains("so the bucket part is skipped") == (BucketDemo.findMinio() == null),
        r.describe());
    if (BucketDemo.findMinio() != null) {
      assertTrue(
          r.stdout()
              .contains("every object's bytes (SHA-256), headers, user metadata and tags equal"),
          r.describe());
    }
    assertFalse(Files.exists(dir.resolve("stale-file")), "the demo starts afresh");
    assertTrue(Files.exists(dir.resolve("repo/config")));
    assertFalse(Files.exists(tmp.resolve("roadie-demo")), "--dir is honoured");
    // Counts are words, not a Java map ({public.users={rows=5000, ...}}, {CREATED=5}).
    assertFalse(
        r.stdout().contains("={")
            || r.stdout().contains("rows=")
            || java.util.regex.Pattern.compile("\\{[A-Za-z_.]+=").matcher(r.stdout()).find(),
        r.describe());
    if (r.stdout().contains("--to-cluster")) {
      assertTrue(r.stdout().contains("5 objects, in order: 5 created"), r.describe());
    }
    // The restore counts what the backup of the same snapshot counted (files; a symlink is none).
    var counted =
        java.util.regex.Pattern.compile("snapshot \\w+: (\\d+) files").matcher(r.stdout());
    String backedUp = null;
    while (counted.find()) backedUp = counted.group(1);
    assertTrue(
        r.stdout().contains("restored " + backedUp + " files; every file's SHA-256"), r.describe());
    if (r.stdout().contains("roadie backup postgres")) {
      assertTrue(
          r.stdout().contains("2 tables (public.tickets: 50000 rows, public.users: 5000 rows)"),
          r.describe());
    }

    // The commands it suggests work as printed: the restore gives back the demo's files, whatever
    // kind of snapshot is the newest (the PostgreSQL or Redis one, when those ran).
    List<String> suggested =
        r.stdout()
            .lines()
            .dropWhile(l -> !l.startsWith("Done. Try it yourself"))
            .skip(1)
            .takeWhile(l -> l.startsWith("  "))
            .map(String::strip)
            .toList();
    assertTrue(suggested.getFirst().startsWith("export "), r.describe());
    RoadieProcess user = RoadieProcess.bare().workDir(tmp);
    for (String assignment : suggested.getFirst().substring(7).split(" ")) {
      user.env(
          assignment.substring(0, assignment.indexOf('=')),
          assignment.substring(assignment.indexOf('=') + 1));
    }
    Path restored = null;
    for (String command : suggested.subList(1, suggested.size())) {
      List<String> words = List.of(command.split(" "));
      assertEquals("roadie", words.getFirst(), "run as 'roadie' outside the launcher: " + command);
      RoadieProcess.Result ran =
          user.run(words.subList(1, words.size()).toArray(String[]::new)).assertOk();
      // No warning either: the password file the demo made is the user's alone.
      assertEquals("", ran.stderr().strip(), ran.describe());
      if (words.contains("--target")) restored = Path.of(words.get(words.indexOf("--target") + 1));
    }
    assertTrue(
        restored != null && restored.startsWith(dir),
        "a restore into the demo directory is suggested: " + suggested);
    assertEquals(
        Files.readString(dir.resolve("data/notes.txt")),
        Files.readString(restored.resolve("data/notes.txt")));
    assertTrue(Files.isSymbolicLink(restored.resolve("data/media/latest")));
  }
}
