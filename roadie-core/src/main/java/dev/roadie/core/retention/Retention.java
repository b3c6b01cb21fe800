package dev.roadie.core.retention;

import java.time.OffsetDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Applies a {@link RetentionPolicy} to one group of snapshots. */
public final class Retention {
  private Retention() {}

  /** What the policy needs to know of a snapshot. */
  public record Item<T>(T value, OffsetDateTime time, List<String> tags) {}

  /** A snapshot kept, with the rules that keep it (e.g. "daily", "last", "tag nightly"). */
  public record Kept<T>(T value, List<String> reasons) {}

  public record Decision<T>(List<Kept<T>> keep, List<T> remove) {}

  private record Rule(String name, int count, Function<OffsetDateTime, String> bucket) {}

  public static <T> Decision<T> apply(RetentionPolicy policy, List<Item<T>> group) {
    List<Item<T>> newestFirst = new ArrayList<>(group);
    newestFirst.sort(Comparator.comparing((Item<T> i) -> i.time().toInstant()).reversed());
    List<Rule> rules =
        List.of(
            new Rule("last", policy.last(), null),
            new Rule(
                "hourly",
                policy.hourly(),
                t -> t.getYear() + "-" + t.getDayOfYear() + "-" + t.getHour()),
            new Rule("daily", policy.daily(), t -> t.getYear() + "-" + t.getDayOfYear()),
            new Rule(
                "weekly",
                policy.weekly(),
                t ->
                    t.get(IsoFields.WEEK_BASED_YEAR)
                        + "-W"
                        + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)),
            new Rule("monthly", policy.monthly(), t -> t.getYear() + "-" + t.getMonthValue()),
            new Rule("yearly", policy.yearly(), t -> Integer.toString(t.getYear())));
    int[] remaining = new int[rules.size()];
    String[] lastBucket = new String[rules.size()];
    for (int r = 0; r < rules.size(); r++) {
      remaining[r] = rules.get(r).count();
    }
    OffsetDateTime newest = newestFirst.isEmpty() ? null : newestFirst.get(0).time();
    Map<Item<T>, List<String>> reasons = new LinkedHashMap<>();
    List<T> remove = new ArrayList<>();
    for (int i = 0; i < newestFirst.size(); i++) {
      Item<T> item = newestFirst.get(i);
      List<String> why = new ArrayList<>();
      for (int r = 0; r < rules.size(); r++) {
        if (remaining[r] == 0) continue;
        Rule rule = rules.get(r);
        // keep-last: every snapshot is a bucket of its own.
        String bucket =
            rule.bucket() == null ? Integer.toString(i) : rule.bucket().apply(item.time());
        if (!bucket.equals(lastBucket[r])) {
          lastBucket[r] = bucket;
          if (remaining[r] > 0) remaining[r]--;
          why.add(rule.name());
        }
      }
      if (policy.within() != null
          && !policy.within().isZero()
          && item.time().toInstant().isAfter(policy.within().before(newest).toInstant())) {
        why.add("within " + policy.within());
      }
      for (String tag : policy.tags()) {
        if (item.tags() != null && item.tags().contains(tag)) {
          why.add("tag " + tag);
        }
      }
      if (why.isEmpty()) {
        remove.add(item.value());
      } else {
        reasons.put(item, why);
      }
    }
    List<Kept<T>> keep = new ArrayList<>();
    reasons.forEach((item, why) -> keep.add(new Kept<>(item.value(), List.copyOf(why))));
    return new Decision<>(keep, remove);
  }
}
