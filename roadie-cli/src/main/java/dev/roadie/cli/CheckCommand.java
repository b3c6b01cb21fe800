package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.check.Checker;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check", description = {
    "Verify the repository: keys, index, pack headers, snapshots, and the side objects sources keep beside them",
    "(the archived WAL physical PostgreSQL snapshots need to recover); with --read-data every blob's bytes and every",
    "archived object's.",
    "Exit 0 when every snapshot can be restored, 3 when something is damaged (the output names the snapshots)."})
final class CheckCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(names = "--read-data", description = "Also read, decrypt and verify every blob of every pack and every archived WAL file.")
  boolean readData;

  @Option(names = "--read-data-subset", paramLabel = "N%", description = "Read and verify a random N%% of the packs and of the archived WAL files (e.g. 10%%).")
  String subset;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    double share = readData ? 1.0 : 0.0;
    if (subset != null) {
      if (readData) throw new RoadieException(ErrorCode.USAGE, "give --read-data or --read-data-subset, not both");
      String s = subset.endsWith("%") ? subset.substring(0, subset.length() - 1) : subset;
      try {
        share = Double.parseDouble(s) / 100.0;
      } catch (NumberFormatException e) {
        share = -1;
      }
      if (!(share > 0 && share <= 1)) {
        throw new RoadieException(ErrorCode.USAGE, "--read-data-subset takes a percentage in (0, 100], e.g. 10%");
      }
    }
    try (Repository r = repo.open()) {
      Checker.Report report = new Checker(r, msg -> {
        if (!json) System.err.println(msg);
      }).run(share);
      if (json) {
        System.out.println(Json.writePretty(report));
      } else {
        for (String w : report.warnings()) System.out.println("warning: " + w);
        for (String e : report.errors()) System.out.println("error: " + e);
        System.out.println(Plural.count(report.snapshots(), "snapshot") + ", " + Plural.count(report.packs(), "pack") + ", "
            + Plural.count(report.blobs(), "blob")
            + (report.packsRead() > 0 ? ", " + Plural.count(report.packsRead(), "pack") + " read in full" : "") + ": "
            + (report.ok() ? "no errors" : Plural.count(report.errors().size(), "error") + "; damaged snapshots: "
                + (report.damagedSnapshots().isEmpty() ? "none" : String.join(" ", report.damagedSnapshots().stream()
                    .map(id -> id.substring(0, 8)).toList()))));
      }
      return report.ok() ? 0 : ErrorCode.INTEGRITY.exitCode();
    }
  }
}
