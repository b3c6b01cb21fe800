package dev.roadie.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.Glob;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "find",
    description = {
      "Find files, tables, databases and objects by name in every snapshot (oldest first):",
      "a PATTERN without '/' matches names, one with '/' the end of paths (from the root when",
      "it starts with '/'). * matches anything but '/', ** anything, ? one character, [a-z]",
      "one of a set."
    })
final class FindCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Parameters(
      arity = "1..*",
      paramLabel = "PATTERN",
      description = "What to find (several: any of them).")
  List<String> patterns;

  @Option(names = "--target", paramLabel = "NAME", description = "Only snapshots of this target.")
  String target;

  @Option(
      names = "--snapshot",
      paramLabel = "ID",
      description = "Only this snapshot (id, id prefix or 'latest'; " + "repeatable).")
  List<String> snapshots = new ArrayList<>();

  @Option(
      names = {"-i", "--ignore-case"},
      description = "Match without regard to case.")
  boolean ignoreCase;

  @Option(
      names = "--json",
      description = "Print a JSON array (a stable contract; see docs/commands.md).")
  boolean json;

  private record Matcher(Pattern pattern, boolean wholePath) {
    boolean matches(Entry e) {
      String p = e.path().endsWith("/") ? e.path().substring(0, e.path().length() - 1) : e.path();
      return pattern.matcher(wholePath ? p : p.substring(p.lastIndexOf('/') + 1)).matches();
    }
  }

  @Override
  public Integer call() throws Exception {
    List<Matcher> matchers = new ArrayList<>();
    for (String p : patterns) {
      String g = p.startsWith("/") ? p.substring(1) : p;
      if (g.endsWith("/") && g.length() > 1) g = g.substring(0, g.length() - 1);
      boolean wholePath = p.contains("/");
      try {
        // A path pattern not anchored by a leading '/' may match below any directory, as in
        // .gitignore.
        String regex = (wholePath && !p.startsWith("/") ? "(?:.*/)?" : "") + Glob.regex(g);
        matchers.add(
            new Matcher(
                Pattern.compile(
                    regex,
                    Pattern.DOTALL
                        | (ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0)),
                wholePath));
      } catch (IllegalArgumentException e) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "'"
                + p
                + "' is not a valid pattern: "
                + (e instanceof PatternSyntaxException s ? s.getDescription() : e.getMessage()));
      }
    }
    try (Repository r = repo.open()) {
      SnapshotFilter filter = filters.filter(target);
      List<SnapshotRef> refs = new ArrayList<>();
      if (snapshots.isEmpty()) {
        List<String> problems = new ArrayList<>();
        for (SnapshotRef s : r.snapshots(problems)) {
          if (filter.matches(s.snapshot())) refs.add(s);
        }
        for (String p : problems)
          System.err.println("roadie: warning: " + p + " (run 'roadie check')");
      } else {
        for (String s : snapshots) refs.add(r.resolve(s, filter));
      }
      OutputStream raw = StandardOutput.open();
      JsonGenerator g = null;
      Writer out = null;
      if (json) {
        g = Json.MAPPER.getFactory().createGenerator(raw);
        g.useDefaultPrettyPrinter();
        g.writeStartArray();
      } else {
        out = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
      }
      for (SnapshotRef ref : refs) {
        try (Entries entries = Sources.browse(r, ref).walk("")) {
          while (entries.hasNext()) {
            Entry e = entries.next();
            if (!e.current() || matchers.stream().noneMatch(m -> m.matches(e))) continue;
            if (g != null) {
              Map<String, Object> m = e.json();
              m.put("snapshot", EntryFormat.snapshot(ref));
              g.writeObject(m);
            } else {
              out.write(
                  String.format(
                      "%s  %-19s  %12s  %-19s  %s%n",
                      ref.id().shortHex(),
                      EntryFormat.time(ref.snapshot().time()),
                      e.size() == null ? "-" : e.size().toString(),
                      EntryFormat.time(e.mtime()),
                      EntryFormat.path(e)));
            }
          }
        }
      }
      if (g != null) {
        g.writeEndArray();
        g.flush();
        raw.write('\n');
      } else {
        out.flush();
      }
      raw.flush();
    }
    return 0;
  }
}
