package dev.roadie.dashboard.status;

import dev.roadie.core.Redact;
import dev.roadie.core.snapshot.SnapshotRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the overview and target pages show, read at {@code now}.
 *
 * @param repository the repository's location, without credentials
 * @param snapshots every readable snapshot by id (64 hex)
 * @param problems what could not be read (a damaged snapshot or record), for a banner
 */
public record DashboardStatus(
    Instant now,
    String repository,
    String repositoryId,
    List<TargetStatus> targets,
    List<ScheduleProvider.RunningJob> running,
    Map<String, SnapshotRef> snapshots,
    List<String> problems) {

  public DashboardStatus {
    targets = List.copyOf(targets);
    running = List.copyOf(running);
    problems = List.copyOf(problems);
  }

  /**
   * The target of that kind and name, or null. {@code name} may be the name as pages show it
   * (without credentials, {@link Redact#url}): links carry that form, never a password.
   */
  public TargetStatus target(String kind, String name) {
    for (TargetStatus t : targets) {
      if (t.kind().equals(kind) && t.name().equals(name)) return t;
    }
    for (TargetStatus t : targets) {
      if (t.kind().equals(kind) && Redact.url(t.name()).equals(name)) return t;
    }
    return null;
  }
}
