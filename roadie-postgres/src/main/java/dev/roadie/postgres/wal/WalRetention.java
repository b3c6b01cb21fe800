package dev.roadie.postgres.wal;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which archived WAL no kept physical backup can use. Recovery from a base backup starts at the
 * backup's start LSN and only moves forward, so a segment whose position (segment number, on any
 * timeline) lies before the start segment of the oldest kept backup of its cluster is never read
 * again; nor are fragments and backup history files of such segments. Timeline history files are
 * always kept (they are tiny and recovery to any later timeline needs them). A cluster with no kept
 * physical backup keeps all its WAL: its first backup may be running, or the backups were removed
 * by mistake and the WAL is all that is left.
 */
public final class WalRetention {
  /** For one cluster: the first segment position kept, and the objects before it. */
  public record Plan(long systemId, String keepFrom, List<WalArchive.Entry> unneeded) {
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
      List<WalArchive.Entry> unneeded = new ArrayList<>();
      for (WalArchive.Entry e : new WalArchive(repo, sysid).list()) {
        if (WalNames.isHistory(e.name())) continue;
        if (WalNames.segmentNumber(e.name(), keep[1]) < keep[0]) unneeded.add(e);
      }
      plans.add(new Plan(sysid, oldestName.get(sysid), unneeded));
    }
    return plans;
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
