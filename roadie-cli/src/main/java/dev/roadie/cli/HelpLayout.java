package dev.roadie.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.IHelpSectionRenderer;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Help text wrapped at spaces only. picocli wraps with the JDK's line BreakIterator, which also
 * breaks after ':', '.', '?' and '%' inside a word, so help read "s3: //BUCKET", "e. g." or split
 * restore_command's "%f" over two lines: text a user copies. Here each section is rendered by
 * picocli on one very wide line per row, then wrapped at the usage width on spaces, with picocli's
 * own hanging indents (list rows continue two columns right of their text column).
 */
final class HelpLayout {
  /** Wide enough that picocli never wraps a row itself. */
  private static final int UNWRAPPED = 10_000;

  private HelpLayout() {}

  /** Installs the wrapping on {@code cl} and all its subcommands. */
  static void install(CommandLine cl) {
    Map<String, IHelpSectionRenderer> sections = cl.getHelpSectionMap();
    rewrapSynopsis(sections);
    rewrap(sections, UsageMessageSpec.SECTION_KEY_HEADER, h -> 0);
    IHelpSectionRenderer description = sections.get(UsageMessageSpec.SECTION_KEY_DESCRIPTION);
    if (description != null) {
      sections.put(
          UsageMessageSpec.SECTION_KEY_DESCRIPTION, help -> withParagraphs(help, description));
    }
    rewrap(sections, UsageMessageSpec.SECTION_KEY_DESCRIPTION, h -> 0);
    rewrap(sections, UsageMessageSpec.SECTION_KEY_FOOTER, h -> 0);
    rewrap(sections, UsageMessageSpec.SECTION_KEY_PARAMETER_LIST, HelpLayout::optionTextColumn);
    rewrap(sections, UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpLayout::optionTextColumn);
    IHelpSectionRenderer commandList = sections.get(UsageMessageSpec.SECTION_KEY_COMMAND_LIST);
    if (commandList != null) {
      sections.put(
          UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> withSummaries(help, commandList));
    }
    rewrap(sections, UsageMessageSpec.SECTION_KEY_COMMAND_LIST, HelpLayout::commandTextColumn);
    for (CommandLine sub : cl.getSubcommands().values()) {
      install(sub);
    }
  }

  private static void rewrap(
      Map<String, IHelpSectionRenderer> sections, String key, ToIntFunction<Help> textColumn) {
    IHelpSectionRenderer picocli = sections.get(key);
    if (picocli == null) return;
    sections.put(
        key,
        help -> {
          int width = help.commandSpec().usageMessage().width();
          return wrap(unwrapped(help, picocli), width, textColumn.applyAsInt(help));
        });
  }

  /** What {@code picocli} renders of a section on one line per row: wide enough never to wrap. */
  private static String unwrapped(Help help, IHelpSectionRenderer picocli) {
    UsageMessageSpec usage = help.commandSpec().usageMessage();
    int width = usage.width();
    usage.width(UNWRAPPED);
    try {
      return picocli.render(help);
    } finally {
      usage.width(width);
    }
  }

  /**
   * The synopsis, wrapped at spaces with its continuation lines under the first option, as picocli
   * lays it out ("Usage: roadie backup k8s [-hV] ..."); picocli breaks inside a label such as
   * "KIND[,KIND...]". The heading is rendered by its own section, so the first line is wrapped as
   * if it started after the heading.
   */
  private static void rewrapSynopsis(Map<String, IHelpSectionRenderer> sections) {
    IHelpSectionRenderer picocli = sections.get(UsageMessageSpec.SECTION_KEY_SYNOPSIS);
    if (picocli == null) return;
    sections.put(
        UsageMessageSpec.SECTION_KEY_SYNOPSIS,
        help -> {
          UsageMessageSpec usage = help.commandSpec().usageMessage();
          int width = usage.width();
          String unwrapped = unwrapped(help, picocli);
          String heading = String.format(usage.synopsisHeading());
          int headingLength = heading.length() - heading.lastIndexOf('\n') - 1;
          int indent = headingLength + help.commandSpec().qualifiedName().length() + 1;
          String lines = wrap(" ".repeat(headingLength) + unwrapped, width, indent - 2);
          return lines.substring(headingLength);
        });
  }

  /**
   * Renders the command list with each command's first sentence: picocli shows the first line of a
   * description, which may end mid-sentence when the description's lines are clauses (restore's).
   */
  private static String withSummaries(Help help, IHelpSectionRenderer picocli) {
    List<UsageMessageSpec> changed = new ArrayList<>();
    for (Help sub : help.subcommands().values()) {
      UsageMessageSpec usage = sub.commandSpec().usageMessage();
      if (usage.header().length > 0 || usage.description().length < 2) continue;
      usage.header(firstSentence(usage.description()));
      changed.add(usage);
    }
    try {
      return picocli.render(help);
    } finally {
      for (UsageMessageSpec usage : changed) usage.header(new String[0]);
    }
  }

  /**
   * Renders the description with each sentence on one line, for the wrapping to lay out: the
   * descriptions are written as source lines that break mid-sentence, which picocli would show as
   * lines of their own.
   */
  private static String withParagraphs(Help help, IHelpSectionRenderer picocli) {
    UsageMessageSpec usage = help.commandSpec().usageMessage();
    String[] lines = usage.description();
    usage.description(paragraphs(lines));
    try {
      return picocli.render(help);
    } finally {
      usage.description(lines);
    }
  }

  /**
   * Joins each line that does not end a sentence (or introduce what follows) with the next. An
   * indented line is an example a user copies (an archive_command): it stays a line of its own.
   */
  static String[] paragraphs(String[] lines) {
    List<String> out = new ArrayList<>();
    StringBuilder b = new StringBuilder();
    for (String line : lines) {
      if (line.startsWith(" ") && !line.isBlank()) {
        if (!b.isEmpty()) out.add(b.toString());
        b.setLength(0);
        out.add(line.stripTrailing());
        continue;
      }
      String l = line.strip();
      if (!b.isEmpty()) b.append(' ');
      b.append(l);
      if (l.isEmpty() || ".:!?".indexOf(l.charAt(l.length() - 1)) >= 0) {
        out.add(b.toString());
        b.setLength(0);
      }
    }
    if (!b.isEmpty()) out.add(b.toString());
    return out.toArray(String[]::new);
  }

  /** The description's lines up to the first that ends a sentence, joined. */
  static String firstSentence(String[] description) {
    StringBuilder b = new StringBuilder();
    for (String line : description) {
      if (!b.isEmpty()) b.append(' ');
      b.append(line.strip());
      if (line.strip().endsWith(".")) break;
    }
    return b.toString();
  }

  /**
   * Where option descriptions start: picocli's columns "-x", ", ", the long option, then one space.
   */
  private static int optionTextColumn(Help help) {
    return 2
        + 2
        + 1
        + help.calcLongOptionColumnWidth(
            help.commandSpec().options(),
            help.commandSpec().positionalParameters(),
            help.colorScheme())
        + 1;
  }

  /**
   * Where command summaries start: two spaces, the longest name, two spaces (as picocli lays it
   * out).
   */
  private static int commandTextColumn(Help help) {
    int longest = 0;
    for (String name : help.subcommands().keySet()) longest = Math.max(longest, name.length());
    return 2 + Math.min(longest, help.commandSpec().usageMessage().width() / 2) + 2;
  }

  /**
   * Wraps each line longer than {@code width} at its last space that fits, continuing at {@code
   * column} + 2 (or 0 when {@code column} is 0, as picocli indents description paragraphs). A word
   * longer than the room is left whole.
   */
  static String wrap(String text, int width, int column) {
    int indent = column == 0 ? 0 : column + 2;
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      List<String> pieces = new ArrayList<>();
      String rest = stripEnd(line);
      int start = column;
      while (rest.length() > width) {
        int cut = rest.lastIndexOf(' ', width);
        while (cut > start && rest.charAt(cut - 1) == ' ') cut--;
        if (cut <= start) {
          int next = rest.indexOf(' ', Math.max(start, width));
          if (next < 0) break;
          cut = next;
        }
        pieces.add(rest.substring(0, cut));
        String tail = rest.substring(cut).stripLeading();
        if (tail.isEmpty()) {
          rest = "";
          break;
        }
        rest = " ".repeat(indent) + tail;
        start = indent;
      }
      pieces.add(rest);
      for (String p : pieces) out.append(p).append('\n');
    }
    out.setLength(out.length() - 1); // the split's last element added a newline of its own
    return out.toString();
  }

  private static String stripEnd(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == ' ') end--;
    return s.substring(0, end);
  }
}
