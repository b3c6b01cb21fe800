package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.check.Checker;
import dev.roadie.core.check.PackSlice;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "check",
    description = {
      "Verify the repository: keys, index, pack headers, snapshots, and the side objects sources keep beside them",
      "(the archived WAL physical PostgreSQL snapshots need to recover); with --read-data every blob's bytes and every",
      "archived object's.",
      "Exit 0 when every snapshot can be restored, 3 when something is damaged (the output names the snapshots)."
    })
final class CheckCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(
      names = "--read-data",
      description =
          "Also read, decrypt and verify every blob of every pack and every archived WAL file.")
  boolean readData;

  @Option(
      names = "--read-data-subset",
      paramLabel = "N%|n/m",
      description =
          "Read and verify a random N%% of the packs "
              + "and of the archived WAL files (e.g. 10%%), or the n-th of m slices by pack id (e.g. 3/7): runs with n = 1 … m "
              + "read every pack once.")
  String subset;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    double share = readData ? 1.0 : 0.0;
    PackSlice slice = subset == null ? null : PackSlice.parse(subset);
    if (subset != null && readData) {
      throw new RoadieException(
          ErrorCode.USAGE, "give --read-data or --read-data-subset, not both");
    }
    if (subset != null && slice == null) {
      String s = subset.endsWith("%") ? subset.substring(0, subset.length() - 1) : subset;
      try {
        share = Double.parseDouble(s) / 100.0;
      } catch (NumberFormatException e) {
        share = -1;
      }
      if (!(share > 0 && share <= 1)) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--read-data-subset takes a percentage in (0, 100], e.g. 10%, "
                + "or a slice n/m, e.g. 3/7");
      }
    }
    try (Repository r = repo.open()) {
      Checker checker =
          new Checker(
              r,
              msg -> {
                if (!json) System.err.println(msg);
              });
      Checker.Report report = slice != null ? checker.run(slice) : checker.run(share);
      report = withRecords(r, report);
      if (json) {
        Map<String, Object> out =
            new LinkedHashMap<>(
                Json.MAPPER.convertValue(
                    report,
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
        if (slice != null) out.put("slice", slice.toString());
        System.out.println(Json.writePretty(out));
      } else {
        for (String w : report.warnings()) System.out.println("warning: " + w);
        for (String e : report.errors()) System.out.println("error: " + e);
        System.out.println(
            Plural.count(report.snapshots(), "snapshot")
                + ", "
                + Plural.count(report.packs(), "pack")
                + ", "
                + Plural.count(report.blobs(), "blob")
                + (report.packsRead() > 0 || slice != null
                    ? ", "
                        + Plural.count(report.packsRead(), "pack")
                        + " read in full"
                        + (slice != null ? " (slice " + slice + ")" : "")
                    : "")
                + ": "
                + (report.ok()
                    ? "no errors"
                    : Plural.count(report.errors().size(), "error")
                        + "; damaged snapshots: "
                        + (report.damagedSnapshots().isEmpty()
                            ? "none"
                            : String.join(
                                " ",
                                report.damagedSnapshots().stream()
                                    .map(id -> id.substring(0, 8))
                                    .toList()))));
      }
      return report.ok() ? 0 : ErrorCode.INTEGRITY.exitCode();
    }
  }

  /** Adds verification and drill records that do not open or decode to the report's errors. */
  private Checker.Report withRecords(Repository r, Checker.Report report) throws IOException {
    if (!json) System.err.println("checking verification and drill records");
    List<String> problems = new ArrayList<>();
    dev.roadie.core.verify.Records.verifications(r, problems);
    dev.roadie.core.verify.Records.drills(r, problems);
    if (problems.isEmpty()) return report;
    List<String> errors = new ArrayList<>(report.errors());
    for (String p : problems)
      errors.add(p + "; the record is lost, the snapshots are not affected");
    return new Checker.Report(
        errors,
        report.warnings(),
        report.damagedSnapshots(),
        report.packs(),
        report.packsRead(),
        report.blobs(),
        report.snapshots());
  }
}
