package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "snapshots", description = "List snapshots, oldest first.")
final class SnapshotsCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Option(names = "--target", paramLabel = "NAME", description = "Only snapshots of this target.")
  String target;

  @Option(
      names = "--json",
      description = "Print a JSON array (a stable contract; see docs/commands.md).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Repository r = repo.open()) {
      List<String> problems = new ArrayList<>();
      SnapshotFilter filter = filters.filter(target);
      List<SnapshotRef> refs =
          r.snapshots(problems).stream().filter(s -> filter.matches(s.snapshot())).toList();
      for (String p : problems) {
        System.err.println("roadie: warning: " + p + " (run 'roadie check')");
      }
      PhysicalWindows windows = new PhysicalWindows(r);
      if (json) {
        Map<String, Map<String, Object>> verified = lastVerifications(r);
        List<Map<String, Object>> out = new ArrayList<>();
        for (SnapshotRef ref : refs) {
          Map<String, Object> m = windows.addTo(view(ref), ref);
          if (verified.containsKey(ref.id().hex()))
            m.put("lastVerification", verified.get(ref.id().hex()));
          out.add(m);
        }
        System.out.println(Json.writePretty(out));
        return 0;
      }
      System.out.print(table(refs, windows).render(""));
      System.out.println(Plural.count(refs.size(), "snapshot"));
      return 0;
    }
  }

  /**
   * Per snapshot id, its newest verification record: id, finished, result and the checks that
   * failed.
   */
  private static Map<String, Map<String, Object>> lastVerifications(Repository r)
      throws java.io.IOException {
    Map<String, Map<String, Object>> out = new java.util.HashMap<>();
    for (var s :
        dev.roadie.core.verify.Records.verifications(
            r, new ArrayList<>())) { // oldest first: newest wins
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", s.id().hex());
      m.put("finished", s.record().finished());
      m.put("result", s.record().result());
      m.put(
          "failedChecks",
          s.record().checks().stream()
              .filter(dev.roadie.core.source.Check::failed)
              .map(dev.roadie.core.source.Check::name)
              .toList());
      out.put(s.record().snapshot(), m);
    }
    return out;
  }

  /** The listing's table: one row per snapshot, and under a physical one its recoverable window. */
  static Table table(List<SnapshotRef> refs, PhysicalWindows windows) {
    Table t = new Table("ID", "TIME", "TARGET", "KIND", "HOST", "SIZE>", "ADDED>", "TAGS");
    for (SnapshotRef ref : refs) {
      Snapshot s = ref.snapshot();
      t.row(
          ref.id().shortHex(),
          s.time(),
          s.target(),
          s.kind(),
          s.host(),
          Format.bytes(s.stats().bytesRead()),
          Format.bytes(s.stats().bytesAdded()),
          s.tags() == null ? "" : String.join(",", s.tags()));
      String window = windows.line(ref);
      if (window != null) t.line("          " + window);
    }
    return t;
  }

  /** The JSON shape of one snapshot in listings: the stored fields plus its id. */
  static Map<String, Object> view(SnapshotRef ref) {
    Snapshot s = ref.snapshot();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", ref.id().hex());
    m.put("shortId", ref.id().shortHex());
    m.put("time", s.time());
    m.put("target", s.target());
    m.put("kind", s.kind());
    m.put("host", s.host());
    m.put("user", s.user());
    m.put("tags", s.tags() == null ? List.of() : s.tags());
    m.put("paths", s.paths() == null ? List.of() : s.paths());
    m.put("tree", s.tree());
    if (s.parent() != null) m.put("parent", s.parent());
    m.put("stats", s.stats());
    m.put("source", s.source() == null ? Map.of() : s.source());
    if (s.copy() != null) m.put("copy", s.copy());
    if (s.audit() != null) m.put("audit", s.audit());
    return m;
  }
}
