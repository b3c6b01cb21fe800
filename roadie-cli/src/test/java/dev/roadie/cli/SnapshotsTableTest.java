package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'roadie snapshots' lines up every column, whatever the widths of the targets and tags. */
class SnapshotsTableTest {
  @TempDir Path tmp;

  @Test
  void everyColumnLinesUpWithItsHeader() throws Exception {
    RoadieProcess roadie = RoadieProcess.of(tmp.resolve("repo"), "pw");
    roadie.run("init").assertOk();
    Path data = Files.writeString(tmp.resolve("data.txt"), "some data");
    List<String> targets =
        List.of(
            "a", "ünïcødé-目标-データ", "a-very-long-target-name-that-is-wider-than-any-default-column");
    for (String target : targets) {
      roadie
          .run(
              "backup",
              "file",
              data.toString(),
              "--target",
              target,
              "--tag",
              "t-" + target.length())
          .assertOk();
    }
    String out = roadie.run("snapshots").assertOk().stdout();
    List<String> lines = out.lines().toList();
    assertEquals("3 snapshots", lines.getLast(), out);
    String header = lines.getFirst();
    for (String row : lines.subList(1, 4)) {
      // ID TIME TARGET KIND HOST start under their headers, SIZE and ADDED end under theirs, then
      // TAGS.
      for (int field : new int[] {0, 1, 2, 3, 4, 7}) {
        assertEquals(
            field(header, field, true), field(row, field, true), "field " + field + ":\n" + out);
      }
      for (int field : new int[] {5, 6}) {
        assertEquals(
            field(header, field, false), field(row, field, false), "field " + field + ":\n" + out);
      }
    }
    assertTrue(out.contains("ünïcødé-目标-データ"), out);
  }

  /**
   * The terminal column at which the {@code n}th field (0-based; fields are separated by two or
   * more spaces) starts, or ends.
   */
  private static int field(String line, int n, boolean start) {
    Matcher m = Pattern.compile("\\S+(?: \\S+)*").matcher(line);
    for (int i = 0; i <= n; i++) assertTrue(m.find(), n + " fields in " + line);
    return Table.width(line.substring(0, start ? m.start() : m.end()));
  }
}
