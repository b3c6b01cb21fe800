package dev.roadie.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotDiff;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "diff",
    description = {
      "Compare two snapshots of one kind: what was added (+), removed (-), changed (M: type,",
      "content or size; rows of a table, keys of a database) and changed in attributes only",
      "(U: mode, time, owner, headers). Content is compared by its chunk ids, not by size and",
      "time. 'roadie diff k8s' compares a cluster with manifests instead. Exit status as",
      "diff's: 0 no differences, 1 differences; 2 wrong usage, 3 damaged repository,",
      "4 any other failure."
    },
    subcommands = {KubernetesDiffCommand.class})
final class DiffCommand implements Callable<Integer>, CommandExitCodes {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Parameters(
      arity = "0..2",
      paramLabel = "SNAPSHOT",
      description = "The two snapshots, older first: id, id prefix or 'latest'.")
  List<String> snapshots = new ArrayList<>();

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description = "With 'latest': the newest snapshot of this target.")
  String of;

  @Option(names = "--json", description = "Print the differences as JSON (see docs/commands.md).")
  boolean json;

  /** 0 and 1 say whether there are differences, so every failure exits 2 or more, as diff's do. */
  @Override
  public int exitCode(ErrorCode code) {
    return switch (code) {
      case USAGE -> 2;
      case INTEGRITY -> 3;
      default -> 4;
    };
  }

  @Override
  public Integer call() throws Exception {
    if (snapshots.size() != 2) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "say what to compare: 'roadie diff SNAPSHOT SNAPSHOT' compares two "
              + "snapshots, 'roadie diff k8s (SNAPSHOT | --live) --against DIR' a Kubernetes cluster with manifests");
    }
    try (Repository r = repo.open()) {
      SnapshotFilter filter = filters.filter(of);
      SnapshotRef from = r.resolve(snapshots.get(0), filter);
      SnapshotRef to = r.resolve(snapshots.get(1), filter);
      if (!from.snapshot().kind().equals(to.snapshot().kind())) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "snapshot "
                + from.id().shortHex()
                + " is of kind '"
                + from.snapshot().kind()
                + "' and "
                + to.id().shortHex()
                + " of kind '"
                + to.snapshot().kind()
                + "'; diff compares two snapshots of one kind (see 'roadie snapshots --target NAME')");
      }
      OutputStream raw = StandardOutput.open();
      SnapshotDiff.Summary summary;
      if (json) {
        JsonGenerator g = Json.MAPPER.getFactory().createGenerator(raw);
        g.useDefaultPrettyPrinter();
        g.writeStartObject();
        g.writeObjectField("from", EntryFormat.snapshot(from));
        g.writeObjectField("to", EntryFormat.snapshot(to));
        g.writeArrayFieldStart("changes");
        summary =
            SnapshotDiff.compare(
                Sources.browse(r, from), Sources.browse(r, to), c -> g.writeObject(json(c)));
        g.writeEndArray();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("added", summary.added());
        counts.put("removed", summary.removed());
        counts.put("changed", summary.changed());
        counts.put("attributes", summary.attributes());
        g.writeObjectField("summary", counts);
        g.writeEndObject();
        g.flush();
        raw.write('\n');
      } else {
        Writer out = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
        summary =
            SnapshotDiff.compare(
                Sources.browse(r, from), Sources.browse(r, to), c -> out.write(line(c)));
        out.write(
            summary.added()
                + " added, "
                + summary.removed()
                + " removed, "
                + summary.changed()
                + " changed, "
                + summary.attributes()
                + " with changed attributes\n");
        out.flush();
      }
      raw.flush();
      return summary.any() ? 1 : 0;
    }
  }

  private static Map<String, Object> json(SnapshotDiff.Change c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", c.status());
    m.put("path", c.path());
    if (!c.fields().isEmpty()) m.put("fields", c.fields());
    if (c.from() != null) m.put("from", c.from().json());
    if (c.to() != null) m.put("to", c.to().json());
    return m;
  }

  /**
   * {@code +}, {@code -}, {@code M} or {@code U}, the path, and for a change what differs (counts
   * as before → after).
   */
  private static String line(SnapshotDiff.Change c) {
    String mark =
        switch (c.status()) {
          case SnapshotDiff.ADDED -> "+";
          case SnapshotDiff.REMOVED -> "-";
          case SnapshotDiff.CHANGED -> "M";
          default -> "U";
        };
    StringBuilder b =
        new StringBuilder(mark)
            .append("  ")
            .append(EntryFormat.path(c.to() != null ? c.to() : c.from()));
    if (!c.fields().isEmpty()) {
      List<String> words = new ArrayList<>();
      for (String f : c.fields()) {
        Object x = value(c.from(), f);
        Object y = value(c.to(), f);
        words.add(x instanceof Number && y instanceof Number ? f + " " + x + " → " + y : f);
      }
      b.append("  (").append(String.join(", ", words)).append(')');
    }
    return b.append('\n').toString();
  }

  private static Object value(dev.roadie.core.browse.Entry e, String field) {
    return "size".equals(field) ? e.size() : e.details().get(field);
  }
}
