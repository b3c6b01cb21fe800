package dev.roadie.core.retention;

import java.util.List;

/**
 * Which snapshots of a group to keep. Semantics are restic's {@code forget}: every rule looks at
 * the group's snapshots from newest to oldest; {@code last} keeps the newest N; each calendar rule
 * keeps the newest snapshot of each of the N most recent hours/days/ISO weeks/months/years that
 * have a snapshot (buckets in the snapshot's own UTC offset); {@code within} keeps every snapshot
 * whose time is after the group's newest minus that span (calendar arithmetic); {@code tags} keeps
 * every snapshot carrying one of them. A snapshot is kept when any rule keeps it. A count of -1
 * means unlimited.
 */
public record RetentionPolicy(
    int last,
    int hourly,
    int daily,
    int weekly,
    int monthly,
    int yearly,
    Span within,
    List<String> tags) {

  public RetentionPolicy {
    for (int n : new int[] {last, hourly, daily, weekly, monthly, yearly}) {
      if (n < -1) {
        throw new IllegalArgumentException(
            "a --keep-* count is a number of snapshots >= 0, or -1 for all; got " + n);
      }
    }
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  /** True when no rule is given: forgetting with it would remove everything, so it is refused. */
  public boolean isEmpty() {
    return last == 0
        && hourly == 0
        && daily == 0
        && weekly == 0
        && monthly == 0
        && yearly == 0
        && (within == null || within.isZero())
        && tags.isEmpty();
  }
}
