package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * roadie ls, find and diff of file snapshots as a user runs them, names with odd bytes included.
 */
class BrowseCliTest {
  @TempDir Path tmp;

  @Test
  void listFindAndDiffFileSnapshots() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data.resolve("sub"));
    Files.writeString(data.resolve("a.txt"), "hi\n");
    Files.writeString(data.resolve("new\nline"), "y");
    Files.writeString(data.resolve("sp ace"), "x");
    Files.writeString(data.resolve("sub/b.txt"), "b\n");
    RoadieProcess roadie = RoadieProcess.of(tmp.resolve("repo"), "pw");
    roadie.run("init").assertOk();
    roadie.run("backup", "file", data.toString()).assertOk();

    RoadieProcess.Result ls = roadie.run("ls", "latest").assertOk();
    assertEquals(
        "data/\ndata/a.txt\n$'data/new\\nline'\n'data/sp ace'\ndata/sub/\ndata/sub/b.txt\n",
        ls.stdout(),
        "a newline in a name is escaped, a space quoted: one line per entry");
    RoadieProcess.Result json = roadie.run("ls", "latest", "data", "--json").assertOk();
    JsonNode listing = new ObjectMapper().readTree(json.stdout());
    List<String> names = new ArrayList<>();
    listing.get("entries").forEach(e -> names.add(e.get("name").asText()));
    assertEquals(
        List.of("a.txt", "new\nline", "sp ace", "sub"),
        names,
        "JSON has names exact, one level below PATH");
    assertEquals("file", listing.get("snapshot").get("kind").asText());
    assertEquals(3, listing.get("entries").get(0).get("size").asInt());
    String long1 = roadie.run("ls", "latest", "data/sub", "--long").assertOk().stdout();
    assertTrue(
        long1.matches(
            "-rw-r--r--\\s+2\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  data/sub/b.txt\n"),
        long1);
    RoadieProcess.Result missing = roadie.run("ls", "latest", "data/nope").assertExit(2);
    assertTrue(missing.stderr().contains("holds nothing at 'data/nope'"), missing.describe());

    // Same size and modification time, other bytes: only the content tells.
    FileTime mtime = Files.getLastModifiedTime(data.resolve("a.txt"));
    Files.writeString(data.resolve("a.txt"), "HI\n");
    Files.setLastModifiedTime(data.resolve("a.txt"), mtime);
    Files.delete(data.resolve("sp ace"));
    Files.writeString(data.resolve("sub/c.txt"), "new\n");
    roadie.run("backup", "file", data.toString()).assertOk();
    JsonNode snapshots =
        new ObjectMapper().readTree(roadie.run("snapshots", "--json").assertOk().stdout());
    String first = snapshots.get(0).get("shortId").asText();
    String second = snapshots.get(1).get("shortId").asText();

    RoadieProcess.Result diff = roadie.run("diff", first, second).assertExit(1);
    List<String> lines = List.of(diff.stdout().split("\n"));
    assertTrue(lines.contains("M  data/a.txt  (content)"), diff.describe());
    assertTrue(lines.contains("-  'data/sp ace'"), diff.describe());
    assertTrue(lines.contains("+  data/sub/c.txt"), diff.describe());
    assertTrue(
        lines.contains("1 added, 1 removed, 1 changed, 2 with changed attributes"),
        diff.describe());
    JsonNode diffJson =
        new ObjectMapper()
            .readTree(roadie.run("diff", first, second, "--json").assertExit(1).stdout());
    assertEquals(1, diffJson.get("summary").get("changed").asInt());
    JsonNode changed = diffJson.get("changes").get(1);
    assertEquals("data/a.txt", changed.get("path").asText());
    assertTrue(
        !changed.get("from").get("content").equals(changed.get("to").get("content")),
        changed.toString());
    RoadieProcess.Result same = roadie.run("diff", second, "latest").assertExit(0);
    assertEquals("0 added, 0 removed, 0 changed, 0 with changed attributes\n", same.stdout());
    roadie.run("diff", first).assertExit(2);
    RoadieProcess.Result k8s = roadie.run("diff", "k8s", "latest").assertExit(2);
    assertTrue(
        k8s.stderr().contains("--against"),
        "'diff k8s' is still the subcommand: " + k8s.describe());

    RoadieProcess.Result find = roadie.run("find", "*.txt").assertOk();
    assertEquals(5, find.stdout().split("\n").length, find.describe());
    assertTrue(find.stdout().contains(second + "  "), find.describe());
    assertTrue(
        find.stdout().matches("(?s).*\\s4\\s+\\S+ \\S+\\s+data/sub/c\\.txt\n.*"), find.describe());
    JsonNode found =
        new ObjectMapper().readTree(roadie.run("find", "sub/c.*", "--json").assertOk().stdout());
    assertEquals(1, found.size());
    assertEquals(second, found.get(0).get("snapshot").get("shortId").asText());
    assertEquals("data/sub/c.txt", found.get(0).get("path").asText());
    assertEquals(
        0,
        new ObjectMapper()
            .readTree(roadie.run("find", "/sub/*", "--json").assertOk().stdout())
            .size(),
        "a pattern with a leading '/' matches from the root");
  }
}
