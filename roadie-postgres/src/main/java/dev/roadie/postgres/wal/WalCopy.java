package dev.roadie.postgres.wal;

import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.regex.Matcher;

/**
 * The WAL part of {@code copy}: brings the archived WAL that physical backups need from one
 * repository's archive into another's, sealed under the destination's keys.
 *
 * <p>For each cluster of the given physical snapshots, every archived file the destination lacks is
 * copied whose segment position (on any timeline) is at or after the start of the oldest of those
 * snapshots, and every timeline history file: the same rule by which {@link WalRetention} keeps
 * WAL, so a copy carries exactly what forget would keep for those backups. That is the WAL from
 * each backup's start to the newest archived file, so a copied backup restores to the point the
 * source's archive reached when the copy ran; running the copy again brings what was archived
 * since. Fragments of a segment the source holds whole are left behind: restore reads the whole
 * segment first. Files are only added, never replaced; a file the destination holds with other
 * content is refused as {@link WalArchive#push} refuses it.
 */
public final class WalCopy {
  /**
   * Bytes of segments copied at once: each file is held in memory whole, so four 16 MiB segments
   * (the default size) at a time, one of a larger size.
   */
  private static final long BYTES_IN_FLIGHT = 64L << 20;

  /**
   * What was copied for one cluster: {@code from} is the start segment of the oldest backup the WAL
   * was copied for, {@code bytes} the stored size of the files copied.
   */
  public record Copied(String systemId, String from, int files, long bytes) {}

  private WalCopy() {}

  /**
   * Copies the WAL that {@code snapshots} of the source need (physical ones; others are ignored)
   * from {@code from} to {@code to}: for each of their clusters, from the start of the oldest of
   * them or of the destination's physical snapshots of that cluster (copies made before, whose WAL
   * this keeps current too). Call it before the snapshots are copied, so that a copied backup is
   * never visible without the WAL it needs.
   */
  public static List<Copied> copy(
      Repository from, Repository to, List<Snapshot> snapshots, Consumer<String> log)
      throws IOException {
    Set<Long> clusters = new HashSet<>();
    for (Snapshot s : snapshots) {
      if (isPhysical(s)) clusters.add(systemId(s));
    }
    if (clusters.isEmpty()) return List.of();
    List<Snapshot> all = new ArrayList<>(snapshots);
    for (var ref : to.snapshots(null)) all.add(ref.snapshot());
    Map<Long, long[]> oldest = new TreeMap<>(); // sysid -> {segment number, segment size}
    Map<Long, String> oldestName = new TreeMap<>();
    for (Snapshot s : all) {
      if (!isPhysical(s) || !clusters.contains(systemId(s))) continue;
      Map<String, Object> src = s.source();
      long sysid = systemId(s);
      long segmentSize = ((Number) src.get("walSegmentSize")).longValue();
      long segment = WalNames.parseLsn((String) src.get("startLsn")) / segmentSize;
      long[] cur = oldest.get(sysid);
      if (cur == null || segment < cur[0]) {
        oldest.put(sysid, new long[] {segment, segmentSize});
        oldestName.put(
            sysid,
            WalNames.segmentName(((Number) src.get("timeline")).intValue(), segment, segmentSize));
      }
    }
    List<Copied> out = new ArrayList<>();
    for (Map.Entry<Long, long[]> c : oldest.entrySet()) {
      out.add(
          copyCluster(
              from,
              to,
              c.getKey(),
              c.getValue()[0],
              c.getValue()[1],
              oldestName.get(c.getKey()),
              log));
    }
    return out;
  }

  private static boolean isPhysical(Snapshot s) {
    return "postgres-physical".equals(s.kind()) && s.source() != null;
  }

  private static long systemId(Snapshot s) {
    return Long.parseUnsignedLong(String.valueOf(s.source().get("systemIdentifier")));
  }

  private static Copied copyCluster(
      Repository from,
      Repository to,
      long sysid,
      long firstSegment,
      long segmentSize,
      String firstName,
      Consumer<String> log)
      throws IOException {
    WalArchive source = new WalArchive(from, sysid);
    WalArchive dest = new WalArchive(to, sysid);
    Set<String> present = new HashSet<>();
    for (WalArchive.Entry e : dest.list()) present.add(e.name());
    List<WalArchive.Entry> listed = source.list();
    Set<String> whole = new HashSet<>();
    for (WalArchive.Entry e : listed) {
      if (WalNames.isSegment(e.name())) whole.add(e.name());
    }
    List<WalArchive.Entry> wanted = new ArrayList<>();
    for (WalArchive.Entry e : listed) {
      String name = e.name();
      if (present.contains(name)) continue;
      if (!WalNames.isHistory(name)) {
        if (WalNames.segmentNumber(name, segmentSize) < firstSegment) continue;
        Matcher m = WalNames.FRAGMENT.matcher(name);
        if (m.matches() && whole.contains(m.group(1))) continue;
      }
      wanted.add(e);
    }
    String cluster = WalNames.systemIdText(sysid);
    if (!wanted.isEmpty()) {
      log.accept(
          "copying "
              + wanted.size()
              + " archived WAL files of cluster "
              + cluster
              + " from "
              + firstName);
    }
    // In name order (timeline, then position), a few at a time: a copy that fails leaves at most a
    // few files missing below the newest it copied, and the next copy fills them in.
    int inFlight = (int) Math.max(1, Math.min(4, BYTES_IN_FLIGHT / segmentSize));
    ArrayDeque<Future<Long>> window = new ArrayDeque<>();
    long bytes = 0;
    int files = 0;
    int i = 0;
    while (i < wanted.size() || !window.isEmpty()) {
      while (i < wanted.size() && window.size() < inFlight) {
        WalArchive.Entry e = wanted.get(i++);
        // Null: forget in the source removed the file since the listing.
        window.add(
            from.io().submit(() -> dest.copyFrom(source, e.name()) == null ? -1L : e.storedSize()));
      }
      long stored = await(window.poll(), from, cluster);
      if (stored >= 0) {
        files++;
        bytes += stored;
      }
    }
    return new Copied(cluster, firstName, files, bytes);
  }

  private static long await(Future<Long> f, Repository from, String cluster) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      String msg =
          "copying the WAL of cluster "
              + cluster
              + " from "
              + from.backend().location()
              + ": "
              + c.getMessage();
      if (c instanceof RoadieException r) throw new RoadieException(r.code(), msg, r);
      throw new IOException(msg, c);
    }
  }
}
