package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.json.Json;
import dev.roadie.core.prune.PruneReport;
import dev.roadie.core.prune.Pruner;
import dev.roadie.core.repo.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "prune",
    description = {
      "Free the space of data no snapshot uses, in two phases: plan now, delete after --grace (see docs/retention.md).",
      "Safe while backups run: they never lose data they need. Run it regularly (e.g. daily, after 'forget')."
    })
final class PruneCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin PruneOptions prune;

  @Option(
      names = "--dry-run",
      description = "Only say what would be planned, repacked and deleted.")
  boolean dryRun;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Pruner.Options options = prune.options(dryRun);
    try (Repository r = repo.open()) {
      PruneReport report = run(r, options, json);
      if (json) System.out.println(Json.writePretty(report));
      return 0;
    }
  }

  /**
   * Runs prune, printing its report unless {@code json} (then the caller prints it); shared with
   * {@code forget --prune}.
   */
  static PruneReport run(Repository r, Pruner.Options options, boolean json)
      throws java.io.IOException {
    PruneReport report =
        new Pruner(
                r,
                options,
                msg -> {
                  if (!json) System.err.println("prune: " + msg);
                })
            .run();
    if (!json) print(report);
    return report;
  }

  private static void print(PruneReport report) {
    String would = report.dryRun ? "would be " : "";
    System.out.println(
        Plural.count(report.snapshots, "snapshot")
            + (report.snapshots == 1 ? " uses " : " use ")
            + report.liveBlobs
            + " of "
            + Plural.count(report.blobs, "blob")
            + "; "
            + Plural.count(report.packs, "pack")
            + ", "
            + Format.bytes(report.packBytes));
    if (report.plannedPacks > 0) {
      System.out.println(
          Plural.count(report.plannedPacks, "pack")
              + " ("
              + Format.bytes(report.plannedBytes)
              + ") "
              + would
              + "planned for deletion: "
              + report.unusedPacks
              + " unused, "
              + report.repackedPacks
              + " repacked ("
              + Plural.count(report.repackedBlobs, "live blob")
              + " copied into "
              + Plural.count(report.packsWritten, "new pack")
              + ", "
              + Format.bytes(report.bytesWritten)
              + "), "
              + report.unindexedPacks
              + " in no index"
              + (report.planId == null ? "" : "; plan " + report.planId.substring(0, 8)));
    }
    if (!report.plansCarriedOut.isEmpty()) {
      System.out.println(
          Plural.count(report.packsDeleted, "pack")
              + " ("
              + Format.bytes(report.bytesDeleted)
              + ") "
              + would
              + "deleted; "
              + Plural.count(report.indexFilesDeleted, "index file")
              + " replaced by "
              + report.indexFilesWritten);
    }
    for (String k : report.kept) System.out.println("kept: " + k);
    for (PruneReport.Pending p : report.pending) {
      System.out.println(
          "plan "
              + p.plan().substring(0, 8)
              + " ("
              + Plural.count(p.packs(), "pack")
              + ") "
              + (p.waitingFor() != null
                  ? "waits for " + p.waitingFor()
                  : "is carried out by a prune after " + p.due()));
    }
    if (report.plannedPacks == 0 && report.plansCarriedOut.isEmpty() && report.pending.isEmpty()) {
      System.out.println("nothing to free");
    }
    System.out.println(
        "memory: "
            + Format.bytes(report.memoryBytes)
            + " peak heap (index "
            + Format.bytes(report.indexMemoryBytes)
            + "); "
            + Format.duration(java.time.Duration.ofMillis(report.durationMillis)));
  }
}
