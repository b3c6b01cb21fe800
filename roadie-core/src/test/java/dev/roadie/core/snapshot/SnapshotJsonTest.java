package dev.roadie.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.roadie.core.Id;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Snapshot JSON as earlier versions wrote it still reads; the copy record round-trips. */
class SnapshotJsonTest {
  static final String REPO = "aa".repeat(32);
  static final String ORIGINAL = "bb".repeat(32);

  /**
   * A copy as versions before the copy record wrote it: the copy's own statistics, origin in
   * source.
   */
  static final String OLD_COPY =
      "{\"version\":1,\"time\":\"2026-01-31T02:00+01:00\",\"target\":\"/tmp/docs-data\","
          + "\"kind\":\"file\",\"host\":\"vm\",\"user\":\"root\",\"tags\":[],\"paths\":[\"/tmp/docs-data\"],"
          + "\"tree\":\""
          + "cc".repeat(32)
          + "\",\"stats\":{\"bytesRead\":4288898,\"bytesAdded\":3109254,\"blobsAdded\":8,"
          + "\"files\":4,\"durationMillis\":1258},\"source\":{\"copiedFrom\":{\"repository\":\""
          + REPO
          + "\",\"snapshot\":\""
          + ORIGINAL
          + "\"}}}";

  @Test
  void anOldCopyReadsAndKeepsItsOrigin() throws Exception {
    Snapshot s = Json.read(OLD_COPY.getBytes(StandardCharsets.UTF_8), Snapshot.class, "snapshot");
    assertNull(s.copy());
    assertEquals(new Snapshot.Stats(4288898, 3109254, 8, 4, 1258), s.stats());
    assertEquals(
        new SnapshotCopier.Origin(REPO, ORIGINAL),
        SnapshotCopier.origin(new SnapshotRef(Id.random(), s), Id.random()));
  }

  @Test
  void theCopyRecordRoundTrips() throws Exception {
    Snapshot.Stats original = new Snapshot.Stats(5330197, 5242887, 40, 29, 3000);
    Snapshot.Copy copy =
        new Snapshot.Copy(
            REPO,
            ORIGINAL,
            "2026-02-01T03:00:00.123Z",
            new Snapshot.Stats(5242887, 5243000, 40, 2, 900));
    Snapshot s =
        new Snapshot(
            1,
            "2026-01-31T02:00+01:00",
            "t",
            "file",
            "h",
            "u",
            java.util.List.of(),
            java.util.List.of(),
            "cc".repeat(32),
            null,
            original,
            java.util.Map.of(),
            copy);
    Snapshot back = Json.read(Json.write(s), Snapshot.class, "snapshot");
    assertEquals(s, back);
    assertNull(
        Json.read(
                Json.write(
                    new Snapshot(
                        1,
                        "2026-01-31T02:00+01:00",
                        "t",
                        "file",
                        "h",
                        "u",
                        java.util.List.of(),
                        java.util.List.of(),
                        "cc".repeat(32),
                        null,
                        original,
                        java.util.Map.of())),
                Snapshot.class,
                "snapshot")
            .copy(),
        "a backup writes no copy record");
  }
}
