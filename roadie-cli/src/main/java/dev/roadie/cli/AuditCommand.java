package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.AuditEntry;
import dev.roadie.core.repo.AuditLog;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.retention.Span;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "audit",
    description = {
      "List the audit trail, oldest first: one entry per operation on the repository.",
      "Each says who ran it, from which host, with which key file, on which targets and snapshots, and how it ended.",
      "Entries that do not open (changed in storage) are reported on stderr and make the exit status 3."
    })
final class AuditCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(
      names = "--since",
      paramLabel = "TIME|SPAN",
      description =
          "Only entries that ended at or after TIME "
              + "(2026-11-24T07:31:50Z, '2026-11-24 08:31:50+01:00', 2026-11-24 for midnight UTC) or within SPAN before now "
              + "(30d, 36h, 1m2d: years y, months m, days d, hours h).")
  String since;

  @Option(names = "--json", description = "Print a JSON array of the entries.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Instant from = since == null ? null : since(since, Instant.now());
    try (Repository r = repo.open()) {
      List<String> problems = new ArrayList<>();
      List<AuditLog.Stored> entries = AuditLog.entries(r, from, problems);
      for (String p : problems) System.err.println("roadie: " + p);
      if (json) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AuditLog.Stored s : entries) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", s.id().hex());
          m.putAll(Json.MAPPER.convertValue(s.entry(), Map.class));
          out.add(m);
        }
        System.out.println(Json.writePretty(out));
      } else {
        Table t =
            new Table(
                "ID", "TIME", "OPERATION", "HOST", "USER", "KEY", "TARGETS", "SNAPSHOTS", "RESULT");
        for (AuditLog.Stored s : entries) {
          AuditEntry e = s.entry();
          t.row(
              s.id().shortHex(),
              e.time(),
              e.operation(),
              e.host(),
              e.user(),
              e.keyId() == null ? "-" : e.keyId().substring(0, 8),
              e.targets().isEmpty() ? "-" : String.join(",", e.targets()),
              e.snapshots().isEmpty()
                  ? "-"
                  : String.join(",", e.snapshots().stream().map(x -> x.substring(0, 8)).toList()),
              e.result());
          if (e.error() != null) t.line("    " + e.error());
        }
        System.out.print(t.render(""));
        System.out.println(Plural.count(entries.size(), "entry", "entries"));
      }
      return problems.isEmpty() ? 0 : ErrorCode.INTEGRITY.exitCode();
    }
  }

  /**
   * The moment {@code --since} names: a time with an offset, a date (UTC midnight), or a span back
   * from {@code now}.
   */
  static Instant since(String text, Instant now) {
    String t = text.trim();
    if (t.matches("\\d{4}-\\d\\d-\\d\\d")) {
      return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
    if (t.matches("\\d{4}-\\d\\d-\\d\\d[T ].*")) {
      return DrillCommand.time("--since", t);
    }
    try {
      return Span.parse(t).before(OffsetDateTime.ofInstant(now, ZoneOffset.UTC)).toInstant();
    } catch (IllegalArgumentException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--since "
              + t
              + " is neither a time (2026-11-24T07:31:50Z, "
              + "2026-11-24) nor a span: "
              + e.getMessage());
    }
  }
}
