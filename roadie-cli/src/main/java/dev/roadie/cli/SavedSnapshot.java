package dev.roadie.cli;

import dev.roadie.core.json.Json;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.time.Duration;
import java.util.List;

/** The report of a saved snapshot, the same for every kind: one line, or the snapshot as JSON. */
final class SavedSnapshot {
  private SavedSnapshot() {}

  /**
   * Prints {@code snapshot ID of TARGET saved: WORDS, READ read, ADDED added in TIME (RATE)}, the
   * kind's words from its source ({@link Sources#summary}); with {@code json}, the snapshot in the
   * shape of {@code snapshots --json}. Warnings go to standard error first.
   */
  static void print(SnapshotRef ref, List<String> warnings, boolean json) {
    for (String w : warnings) {
      System.err.println("roadie: warning: " + w);
    }
    if (json) {
      System.out.println(Json.writePretty(SnapshotsCommand.view(ref)));
      return;
    }
    Snapshot s = ref.snapshot();
    Snapshot.Stats st = s.stats();
    System.out.println(
        "snapshot "
            + ref.id().shortHex()
            + " of "
            + s.target()
            + " saved: "
            + Sources.summary(s)
            + ", "
            + Format.bytes(st.bytesRead())
            + " read, "
            + Format.bytes(st.bytesAdded())
            + " added in "
            + Format.duration(Duration.ofMillis(st.durationMillis()))
            + " ("
            + Format.rate(st.bytesRead(), st.durationMillis() * 1_000_000)
            + ")");
  }
}
