package dev.roadie.postgres.wal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A timeline history file ({@code 00000003.history}): one line per ancestor timeline, {@code
 * <parent tli> <switch point LSN> <reason>}, oldest first. Timeline {@code t}'s WAL runs from its
 * parent's switch point to its own switch point (the next line), or on for the newest timeline.
 */
public record TimelineHistory(int timeline, List<Switch> switches) {

  /** Timeline {@code parent} ended at {@code lsn}, where its child began. */
  public record Switch(int parent, long lsn) {}

  public static TimelineHistory parse(int timeline, byte[] content) {
    List<Switch> out = new ArrayList<>();
    for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) continue;
      String[] f = l.split("\\s+", 3);
      if (f.length < 2) {
        throw new IllegalArgumentException(
            "timeline history of " + timeline + ": cannot read line '" + l + "'");
      }
      out.add(new Switch(Integer.parseInt(f[0]), WalNames.parseLsn(f[1])));
    }
    return new TimelineHistory(timeline, List.copyOf(out));
  }

  /** Whether {@code tli} is this timeline or one of its ancestors. */
  public boolean contains(int tli) {
    return tli == timeline || switches.stream().anyMatch(s -> s.parent() == tli);
  }

  /** Where timeline {@code tli} (an ancestor) ended; -1 for this timeline itself, which goes on. */
  public long endOf(int tli) {
    for (Switch s : switches) {
      if (s.parent() == tli) return s.lsn();
    }
    return -1;
  }

  /** The timeline that follows ancestor {@code tli} on the way to this one. */
  public int childOf(int tli) {
    for (int i = 0; i < switches.size(); i++) {
      if (switches.get(i).parent() == tli) {
        return i + 1 < switches.size() ? switches.get(i + 1).parent() : timeline;
      }
    }
    throw new IllegalArgumentException("timeline " + tli + " is not an ancestor of " + timeline);
  }
}
