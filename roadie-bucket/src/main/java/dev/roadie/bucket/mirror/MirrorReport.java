package dev.roadie.bucket.mirror;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one pass did (or, for a check, found), object by object. Keys are relative to the sides'
 * prefixes. Safe to add to from many threads. Each kind lists at most {@value #MAX_LISTED} objects
 * (memory stays bounded for any bucket) and counts them all.
 */
public final class MirrorReport {
  static final int MAX_LISTED = 10_000;

  /** What happened to one object. */
  public enum Kind {
    /** Copied to the destination, which did not have it. */
    COPIED,
    /** Written again (content, metadata or tags) because the destination's differed. */
    UPDATED,
    /** Removed from the destination: not in the source (only with --delete). */
    DELETED,
    /** Not copied, and not a failure: the source object went away after it was listed. */
    SKIPPED,
    /** Could not be copied, deleted or compared: the reason says why. */
    FAILED,
    /** The same on both sides. */
    UNCHANGED,
    /** Only in the destination, and kept (mirror without --delete; check). */
    EXTRA,
    /** Check: only in the source. */
    MISSING,
    /** Check: on both sides, differing; the reason says how. */
    DIFFERENT
  }

  /** One object: its key relative to the prefix, why, and the bytes copied (0 when none). */
  public record Item(String key, String reason, long bytes) {}

  private final Map<Kind, List<Item>> items = new EnumMap<>(Kind.class);
  private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
  private long bytesCopied;
  private String stoppedBy;
  private boolean forGood;

  public MirrorReport() {
    for (Kind k : Kind.values()) {
      items.put(k, new ArrayList<>());
      counts.put(k, 0L);
    }
  }

  public synchronized void add(Kind kind, String key, String reason, long bytes) {
    counts.merge(kind, 1L, Long::sum);
    bytesCopied += bytes;
    if (kind != Kind.UNCHANGED && items.get(kind).size() < MAX_LISTED)
      items.get(kind).add(new Item(key, reason, bytes));
  }

  public synchronized long count(Kind kind) {
    return counts.get(kind);
  }

  public synchronized List<Item> items(Kind kind) {
    return List.copyOf(items.get(kind));
  }

  public synchronized long bytesCopied() {
    return bytesCopied;
  }

  /** Whether the pass left something not done that it should have done. */
  public boolean failed() {
    return count(Kind.FAILED) > 0 || stopped();
  }

  /**
   * Records that the pass stopped early: a side went out of reach (a transient failure that
   * outlasted the retries), so copying on would only fail object after object.
   */
  synchronized void stop(String reason) {
    if (stoppedBy == null) stoppedBy = reason;
  }

  /**
   * Records that the pass stopped early for a reason that no retry fixes (the destination refuses
   * the storage class asked for): every further copy would fail the same way.
   */
  synchronized void stopForGood(String reason) {
    if (stoppedBy == null) {
      stoppedBy = reason;
      forGood = true;
    }
  }

  /** Whether the pass stopped for a reason that running it again does not fix. */
  public synchronized boolean stoppedForGood() {
    return forGood;
  }

  /** Whether the pass stopped before it was done (then {@link #stoppedBy} says why). */
  public synchronized boolean stopped() {
    return stoppedBy != null;
  }

  public synchronized String stoppedBy() {
    return stoppedBy;
  }

  /** Check: whether the two sides differ (missing, extra or different objects). */
  public boolean differs() {
    return count(Kind.MISSING) + count(Kind.EXTRA) + count(Kind.DIFFERENT) > 0;
  }

  /** Adds what {@code other} holds to this report (a watch sums its passes). */
  public synchronized void addAll(MirrorReport other) {
    for (Kind k : Kind.values()) {
      for (Item i : other.items(k)) {
        if (items.get(k).size() < MAX_LISTED) items.get(k).add(i);
      }
      counts.merge(k, other.count(k), Long::sum);
    }
    bytesCopied += other.bytesCopied();
  }

  /**
   * The report as JSON-ready maps: counts, bytes copied, and per kind the objects (key, reason,
   * bytes) in the order they were done; {@code check} names the kinds of a check.
   */
  public synchronized Map<String, Object> toMap(boolean check) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Kind> kinds =
        check
            ? List.of(Kind.MISSING, Kind.EXTRA, Kind.DIFFERENT, Kind.FAILED, Kind.UNCHANGED)
            : List.of(
                Kind.COPIED,
                Kind.UPDATED,
                Kind.DELETED,
                Kind.SKIPPED,
                Kind.FAILED,
                Kind.EXTRA,
                Kind.UNCHANGED);
    Map<String, Object> c = new LinkedHashMap<>();
    for (Kind k : kinds) c.put(name(k, check), counts.get(k));
    out.put("counts", c);
    if (!check) out.put("bytesCopied", bytesCopied);
    if (stoppedBy != null) out.put("stoppedBy", stoppedBy);
    for (Kind k : kinds) {
      if (k == Kind.UNCHANGED) continue;
      List<Map<String, Object>> list = new ArrayList<>();
      for (Item i : items.get(k)) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", i.key());
        if (i.reason() != null) m.put("reason", i.reason());
        if (i.bytes() > 0) m.put("bytes", i.bytes());
        list.add(m);
      }
      out.put(name(k, check), list);
      if (counts.get(k) > list.size()) out.put(name(k, check) + "Truncated", true);
    }
    return out;
  }

  /** The JSON name of a kind: "equal" in a check, the lower-case name otherwise. */
  static String name(Kind k, boolean check) {
    return check && k == Kind.UNCHANGED ? "equal" : k.name().toLowerCase(java.util.Locale.ROOT);
  }
}
