package dev.roadie.core.verify;

import dev.roadie.core.Id;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.AuditOperation;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Future;

/**
 * Verification, drill and run records in a repository: each a small sealed object under its own
 * prefix ({@code verifications/}, {@code drills/}, {@code runs/}), named by a random id, written
 * once and never changed (as snapshots are). {@code prune} and {@code forget} leave them alone: a
 * record of a snapshot that is gone stays a true account of what was proven then.
 */
public final class Records {
  private Records() {}

  /** A stored record with its id. */
  public record Stored<T>(Id id, T record) {}

  /** Writes a record; it names the audit entry of the repository's current operation, if any. */
  public static Id write(Repository repo, VerificationRecord r) throws IOException {
    AuditOperation op = repo.audit();
    if (op != null && r.snapshot() != null) op.snapshot(Id.parse(r.snapshot()), r.target());
    return write(repo, ObjectKind.VERIFICATION, op == null ? r : r.withAudit(op.id().hex()));
  }

  public static Id write(Repository repo, DrillRecord r) throws IOException {
    AuditOperation op = repo.audit();
    if (op != null) {
      for (DrillRecord.Target t : r.targets()) {
        if (t.snapshot() != null) op.snapshot(Id.parse(t.snapshot()), t.target());
        else op.target(t.target());
      }
    }
    return write(repo, ObjectKind.DRILL, op == null ? r : r.withAudit(op.id().hex()));
  }

  public static Id write(Repository repo, RunRecord r) throws IOException {
    return write(repo, ObjectKind.RUN, r);
  }

  private static Id write(Repository repo, ObjectKind kind, Object record) throws IOException {
    Id id = Id.random();
    repo.writeSealed(ObjectName.of(kind, id.hex()), Json.write(record));
    return id;
  }

  /**
   * Every readable verification record, oldest first (by finish time); unreadable ones go to {@code
   * problems}.
   */
  public static List<Stored<VerificationRecord>> verifications(
      Repository repo, List<String> problems) throws IOException {
    List<Stored<VerificationRecord>> out =
        read(repo, ObjectKind.VERIFICATION, VerificationRecord.class, problems);
    out.sort(
        Comparator.comparing((Stored<VerificationRecord> s) -> instant(s.record().finished()))
            .thenComparing(s -> s.id().hex()));
    return out;
  }

  /** Every readable drill record, oldest first; unreadable ones go to {@code problems}. */
  public static List<Stored<DrillRecord>> drills(Repository repo, List<String> problems)
      throws IOException {
    List<Stored<DrillRecord>> out = read(repo, ObjectKind.DRILL, DrillRecord.class, problems);
    out.sort(
        Comparator.comparing((Stored<DrillRecord> s) -> instant(s.record().finished()))
            .thenComparing(s -> s.id().hex()));
    return out;
  }

  /**
   * Every readable run record, oldest first (by finish time); unreadable ones go to {@code
   * problems}.
   */
  public static List<Stored<RunRecord>> runs(Repository repo, List<String> problems)
      throws IOException {
    List<Stored<RunRecord>> out = read(repo, ObjectKind.RUN, RunRecord.class, problems);
    out.sort(
        Comparator.comparing((Stored<RunRecord> s) -> instant(s.record().finished()))
            .thenComparing(s -> s.id().hex()));
    return out;
  }

  /**
   * Instants compare as times, not as text (a fraction of a second is written only when not zero).
   */
  private static java.time.Instant instant(String text) {
    try {
      return java.time.Instant.parse(text);
    } catch (RuntimeException e) {
      return java.time.Instant.EPOCH;
    }
  }

  private static <T> List<Stored<T>> read(
      Repository repo, ObjectKind kind, Class<T> type, List<String> problems) throws IOException {
    List<ObjectInfo> infos = repo.backend().list(kind);
    List<Future<T>> reads = new ArrayList<>();
    for (ObjectInfo info : infos) {
      reads.add(
          repo.io()
              .submit(
                  () ->
                      Json.read(
                          repo.readSealed(info.name()),
                          type,
                          kind.directory() + " object " + info.name().id())));
    }
    List<Stored<T>> out = new ArrayList<>();
    for (int i = 0; i < infos.size(); i++) {
      try {
        out.add(new Stored<>(Id.parse(infos.get(i).name().id()), Repository.await(reads.get(i))));
      } catch (IOException | RuntimeException e) {
        problems.add(
            kind.directory()
                + " object "
                + infos.get(i).name().id().substring(0, 8)
                + " is unreadable: "
                + e.getMessage());
      }
    }
    return out;
  }
}
