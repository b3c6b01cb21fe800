package dev.roadie.core.repo;

import java.util.List;

/**
 * One entry of the audit trail, as stored (sealed JSON in {@code audit/<id>}, written once).
 *
 * @param started when the operation began (ISO-8601 UTC)
 * @param time when it ended and this entry was written (ISO-8601 UTC)
 * @param keyId the id of the key file (and so the password) that opened the repository
 * @param operation what ran: {@code init}, {@code backup postgres}, {@code restore}, {@code
 *     verify}, {@code drill}, {@code forget}, {@code prune}, {@code copy}, {@code key add}, ...
 * @param targets the targets it concerned
 * @param snapshots the full ids of the snapshots it wrote, read, or forgot
 * @param result {@link #OK} or {@link #FAILED}
 * @param error what went wrong, when it failed (as the command printed it, without secrets)
 */
public record AuditEntry(
    int version,
    String started,
    String time,
    String host,
    String user,
    String keyId,
    String operation,
    List<String> targets,
    List<String> snapshots,
    String result,
    String error) {
  public static final int VERSION = 1;
  public static final String OK = "ok";
  public static final String FAILED = "failed";

  public AuditEntry {
    targets = targets == null ? List.of() : List.copyOf(targets);
    snapshots = snapshots == null ? List.of() : List.copyOf(snapshots);
  }

  public boolean ok() {
    return OK.equals(result);
  }
}
