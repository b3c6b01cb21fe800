package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The span a physical backup can be recovered to with the WAL in this repository: from the end of
 * the backup (its stop LSN; for time targets the second after its stop time) to the end of the WAL
 * that follows it without a gap in the archive, along the recovery target timeline ({@code latest}
 * by default: the newest timeline that branches off the backup's after the backup). The end's time
 * is when the last of that WAL was archived: no commit in the archive is later. Computed from one
 * listing of the cluster's archive and its timeline history files.
 */
public final class RecoveryWindow {
  /**
   * One recoverable window. {@code toLsn} is exclusive; {@code timelines} the timelines it runs
   * through. {@code missingSegment}: the segment where the window ends because the archive lacks
   * it, when recovery would need it: the backup's own WAL is incomplete ({@code walComplete}
   * false), or later WAL of the timelines recovery follows is archived (a gap); null when the
   * window simply ends at the newest archived WAL.
   */
  public record Window(
      String fromLsn,
      String fromTime,
      String toLsn,
      String toTime,
      int timeline,
      List<Integer> timelines,
      String lastSegment,
      boolean walComplete,
      String note,
      String missingSegment) {
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("fromLsn", fromLsn);
      m.put("fromTime", fromTime);
      m.put("toLsn", toLsn);
      m.put("toTime", toTime);
      m.put("timeline", timeline);
      m.put("timelines", timelines);
      if (lastSegment != null) m.put("lastSegment", lastSegment);
      m.put("walComplete", walComplete);
      if (missingSegment != null) m.put("missingSegment", missingSegment);
      if (note != null) m.put("note", note);
      return m;
    }

    public String describe() {
      return "from "
          + fromTime
          + " (LSN "
          + fromLsn
          + ") to "
          + toTime
          + " (LSN "
          + toLsn
          + ") on timeline "
          + timeline;
    }
  }

  private final Repository repo;
  private final Map<Long, Listing> listings = new HashMap<>();

  /**
   * The archive of one cluster: the names it holds, fragments by segment, and its timeline
   * histories.
   */
  private record Listing(
      WalArchive archive,
      Set<String> names,
      Map<String, List<long[]>> fragments,
      Map<Integer, List<long[]>> histories) {}

  public RecoveryWindow(Repository repo) {
    this.repo = repo;
  }

  private Listing listing(long sysid) throws IOException {
    Listing l = listings.get(sysid);
    if (l != null) return l;
    WalArchive archive = new WalArchive(repo, sysid);
    Set<String> names = new HashSet<>();
    Map<String, List<long[]>> fragments = new HashMap<>();
    Map<Integer, List<long[]>> histories = new HashMap<>();
    for (WalArchive.Entry e : archive.list()) {
      Matcher m = WalNames.FRAGMENT.matcher(e.name());
      if (m.matches()) {
        fragments
            .computeIfAbsent(m.group(1), k -> new ArrayList<>())
            .add(new long[] {Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3), 16)});
      } else {
        names.add(e.name());
      }
    }
    for (String n : names) {
      if (WalNames.isHistory(n)) {
        histories.put(
            WalNames.timeline(n),
            parseHistory(new String(archive.read(n), StandardCharsets.UTF_8)));
      }
    }
    l = new Listing(archive, names, fragments, histories);
    listings.put(sysid, l);
    return l;
  }

  /**
   * A timeline history file: one line per ancestor, {@code parentTLI <tab> switchpoint LSN <tab>
   * reason}.
   */
  static List<long[]> parseHistory(String text) {
    List<long[]> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      line = line.trim();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = line.split("\\s+");
      if (f.length < 2) continue;
      out.add(new long[] {Long.parseLong(f[0]), WalNames.parseLsn(f[1])});
    }
    return out;
  }

  /**
   * The window of a physical snapshot. {@code targetTimeline}: null or {@code latest}, {@code
   * current}, or a timeline number.
   */
  public Window of(Snapshot s, String targetTimeline) throws IOException {
    Map<String, Object> src = s.source();
    long sysid = Long.parseUnsignedLong(String.valueOf(src.get("systemIdentifier")));
    long segmentSize = ((Number) src.get("walSegmentSize")).longValue();
    int backupTli = ((Number) src.get("timeline")).intValue();
    long start = WalNames.parseLsn((String) src.get("startLsn"));
    long stop = WalNames.parseLsn((String) src.get("stopLsn"));
    Instant stopTime = Instant.parse((String) src.get("stopTime"));
    // A commit in the second the backup stopped may still be before its consistent point: targets
    // start at the next whole second after the (second-resolution) stop time.
    String fromTime = stopTime.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1).toString();
    Listing l = listing(sysid);

    int target = chooseTimeline(l, backupTli, stop, targetTimeline);
    // The timelines recovery reads, each from the segment where it begins.
    List<long[]> path = new ArrayList<>(); // {tli, beginLsn}
    List<long[]> history = target == backupTli ? List.of() : l.histories().get(target);
    long begin = 0;
    for (long[] h : history) {
      path.add(new long[] {h[0], begin});
      begin = h[1];
    }
    path.add(new long[] {target, begin});
    List<Integer> used = new ArrayList<>();
    long segment = start / segmentSize;
    String last = null;
    String name;
    long end = -1;
    while (true) {
      name = WalNames.segmentName(timelineAt(path, segment, segmentSize), segment, segmentSize);
      if (l.names().contains(name)) {
        last = name;
        end = (segment + 1) * segmentSize;
        int tli = WalNames.timeline(name);
        if (!used.contains(tli)) used.add(tli);
        segment++;
        continue;
      }
      // Fragments from byte 0 (a streaming receiver's current segment) extend the window.
      long covered = 0;
      List<long[]> frags = l.fragments().getOrDefault(name, List.of());
      boolean grew = true;
      while (grew) {
        grew = false;
        for (long[] f : frags) {
          if (f[0] <= covered && f[1] > covered) {
            covered = f[1];
            grew = true;
          }
        }
      }
      if (covered > 0) {
        end = segment * segmentSize + covered;
        int tli = WalNames.timeline(name);
        if (!used.contains(tli)) used.add(tli);
        last = name;
      }
      // A segment whose fragments cover it whole (a backup stored it before archive_command did)
      // is as good as the segment itself: the walk goes on.
      if (covered < segmentSize) break;
      segment++;
    }
    boolean fetch = "fetch".equals(src.get("walMethod"));
    if (end < stop) {
      if (fetch) {
        return new Window(
            WalNames.formatLsn(stop),
            fromTime,
            WalNames.formatLsn(stop),
            fromTime,
            backupTli,
            List.of(backupTli),
            null,
            false,
            "only the WAL inside the backup: recoverable to its end",
            null);
      }
      return new Window(
          WalNames.formatLsn(stop),
          fromTime,
          WalNames.formatLsn(Math.max(end, start)),
          fromTime,
          target,
          used,
          last,
          false,
          "the archive lacks "
              + name
              + ", which this backup needs to become consistent: it cannot "
              + "be restored from this repository",
          name);
    }
    String after = newestAfter(l, path, segment, segmentSize);
    String missing = after == null ? null : name;
    String lastName = last;
    String toTime;
    try {
      WalArchive.Header h =
          WalNames.isSegment(lastName) && l.names().contains(lastName)
              ? l.archive().header(lastName)
              : newestFragment(l, lastName);
      toTime = h == null ? fromTime : h.archived();
    } catch (RoadieException e) {
      toTime = fromTime;
    }
    if (Instant.parse(toTime).isBefore(Instant.parse(fromTime))) toTime = fromTime;
    return new Window(
        WalNames.formatLsn(stop),
        fromTime,
        WalNames.formatLsn(end),
        toTime,
        target,
        used,
        lastName,
        true,
        missing == null
            ? null
            : "WAL is missing from "
                + missing
                + " on, though the archive holds later WAL (up to "
                + after
                + "): recovery cannot pass "
                + missing,
        missing);
  }

  /**
   * The timeline recovery reads segment {@code segment} from, along {@code path} ({tli, beginLsn}
   * pairs).
   */
  private static int timelineAt(List<long[]> path, long segment, long segmentSize) {
    int tli = 0;
    for (long[] p : path) {
      if (p[1] / segmentSize <= segment) tli = (int) p[0];
    }
    return tli;
  }

  /**
   * The newest segment after {@code segment} archived (whole or in fragments) on the timeline
   * recovery would read it from, or null: the window's end is then the end of the archive, not a
   * gap in it.
   */
  private static String newestAfter(Listing l, List<long[]> path, long segment, long segmentSize) {
    String newest = null;
    long newestNumber = segment;
    List<String> candidates = new ArrayList<>(l.fragments().keySet());
    for (String n : l.names()) {
      if (WalNames.isSegment(n)) candidates.add(n);
    }
    for (String n : candidates) {
      long number = WalNames.segmentNumber(n, segmentSize);
      if (number > newestNumber && WalNames.timeline(n) == timelineAt(path, number, segmentSize)) {
        newest = n;
        newestNumber = number;
      }
    }
    return newest;
  }

  private static WalArchive.Header newestFragment(Listing l, String segment) throws IOException {
    WalArchive.Header newest = null;
    for (WalArchive.Fragment f : l.archive().fragments(segment)) {
      WalArchive.Header h = l.archive().header(f.name());
      if (newest == null || h.archived().compareTo(newest.archived()) > 0) newest = h;
    }
    return newest;
  }

  /**
   * The recovery target timeline, as PostgreSQL will pick it: {@code latest} is the highest
   * timeline whose history passes through the backup's timeline at or after the backup's end.
   */
  private static int chooseTimeline(Listing l, int backupTli, long stop, String requested) {
    if (requested != null && requested.equals("current")) return backupTli;
    if (requested != null && !requested.equals("latest")) {
      int t;
      try {
        t = Integer.parseInt(requested);
      } catch (NumberFormatException e) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--target-timeline takes latest, current or a timeline number, not '"
                + requested
                + "'");
      }
      if (t != backupTli && !descends(l, t, backupTli, stop)) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "timeline "
                + t
                + " does not branch off this backup's timeline "
                + backupTli
                + " after the backup (no history file in the archive says so); choose latest, current or a "
                + "timeline that does");
      }
      return t;
    }
    int best = backupTli;
    for (int t : l.histories().keySet()) {
      if (t > best && descends(l, t, backupTli, stop)) best = t;
    }
    return best;
  }

  private static boolean descends(Listing l, int t, int backupTli, long stop) {
    List<long[]> h = l.histories().get(t);
    if (h == null) return false;
    for (long[] e : h) {
      if (e[0] == backupTli) return e[1] >= stop;
    }
    return false;
  }
}
