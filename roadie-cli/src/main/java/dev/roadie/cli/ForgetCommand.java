package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.retention.Retention;
import dev.roadie.core.retention.RetentionPolicy;
import dev.roadie.core.retention.Span;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.Sources;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "forget",
    description = {
      "Remove snapshots that no --keep-* rule keeps, per group (restic's semantics; see docs/retention.md).",
      "Only the snapshots are removed; the data they alone used is freed by 'prune' (or --prune)."
    })
final class ForgetCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Option(names = "--target", paramLabel = "NAME", description = "Only snapshots of this target.")
  String target;

  @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest snapshots.")
  int last;

  @Option(
      names = "--keep-hourly",
      paramLabel = "N",
      description = "Keep the newest snapshot of each of the last N hours that have one.")
  int hourly;

  @Option(
      names = "--keep-daily",
      paramLabel = "N",
      description = "... of each of the last N days that have one.")
  int daily;

  @Option(
      names = "--keep-weekly",
      paramLabel = "N",
      description = "... of each of the last N ISO weeks that have one.")
  int weekly;

  @Option(
      names = "--keep-monthly",
      paramLabel = "N",
      description = "... of each of the last N months that have one.")
  int monthly;

  @Option(
      names = "--keep-yearly",
      paramLabel = "N",
      description = "... of each of the last N years that have one (-1: all).")
  int yearly;

  @Option(
      names = "--keep-within",
      paramLabel = "SPAN",
      description =
          "Keep every snapshot newer than the group's newest minus SPAN, e.g. 30d, 1y6m, 36h.")
  String within;

  @Option(
      names = "--keep-tag",
      paramLabel = "TAG",
      description = "Keep every snapshot with this tag (repeatable).")
  List<String> keepTags = new ArrayList<>();

  @Option(
      names = "--group-by",
      paramLabel = "KEY",
      description = "Apply the rules per target (default), host or tags.")
  String groupBy = "target";

  @Option(names = "--dry-run", description = "Only say what would be removed.")
  boolean dryRun;

  @Option(
      names = "--prune",
      description = "Then run 'prune' (with its --grace, --max-unused, --wait).")
  boolean prune;

  @Mixin PruneOptions pruneOptions;

  @Option(
      names = "--json",
      description = "Print, per group, what is kept (and why) and what is removed.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    dev.roadie.core.prune.Pruner.Options pruning = prune ? pruneOptions.options(dryRun) : null;
    if (!List.of("target", "host", "tags").contains(groupBy)) {
      throw new RoadieException(
          ErrorCode.USAGE, "--group-by takes target, host or tags, not " + groupBy);
    }
    Span span;
    try {
      span = within == null ? null : Span.parse(within);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(ErrorCode.USAGE, "--keep-within " + e.getMessage());
    }
    RetentionPolicy policy;
    try {
      policy = new RetentionPolicy(last, hourly, daily, weekly, monthly, yearly, span, keepTags);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(ErrorCode.USAGE, e.getMessage());
    }
    if (policy.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no --keep-* rule given: every snapshot would be removed; "
              + "say what to keep, e.g. --keep-daily 7 --keep-weekly 5 --keep-monthly 12");
    }
    try (Repository r = repo.open()) {
      SnapshotFilter filter = filters.filter(target);
      Map<String, List<Retention.Item<SnapshotRef>>> groups = new TreeMap<>();
      List<SnapshotRef> all = r.snapshots(null);
      for (SnapshotRef s : all) {
        if (!filter.matches(s.snapshot())) continue;
        groups
            .computeIfAbsent(groupKey(s.snapshot()), k -> new ArrayList<>())
            .add(new Retention.Item<>(s, s.time(), s.snapshot().tags()));
      }
      List<Map<String, Object>> report = new ArrayList<>();
      List<SnapshotRef> removedRefs = new ArrayList<>();
      int removed = 0;
      for (var group : groups.entrySet()) {
        Retention.Decision<SnapshotRef> d = Retention.apply(policy, group.getValue());
        Map<String, Object> g = new LinkedHashMap<>();
        g.put(groupBy, group.getKey());
        List<Map<String, Object>> keep = new ArrayList<>();
        for (Retention.Kept<SnapshotRef> k : d.keep()) {
          keep.add(
              Map.of(
                  "id",
                  k.value().id().hex(),
                  "time",
                  k.value().snapshot().time(),
                  "reasons",
                  k.reasons()));
        }
        List<Map<String, Object>> remove = new ArrayList<>();
        for (SnapshotRef s : d.remove()) {
          remove.add(Map.of("id", s.id().hex(), "time", s.snapshot().time()));
        }
        g.put("keep", keep);
        g.put("remove", remove);
        report.add(g);
        if (!json) {
          System.out.println(
              groupBy
                  + " "
                  + group.getKey()
                  + ": keep "
                  + keep.size()
                  + ", remove "
                  + remove.size());
          for (Retention.Kept<SnapshotRef> k : d.keep()) {
            System.out.printf(
                "  keep    %s  %s  (%s)%n",
                k.value().id().shortHex(),
                k.value().snapshot().time(),
                String.join(", ", k.reasons()));
          }
          for (SnapshotRef s : d.remove()) {
            System.out.printf(
                "  %s  %s  %s%n",
                dryRun ? "would remove" : "remove", s.id().shortHex(), s.snapshot().time());
          }
        }
        removedRefs.addAll(d.remove());
        if (!dryRun) {
          for (SnapshotRef s : d.remove()) {
            r.forgetSnapshot(s.id());
            if (r.audit() != null) r.audit().snapshot(s.id(), s.snapshot().target());
            removed++;
          }
        }
      }
      forgetSideObjects(r, all, removedRefs);
      if (pruning != null) {
        if (json) {
          System.out.println(
              Json.writePretty(
                  Map.of("forget", report, "prune", PruneCommand.run(r, pruning, true))));
        } else {
          System.out.println(
              dryRun
                  ? "dry run: nothing removed"
                  : removed + (removed == 1 ? " snapshot" : " snapshots") + " removed");
          PruneCommand.run(r, pruning, false);
        }
        return 0;
      }
      if (json) {
        System.out.println(Json.writePretty(report));
      } else {
        System.out.println(
            dryRun
                ? "dry run: nothing removed"
                : removed
                    + (removed == 1 ? " snapshot" : " snapshots")
                    + " removed; their data is freed by 'prune'");
      }
      return 0;
    }
  }

  /**
   * The sources' side objects (a cluster's archived WAL) that no remaining snapshot needs. Every
   * snapshot that stays counts, not only those this forget's filter chose.
   */
  private void forgetSideObjects(Repository r, List<SnapshotRef> all, List<SnapshotRef> removed)
      throws IOException {
    java.util.Set<dev.roadie.core.Id> gone = new java.util.HashSet<>();
    for (SnapshotRef s : removed) gone.add(s.id());
    List<SnapshotRef> remaining = all.stream().filter(s -> !gone.contains(s.id())).toList();
    for (SourceProvider source : Sources.all()) {
      for (SideObjects.Removed x : source.forget(new SideObjects.Forget(r, remaining, dryRun))) {
        // In --json mode stdout carries only the JSON report.
        (json ? System.err : System.out)
            .println(
                (dryRun ? "would remove " : "removed ")
                    + x.what()
                    + ": "
                    + Plural.count(x.objects(), x.unit())
                    + " ("
                    + Format.bytes(x.bytes())
                    + ") "
                    + x.reason()
                    + (x.held() == null ? "" : "; " + x.held()));
      }
    }
  }

  private String groupKey(Snapshot s) {
    return switch (groupBy) {
      case "host" -> String.valueOf(s.host());
      case "tags" -> s.tags() == null ? "" : String.join(",", s.tags().stream().sorted().toList());
      default -> String.valueOf(s.target());
    };
  }
}
