package dev.roadie.core.repo;

import dev.roadie.core.Id;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An operation in progress that will leave one audit entry. Its id is chosen when it begins, so
 * what the operation writes (a snapshot, a verification record) can name the entry before the entry
 * itself is written, once the result is known. Safe for use from many threads.
 */
public final class AuditOperation {
  private final Id id = Id.random();
  private final String operation;
  private final String started = now();
  private final Set<String> targets = new LinkedHashSet<>();
  private final Set<String> snapshots = new LinkedHashSet<>();

  public AuditOperation(String operation) {
    this.operation = operation;
  }

  /** The id the entry will be written under. */
  public Id id() {
    return id;
  }

  public String operation() {
    return operation;
  }

  public synchronized void target(String target) {
    if (target != null) targets.add(target);
  }

  /** A snapshot the operation wrote, read or forgot, and its target. */
  public synchronized void snapshot(Id snapshot, String target) {
    snapshots.add(snapshot.hex());
    target(target);
  }

  /** The entry of this operation as it ended now: {@code error} null when it succeeded. */
  public synchronized AuditEntry entry(Id keyId, String error) {
    return new AuditEntry(
        AuditEntry.VERSION,
        started,
        now(),
        Hosts.host(),
        Hosts.user(),
        keyId == null ? null : keyId.hex(),
        operation,
        List.copyOf(targets),
        List.copyOf(snapshots),
        error == null ? AuditEntry.OK : AuditEntry.FAILED,
        error);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
