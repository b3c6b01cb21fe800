package dev.roadie.postgres.wal;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * Which archived WAL no kept physical backup can use. Recovery from a base backup starts at the
 * backup's start LSN and only moves forward, so a segment whose position (segment number, on any
 * timeline) lies before the start segment of the oldest kept backup of its cluster is never read
 * again; nor are fragments and backup history files of such segments. Timeline history files are
 * always kept (they are tiny and recovery to any later timeline needs them). A cluster with no kept
 * physical backup keeps all its WAL: its first backup may be running, or the backups were removed
 * by mistake and the WAL is all that is left. In a repository with object lock, what the storage
 * still keeps stays until a later forget finds its retention passed.
 */
public final class WalRetention {
  /**
   * For one cluster: the first segment position kept, and the objects before it: those that can go
   * ({@code unneeded}), and in a repository with object lock those the storage still keeps ({@code
   * held}, the last of them until {@code heldUntil}), which a later forget removes.
   */
  public record Plan(
      long systemId,
      String keepFrom,
      List<WalArchive.Entry> unneeded,
      List<WalArchive.Entry> held,
      Instant heldUntil) {
    public long bytes() {
      return unneeded.stream().mapToLong(WalArchive.Entry::storedSize).sum();
    }
  }

  private WalRetention() {}

  /** Plans for every cluster that has WAL in the repository, given the snapshots that remain. */
  public static List<Plan> plan(Repository repo, List<Snapshot> remaining) throws IOException {
    Map<Long, long[]> oldest = new HashMap<>(); // sysid -> {segment number, segment size}
    Map<Long, String> oldestName = new HashMap<>();
    for (Snapshot s : remaining) {
      if (!"postgres-physical".equals(s.kind()) || s.source() == null) continue;
      Map<String, Object> src = s.source();
      long sysid = Long.parseUnsignedLong(String.valueOf(src.get("systemIdentifier")));
      long segmentSize = ((Number) src.get("walSegmentSize")).longValue();
      long segment = WalNames.parseLsn((String) src.get("startLsn")) / segmentSize;
      long[] cur = oldest.get(sysid);
      if (cur == null || segment < cur[0]) {
        oldest.put(sysid, new long[] {segment, segmentSize});
        oldestName.put(sysid, (String) src.get("startSegment"));
      }
    }
    List<Plan> plans = new ArrayList<>();
    for (long sysid : WalArchive.clusters(repo)) {
      long[] keep = oldest.get(sysid);
      if (keep == null) continue;
      WalArchive archive = new WalArchive(repo, sysid);
      List<WalArchive.Entry> unneeded = new ArrayList<>();
      for (WalArchive.Entry e : archive.list()) {
        if (WalNames.isHistory(e.name())) continue;
        if (WalNames.segmentNumber(e.name(), keep[1]) < keep[0]) unneeded.add(e);
      }
      plans.add(withoutHeld(archive, oldestName.get(sysid), unneeded));
    }
    return plans;
  }

  /**
   * The plan, less what object lock still keeps: roadie never deletes a locked object before its
   * retention passes (the storage would refuse, and a versioned bucket would only hide it).
   */
  private static Plan withoutHeld(
      WalArchive archive, String keepFrom, List<WalArchive.Entry> unneeded) throws IOException {
    Repository repo = archive.repository();
    if (repo.lock() == null || unneeded.isEmpty()) {
      return new Plan(archive.systemId(), keepFrom, unneeded, List.of(), null);
    }
    Map<WalArchive.Entry, Future<Instant>> until = new LinkedHashMap<>();
    for (WalArchive.Entry e : unneeded) {
      until.put(e, repo.io().submit(() -> archive.retainedUntil(e.name())));
    }
    Instant now = Instant.now();
    List<WalArchive.Entry> free = new ArrayList<>();
    List<WalArchive.Entry> held = new ArrayList<>();
    Instant last = null;
    for (var u : until.entrySet()) {
      Instant t = Repository.await(u.getValue());
      if (t == null || !t.isAfter(now)) {
        free.add(u.getKey());
      } else {
        held.add(u.getKey());
        if (last == null || t.isAfter(last)) last = t;
      }
    }
    return new Plan(archive.systemId(), keepFrom, free, held, last);
  }

  /** Deletes the planned objects; returns how many. */
  public static int execute(Repository repo, Plan plan) throws IOException {
    WalArchive archive = new WalArchive(repo, plan.systemId());
    int n = 0;
    for (WalArchive.Entry e : plan.unneeded()) {
      archive.delete(e.name());
      n++;
    }
    return n;
  }
}
