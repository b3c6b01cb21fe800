package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.source.Check;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.VerificationRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verifications", description = "List the records of 'roadie verify', newest last.")
final class VerificationsCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(names = "--of", paramLabel = "TARGET", description = "Only verifications of this target.")
  String of;

  @Option(
      names = "--kind",
      paramLabel = "KIND",
      description = "Only verifications of snapshots of this kind.")
  String kind;

  @Option(names = "--json", description = "Print a JSON array of the records.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Repository r = repo.open()) {
      List<String> problems = new ArrayList<>();
      FilterOptions f = new FilterOptions();
      f.kind = kind;
      SnapshotFilter filter = f.filter(of);
      List<Records.Stored<VerificationRecord>> records =
          Records.verifications(r, problems).stream()
              .filter(s -> matches(filter, s.record()))
              .toList();
      for (String p : problems)
        System.err.println("roadie: warning: " + p + " (run 'roadie check')");
      if (json) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Records.Stored<VerificationRecord> s : records) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", s.id().hex());
          m.putAll(VerifyCommand.view(s.record()));
          out.add(m);
        }
        System.out.println(Json.writePretty(out));
        return 0;
      }
      Table t =
          new Table("ID", "FINISHED", "SNAPSHOT", "TARGET", "KIND", "RESULT", "FAILED CHECKS");
      for (Records.Stored<VerificationRecord> s : records) {
        VerificationRecord v = s.record();
        t.row(
            s.id().shortHex(),
            v.finished(),
            v.snapshot().substring(0, 8),
            v.target(),
            v.kind(),
            v.result(),
            v.checks().stream()
                .filter(Check::failed)
                .map(Check::name)
                .collect(Collectors.joining(",")));
      }
      System.out.print(t.render(""));
      System.out.println(Plural.count(records.size(), "verification"));
      return 0;
    }
  }

  /** A record matches when a snapshot of its target and kind would. */
  private static boolean matches(SnapshotFilter f, VerificationRecord v) {
    return f.matches(
        new dev.roadie.core.snapshot.Snapshot(
            1,
            v.snapshotTime(),
            v.target(),
            v.kind(),
            v.host(),
            v.user(),
            List.of(),
            List.of(),
            null,
            null,
            null,
            Map.of()));
  }
}
