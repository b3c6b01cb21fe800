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
 * listing, not a read of every snapshot; and only the first view waits for one: when a listing is
 * stale, the repository is listed again in the background, and a view waits for that only briefly
 * (a small repository's listing is done by then) before it gets the last listing.
 */
final class SnapshotCache {
  /**
   * How long a listing of {@code snapshots/} serves page views before it is listed again: listing a
   * repository of 100,000 snapshots takes seconds, and a dashboard a few seconds behind is still
   * true enough.
   */
  static final Duration LISTING_TTL = Duration.ofSeconds(10);

  /** How long a view waits for a listing running in the background before it takes the last. */
  static final Duration VIEW_WAIT = Duration.ofMillis(250);

  private final Repository repo;
  private final Duration ttl;

  /** Read and written only by the one listing that runs at a time. */
  private final Map<String, SnapshotRef> known = new HashMap<>();

  /** Every known snapshot, oldest first; rebuilt only when a snapshot came or went. */
  private volatile List<SnapshotRef> sorted = List.of();

  private boolean listedOnce;
  private boolean relisting;
  private long listedAt;
  private List<String> lastProblems = List.of();

  SnapshotCache(Repository repo) {
    this(repo, LISTING_TTL);
  }

  SnapshotCache(Repository repo, Duration ttl) {
    this.repo = repo;
    this.ttl = ttl;
  }

  /**
   * Every readable snapshot, oldest first, as of the last listing; unreadable ones go to {@code
   * problems} (and are read again next time). The first call lists the repository; later ones start
   * listing it again in the background when the last listing is older than the time to live, and
   * wait for that at most {@link #VIEW_WAIT}.
   */
  synchronized List<SnapshotRef> refresh(List<String> problems) throws IOException {
    if (!listedOnce) {
      List<String> found = new ArrayList<>();
      list(found);
      listed(found);
    } else {
      if (!relisting && System.nanoTime() - listedAt >= ttl.toNanos()) {
        relisting = true;
        Thread.ofVirtual().name("roadie-snapshot-listing").start(this::relist);
      }
      long deadline = System.nanoTime() + VIEW_WAIT.toNanos();
      try {
        for (long left; relisting && (left = deadline - System.nanoTime()) > 0; ) {
          wait(Math.max(1, left / 1_000_000));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    problems.addAll(lastProblems);
    return sorted;
  }

  private void relist() {
    List<String> found = new ArrayList<>();
    try {
      list(found);
    } catch (IOException | RuntimeException e) {
      found.add("listing the repository's snapshots failed: " + e.getMessage());
    }
    synchronized (this) {
      listed(found);
      relisting = false;
      notifyAll();
    }
  }

  private void listed(List<String> problems) {
    listedAt = System.nanoTime();
    listedOnce = true;
    lastProblems = List.copyOf(problems);
  }

  /** Lists {@code snapshots/}, reads the new ones, and updates {@link #sorted}. */
  private void list(List<String> problems) throws IOException {
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
  }
}
