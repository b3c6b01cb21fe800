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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

  /** Every readable snapshot, oldest first. Unreadable ones are reported through {@code problems}. */
  List<SnapshotRef> snapshots(List<String> problems) throws IOException {
    List<ObjectInfo> files = repo.backend().list(ObjectKind.SNAPSHOT);
    List<Future<SnapshotRef>> futures = new ArrayList<>();
    for (ObjectInfo f : files) {
      futures.add(repo.io().submit(() -> readSnapshot(Id.parse(f.name().id()))));
    }
    List<SnapshotRef> out = new ArrayList<>();
    for (int i = 0; i < futures.size(); i++) {
      try {
        out.add(futures.get(i).get());
      } catch (ExecutionException e) {
        if (problems == null) {
          throw Repository.unwrap(e);
        }
        problems.add("snapshot " + files.get(i).name().id() + ": " + e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading snapshots", e);
      }
    }
    out.sort(Comparator.comparing((SnapshotRef r) -> r.time().toInstant()).thenComparing(SnapshotRef::id));
    return out;
  }

  SnapshotRef readSnapshot(Id id) throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.SNAPSHOT, id.hex());
    Snapshot s = Json.read(repo.readSealed(name), Snapshot.class, "snapshot " + id.shortHex());
    if (s.version() > Snapshot.VERSION) {
      throw new RoadieException(ErrorCode.FAILURE, "snapshot " + id.shortHex() + " has format version " + s.version()
          + ", newer than this roadie reads (" + Snapshot.VERSION + "); upgrade roadie");
    }
    return new SnapshotRef(id, s);
  }

  /**
   * Resolves what a user typed: a full id, a unique id prefix, or {@code latest} (the newest
   * snapshot that {@code filter} accepts).
   */
  SnapshotRef resolve(String spec, SnapshotFilter filter) throws IOException {
    if (spec == null || spec.isBlank()) {
      throw new RoadieException(ErrorCode.USAGE, "no snapshot given: pass an id, an id prefix or 'latest'");
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
        throw new RoadieException(ErrorCode.FAILURE, repo.backend().location() + ": no snapshot"
            + (filter.isEmpty() ? "" : " matches " + filter) + "; list them with 'roadie snapshots'");
      }
      return best;
    }
    if (!spec.matches("[0-9a-f]{1,64}")) {
      throw new RoadieException(ErrorCode.USAGE, "'" + spec + "' is not a snapshot id: use hex digits of an id or 'latest'");
    }
    List<ObjectName> matches = new ArrayList<>();
    for (ObjectInfo f : repo.backend().list(ObjectKind.SNAPSHOT)) {
      if (f.name().id().startsWith(spec)) {
        matches.add(f.name());
      }
    }
    if (matches.isEmpty()) {
      throw new RoadieException(ErrorCode.FAILURE, repo.backend().location() + ": no snapshot with id " + spec
          + "; list them with 'roadie snapshots'");
    }
    if (matches.size() > 1) {
      throw new RoadieException(ErrorCode.USAGE, "snapshot id prefix " + spec + " is ambiguous (" + matches.size()
          + " snapshots); give more digits");
    }
    return readSnapshot(Id.parse(matches.get(0).id()));
  }
}
