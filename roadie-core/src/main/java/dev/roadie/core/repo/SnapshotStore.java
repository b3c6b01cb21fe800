package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.json.Json;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The snapshots of a {@link Repository} (whose public methods delegate here): listing them, reading
 * one, and resolving what a user typed (an id, a prefix, {@code latest}).
 */
final class SnapshotStore {
  private final Repository repo;

  SnapshotStore(Repository repo) {
    this.repo = repo;
  }

  /**
   * Every readable snapshot, oldest first. Unreadable ones are reported through {@code problems};
   * one deleted between the listing and its reading is left out.
   */
  List<SnapshotRef> snapshots(List<String> problems) throws IOException {
    Set<String> forgotten = tombstones(problems);
    List<ObjectInfo> files = new ArrayList<>(repo.backend().list(ObjectKind.SNAPSHOT));
    files.removeIf(f -> forgotten.contains(f.name().id()));
    List<Future<SnapshotRef>> futures = new ArrayList<>();
    for (ObjectInfo f : files) {
      futures.add(repo.io().submit(() -> readSnapshot(Id.parse(f.name().id()))));
    }
    List<SnapshotRef> out = new ArrayList<>();
    for (int i = 0; i < futures.size(); i++) {
      try {
        out.add(futures.get(i).get());
      } catch (ExecutionException e) {
        // Forgotten since the listing (a forget runs beside this command): not a snapshot any more.
        if (e.getCause() instanceof dev.roadie.core.backend.NoSuchObjectException) continue;
        if (problems == null) {
          throw Repository.unwrap(e);
        }
        problems.add("snapshot " + files.get(i).name().id() + ": " + e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading snapshots", e);
      }
    }
    out.sort(
        Comparator.comparing((SnapshotRef r) -> r.time().toInstant())
            .thenComparing(SnapshotRef::id));
    return out;
  }

  /** What a tombstone says: which snapshot was forgotten, when, where and by whom. */
  record Tombstone(int version, String snapshot, String time, String host, String user) {}

  void writeTombstone(Id snapshot) throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.TOMBSTONE, snapshot.hex());
    repo.writeSealed(
        name,
        Json.write(
            new Tombstone(
                1, snapshot.hex(), Instant.now().toString(), Hosts.host(), Hosts.user())));
  }

  /**
   * Ids of the snapshots that tombstones mark as forgotten. Only a tombstone that opens under the
   * repository's key counts (anyone who can merely write to the storage cannot hide a snapshot);
   * one that does not is reported through {@code problems} (or fails, when that is null).
   */
  Set<String> tombstones(List<String> problems) throws IOException {
    Set<String> out = new HashSet<>();
    for (ObjectInfo f : repo.backend().list(ObjectKind.TOMBSTONE)) {
      try {
        Tombstone t =
            Json.read(repo.readSealed(f.name()), Tombstone.class, "tombstone " + f.name().id());
        if (f.name().id().equals(t.snapshot())) out.add(t.snapshot());
      } catch (dev.roadie.core.backend.NoSuchObjectException e) {
        // gone since the listing: its snapshot was deleted with it
      } catch (IOException | RuntimeException e) {
        String what =
            "tombstone "
                + f.name().id()
                + " is unreadable ("
                + e.getMessage()
                + "); the snapshot it names "
                + "is still listed";
        if (problems == null) throw new RoadieException(ErrorCode.INTEGRITY, what, e);
        problems.add(what);
      }
    }
    return out;
  }

  SnapshotRef readSnapshot(Id id) throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.SNAPSHOT, id.hex());
    Snapshot s = Json.read(repo.readSealed(name), Snapshot.class, "snapshot " + id.shortHex());
    if (s.version() > Snapshot.VERSION) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "snapshot "
              + id.shortHex()
              + " has format version "
              + s.version()
              + ", newer than this roadie reads ("
              + Snapshot.VERSION
              + "); upgrade roadie");
    }
    return new SnapshotRef(id, s);
  }

  /**
   * Resolves what a user typed: a full id, a unique id prefix, or {@code latest} (the newest
   * snapshot that {@code filter} accepts).
   */
  SnapshotRef resolve(String spec, SnapshotFilter filter) throws IOException {
    if (spec == null || spec.isBlank()) {
      throw new RoadieException(
          ErrorCode.USAGE, "no snapshot given: pass an id, an id prefix or 'latest'");
    }
    if (spec.equals("latest")) {
      List<SnapshotRef> all = snapshots(null);
      SnapshotRef best = null;
      for (SnapshotRef r : all) {
        if (filter.matches(r.snapshot())) {
          best = r;
        }
      }
      if (best == null) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            repo.backend().location()
                + ": no snapshot"
                + (filter.isEmpty() ? "" : " matches " + filter)
                + "; list them with 'roadie snapshots'");
      }
      return best;
    }
    if (!spec.matches("[0-9a-f]{1,64}")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'" + spec + "' is not a snapshot id: use hex digits of an id or 'latest'");
    }
    List<ObjectName> matches = new ArrayList<>();
    List<ObjectName> forgottenMatches = new ArrayList<>();
    Set<String> forgotten = tombstones(null);
    for (ObjectInfo f : repo.backend().list(ObjectKind.SNAPSHOT)) {
      if (f.name().id().startsWith(spec)) {
        (forgotten.contains(f.name().id()) ? forgottenMatches : matches).add(f.name());
      }
    }
    if (matches.isEmpty()) {
      // A snapshot that 'forget' left to object lock is still there until the lock lets it go:
      // named
      // by its id, it can be restored (undoing a mistaken or malicious forget).
      matches = forgottenMatches;
    }
    if (matches.isEmpty()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          repo.backend().location()
              + ": no snapshot with id "
              + spec
              + "; list them with 'roadie snapshots'");
    }
    if (matches.size() > 1) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot id prefix "
              + spec
              + " is ambiguous ("
              + matches.size()
              + " snapshots); give more digits");
    }
    return readSnapshot(Id.parse(matches.get(0).id()));
  }
}
