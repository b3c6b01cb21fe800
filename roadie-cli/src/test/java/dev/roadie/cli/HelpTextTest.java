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

/**
 * The help of every command renders as written, and planned sources and commands say they are not
 * built.
 */
class HelpTextTest {
  @Test
  void everyCommandsHelpRendersWithoutPicocliWarnings() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> usages = new ArrayList<>();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      collect(Main.commandLine(), usages);
    } finally {
      System.setErr(saved);
    }
    String warnings = err.toString(StandardCharsets.UTF_8);
    // Descriptions are format strings: a lone % (as in archive_command's %p) garbles the help.
    assertFalse(warnings.contains("picocli WARN"), warnings);
    assertTrue(usages.size() > 20, "all commands visited: " + usages.size());
    String walPush =
        usages.stream()
            .filter(u -> u.startsWith("Usage: roadie wal-push"))
            .findFirst()
            .orElseThrow()
            .replaceAll("\\s+", " "); // lines are wrapped
    assertTrue(walPush.contains("roadie wal-push %p"), walPush);
    assertFalse(walPush.contains("%%"), walPush);
  }

  /**
   * The start-up archive's training is a build step (roadie-training), not a command of the
   * product.
   */
  @Test
  void theProductHasNoTrainingCommand() {
    assertFalse(
        Main.commandLine().getSubcommands().keySet().stream().anyMatch(n -> n.contains("train")),
        Main.commandLine().getSubcommands().keySet().toString());
    assertEquals(2, Main.run("__train-startup-archive"), "an unknown command");
  }

  /**
   * Help is wrapped at spaces only: the words of every help at 80 columns (and at a narrower 70)
   * are the words of the same help unwrapped. picocli's own wrapping broke "s3://" after the colon,
   * "e.g." after "e.", "%f" after "%".
   */
  @Test
  void helpIsWrappedBetweenWordsOnly() {
    List<CommandLine> all = new ArrayList<>();
    all(Main.commandLine(), all);
    for (CommandLine cl : all) {
      var usage = cl.getCommandSpec().usageMessage();
      usage.width(10_000);
      List<String> words = words(cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
      for (int width : new int[] {80, 70}) {
        usage.width(width);
        String text = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertEquals(
            words,
            words(text),
            cl.getCommandSpec().qualifiedName() + " at " + width + " columns:\n" + text);
      }
      usage.width(80);
    }
    String walFetch =
        Main.commandLine()
            .getSubcommands()
            .get("wal-fetch")
            .getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertTrue(walFetch.contains("'roadie wal-fetch %f %p'"), walFetch);
  }

  /** Every command's line in 'roadie --help' is a whole sentence, not the first line of one. */
  @Test
  void commandSummariesAreWholeSentences() {
    String help = Main.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
    String list = help.substring(help.indexOf("Commands:\n") + 10);
    List<String> summaries = new ArrayList<>();
    for (String line : list.split("\n")) {
      if (line.matches("  \\S.*")) summaries.add(line.strip().replaceFirst("^\\S+\\s+", ""));
      else if (!summaries.isEmpty())
        summaries.set(summaries.size() - 1, summaries.getLast() + " " + line.strip());
    }
    assertTrue(summaries.size() > 15, help);
    for (String summary : summaries) {
      assertTrue(summary.endsWith("."), "a whole sentence: '" + summary + "' in\n" + help);
    }
  }

  private static void all(CommandLine cl, List<CommandLine> out) {
    out.add(cl);
    for (CommandLine sub : cl.getSubcommands().values()) all(sub, out);
  }

  private static List<String> words(String text) {
    return List.of(text.strip().split("\\s+"));
  }

  @Test
  void aBadKeepWithinSaysWhatIsWrongAndTheUnits() {
    RoadieProcess.Result r =
        RoadieProcess.bare().run("forget", "--keep-within", "7x").assertExit(2);
    assertTrue(
        r.stderr().contains("--keep-within '7x' is not a span: 'x' is not a unit;"), r.describe());
    assertTrue(r.stderr().contains("y (years), m (months), d (days), h (hours)"), r.describe());
    assertFalse(
        r.stderr().contains("2w"), "about what was given, not another value: " + r.describe());
  }

  private static void collect(CommandLine cl, List<String> usages) {
    usages.add(cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
    for (CommandLine sub : cl.getSubcommands().values()) {
      collect(sub, usages);
    }
  }

  /**
   * Description lines written mid-sentence are laid out as one paragraph, not as lines of their
   * own.
   */
  @Test
  void descriptionSentencesAreJoinedAcrossSourceLines() {
    assertEquals(
        List.of("Back up a b, c d.", "Default target: x.", "Exit codes:", "0 ok"),
        List.of(
            HelpLayout.paragraphs(
                new String[] {
                  "Back up a b,", "c d.", "Default target: x.", "Exit codes:", "0 ok"
                })));
    String k8s =
        Main.commandLine()
            .getSubcommands()
            .get("backup")
            .getSubcommands()
            .get("k8s")
            .getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertTrue(k8s.contains("in the given namespaces, one YAML document"), k8s);
  }

  /**
   * An indented description line is an example (the archive_command or restore_command to set):
   * shown on a line of its own, indented, not run into the sentence that follows it.
   */
  @Test
  void indentedExampleLinesStandAlone() {
    assertEquals(
        List.of("Fetch a file", "  cmd = 'x %f'", "Exit 0: ok."),
        List.of(
            HelpLayout.paragraphs(new String[] {"Fetch a file", "  cmd = 'x %f'", "Exit 0: ok."})));
    for (String[] c :
        new String[][] {
          {"wal-fetch", "restore_command = 'roadie wal-fetch %f %p'"},
          {"wal-push", "archive_command = 'roadie wal-push %p'"}
        }) {
      String help =
          Main.commandLine().getSubcommands().get(c[0]).getUsageMessage(CommandLine.Help.Ansi.OFF);
      assertTrue(help.contains("\n  " + c[1] + "\n"), help);
    }
  }
}
