package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.Sources;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * restore dispatches on the snapshot's recorded kind: without a destination, or with one that does
 * not fit, it names the options that fit that kind (no server needed: the check comes first).
 */
class RestoreDestinationsTest {
  private static SnapshotRef snapshot(String kind) {
    Id id = Id.parse("1a2b3c4d" + "0".repeat(56));
    return new SnapshotRef(
        id,
        new Snapshot(
            1,
            "2026-01-31T02:00:00Z",
            "t",
            kind,
            "h",
            "u",
            List.of(),
            List.of(),
            "0".repeat(64),
            null,
            null,
            Map.of()));
  }

  private static String refusal(String kind, Destination d) {
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> RestoreCommand.checkFits(snapshot(kind), Sources.forKind(kind), d));
    assertEquals(ErrorCode.USAGE, e.code());
    return e.getMessage();
  }

  @Test
  void withoutADestinationTheKindsOwnOptionsAreNamed() {
    assertEquals(
        "snapshot 1a2b3c4d is a file snapshot: say where to restore it: --target DIR or --stdout",
        refusal("file", null));
    assertEquals(
        "snapshot 1a2b3c4d is a postgres snapshot: say where to restore it: --to postgresql://USER@HOST:PORT/DB",
        refusal("postgres", null));
    assertEquals(
        "snapshot 1a2b3c4d is a redis snapshot: say where to restore it: --to redis://HOST:PORT or --rdb-file PATH",
        refusal("redis", null));
    assertEquals(
        "snapshot 1a2b3c4d is a postgres-physical snapshot: say where to restore it: --pgdata DIR",
        refusal("postgres-physical", null));
    assertEquals(
        "snapshot 1a2b3c4d is a bucket snapshot: say where to restore it: --to s3://BUCKET[/PREFIX] or "
            + "s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX] or --target DIR",
        refusal("bucket", null));
  }

  @Test
  void aDestinationOfAnotherKindIsRefusedWithTheOnesThatFit() {
    assertEquals(
        "snapshot 1a2b3c4d is a file snapshot; --to redis://… does not fit it: restore it with --target DIR "
            + "or --stdout",
        refusal("file", new Destination.Server("redis://:secret@127.0.0.1:6379")));
    assertEquals(
        "snapshot 1a2b3c4d is a postgres snapshot; --to redis://… does not fit it: restore it with "
            + "--to postgresql://USER@HOST:PORT/DB",
        refusal("postgres", new Destination.Server("redis://h:1")));
    assertEquals(
        "snapshot 1a2b3c4d is a redis snapshot; --target DIR does not fit it: restore it with "
            + "--to redis://HOST:PORT or --rdb-file PATH",
        refusal("redis", new Destination.Directory(Path.of("/tmp/x"))));
    assertEquals(
        "snapshot 1a2b3c4d is a postgres-physical snapshot; --to postgres://… does not fit it: restore it "
            + "with --pgdata DIR",
        refusal("postgres-physical", new Destination.Server("postgres://h/db")));
    assertEquals(
        "snapshot 1a2b3c4d is a bucket snapshot; --stdout does not fit it: restore it with --to "
            + "s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX] or --target DIR",
        refusal("bucket", new Destination.Stream(new ByteArrayOutputStream())));
    assertEquals(
        "snapshot 1a2b3c4d is a postgres snapshot; --pgdata DIR does not fit it: restore it with "
            + "--to postgresql://USER@HOST:PORT/DB",
        refusal("postgres", new Destination.DataDirectory(Path.of("/d"))));
  }

  @Test
  void fittingDestinationsPass() {
    for (var c :
        List.of(
            Map.entry("file", (Destination) new Destination.Directory(Path.of("/tmp/x"))),
            Map.entry("file", new Destination.Stream(new ByteArrayOutputStream())),
            Map.entry("postgres", new Destination.Server("postgresql://app@db:5433/shop")),
            Map.entry("postgres", new Destination.Server("POSTGRES://app@db/shop")),
            Map.entry("redis", new Destination.Server("rediss://db:6380")),
            Map.entry("redis", new Destination.File(Path.of("dump.rdb"))),
            Map.entry("postgres-physical", new Destination.DataDirectory(Path.of("/var/lib/pg"))),
            Map.entry("bucket", new Destination.Server("s3://photos/2024")),
            Map.entry("bucket", new Destination.Server("s3:https://minio:9000/photos")),
            Map.entry("bucket", new Destination.Directory(Path.of("/tmp/x"))))) {
      assertDoesNotThrow(
          () ->
              RestoreCommand.checkFits(
                  snapshot(c.getKey()), Sources.forKind(c.getKey()), c.getValue()),
          c.toString());
    }
  }
}
