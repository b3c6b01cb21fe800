package dev.roadie.dashboard.status;

import dev.roadie.core.Id;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * The snapshots of a repository, kept between page views: snapshots are written once and never
 * changed, so each refresh lists {@code snapshots/} and reads only the ones it has not seen (and
 * drops those that forget removed). A page view over a repository of many snapshots then costs a
 * listing, not a read of every snapshot.
 */
final class SnapshotCache {
  private final Repository repo;
  private final Map<String, SnapshotRef> known = new HashMap<>();

  /** Every known snapshot, oldest first; rebuilt only when a snapshot came or went. */
  private List<SnapshotRef> sorted = List.of();

  SnapshotCache(Repository repo) {
    this.repo = repo;
  }

  /**
   * How long a listing of {@code snapshots/} serves page views: listing a repository of 100,000
   * snapshots takes seconds, and a dashboard a few seconds behind is still true enough.
   */
  static final Duration LISTING_TTL = Duration.ofSeconds(10);

  private boolean listedOnce;
  private long listedAt;
  private List<String> lastProblems = List.of();

  /**
   * Every readable snapshot, oldest first; unreadable ones go to {@code problems} (and are read
   * again next time). Lists the repository again only when the last listing is older than {@link
   * #LISTING_TTL}.
   */
  synchronized List<SnapshotRef> refresh(List<String> problems) throws IOException {
    if (listedOnce && System.nanoTime() - listedAt < LISTING_TTL.toNanos()) {
      problems.addAll(lastProblems);
      return sorted;
    }
    List<String> found = new ArrayList<>();
    List<SnapshotRef> out = list(found);
    listedAt = System.nanoTime();
    listedOnce = true;
    lastProblems = List.copyOf(found);
    problems.addAll(found);
    return out;
  }

  private List<SnapshotRef> list(List<String> problems) throws IOException {
    List<ObjectInfo> listed = repo.backend().list(ObjectKind.SNAPSHOT);
    Set<String> present = new HashSet<>(listed.size() * 2);
    List<String> fresh = new ArrayList<>();
    List<Future<SnapshotRef>> reads = new ArrayList<>();
    for (ObjectInfo info : listed) {
      String id = info.name().id();
      present.add(id);
      if (!known.containsKey(id)) {
        fresh.add(id);
        reads.add(repo.io().submit(() -> repo.readSnapshot(Id.parse(id))));
      }
    }
    boolean changed = known.keySet().retainAll(present);
    for (int i = 0; i < reads.size(); i++) {
      try {
        known.put(fresh.get(i), Repository.await(reads.get(i)));
        changed = true;
      } catch (dev.roadie.core.backend.NoSuchObjectException e) {
        // removed by a forget since the listing
      } catch (IOException | RuntimeException e) {
        problems.add(
            "snapshot " + fresh.get(i).substring(0, 8) + " is unreadable: " + e.getMessage());
      }
    }
    if (changed) {
      // Times are parsed once per snapshot, not once per comparison.
      List<Map.Entry<Instant, SnapshotRef>> keyed = new ArrayList<>(known.size());
      for (SnapshotRef r : known.values()) keyed.add(Map.entry(r.time().toInstant(), r));
      keyed.sort(
          Map.Entry.<Instant, SnapshotRef>comparingByKey().thenComparing(e -> e.getValue().id()));
      List<SnapshotRef> out = new ArrayList<>(keyed.size());
      for (Map.Entry<Instant, SnapshotRef> e : keyed) out.add(e.getValue());
      sorted = Collections.unmodifiableList(out);
    }
    return sorted;
  }
}
