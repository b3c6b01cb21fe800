package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help of every command renders as written, and planned sources say they are not built. */
class HelpTextTest {
  @Test
  void everyCommandsHelpRendersWithoutPicocliWarnings() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> usages = new ArrayList<>();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      collect(new CommandLine(new Main()), usages);
    } finally {
      System.setErr(saved);
    }
    String warnings = err.toString(StandardCharsets.UTF_8);
    // Descriptions are format strings: a lone % (as in archive_command's %p) garbles the help.
    assertFalse(warnings.contains("picocli WARN"), warnings);
    assertTrue(usages.size() > 20, "all commands visited: " + usages.size());
    String walPush = usages.stream().filter(u -> u.startsWith("Usage: roadie wal-push")).findFirst().orElseThrow()
        .replaceAll("\\s+", " "); // lines are wrapped
    assertTrue(walPush.contains("roadie wal-push %p"), walPush);
    assertFalse(walPush.contains("%%"), walPush);
  }

  private static void collect(CommandLine cl, List<String> usages) {
    usages.add(cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
    for (CommandLine sub : cl.getSubcommands().values()) {
      collect(sub, usages);
    }
  }

  @Test
  void plannedSourcesSayTheyAreNotBuilt() {
    for (String source : List.of("bucket")) {
      RoadieProcess.Result r = RoadieProcess.bare().run("backup", source, "--whatever", "x").assertExit(2);
      assertTrue(r.stderr().contains("not built yet"), r.describe());
      assertTrue(r.stderr().contains("roadie backup file DIR"), r.describe());
      assertEquals(1, r.stderr().strip().lines().count(), r.describe());
    }
  }
}
