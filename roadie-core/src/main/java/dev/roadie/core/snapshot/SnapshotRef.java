package dev.roadie.core.snapshot;

import dev.roadie.core.Id;
import java.time.OffsetDateTime;

/** A snapshot with the id it is stored under. */
public record SnapshotRef(Id id, Snapshot snapshot) {
  public OffsetDateTime time() {
    return OffsetDateTime.parse(snapshot.time());
  }
}
