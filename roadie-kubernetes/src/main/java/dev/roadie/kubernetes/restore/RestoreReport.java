package dev.roadie.kubernetes.restore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What a restore into a cluster did with each object of the snapshot, in the order it was done.
 *
 * @param dryRun whether this was a server-side dry run (nothing changed)
 * @param target the cluster, as messages show it
 * @param entries one per object
 */
public record RestoreReport(boolean dryRun, String target, List<Entry> entries) {

  public enum Action {
    /** Created (or, on a dry run, would be). */
    CREATED,
    /** Existed already, equal to the snapshot's. */
    UNCHANGED,
    /** Existed and differed; updated by server-side apply (or, on a dry run, would be). */
    UPDATED,
    /** Not restored: it exists and differs ({@code --existing skip}), or it is never restored. */
    SKIPPED,
    /** Refused by the server, or could not be restored; {@code detail} says why. */
    FAILED;

    public String word(boolean dryRun) {
      String w = name().toLowerCase(java.util.Locale.ROOT);
      return dryRun && (this == CREATED || this == UPDATED) ? "would be " + w : w;
    }
  }

  /**
   * @param kind the resource name ({@code deployments.apps})
   * @param namespace where it was restored (after mapping), null for cluster-scoped objects
   * @param name its name where it was restored
   * @param action what happened
   * @param detail why, for skipped and failed objects and notes (a new name), else null
   * @param from the object's namespace and name in the snapshot when they differ, else null
   */
  public record Entry(
      String kind, String namespace, String name, Action action, String detail, String from) {
    public String object() {
      return kind + " " + (namespace == null ? "" : namespace + "/") + name;
    }
  }

  public RestoreReport {
    entries = List.copyOf(entries);
  }

  public Map<Action, Long> counts() {
    Map<Action, Long> out = new EnumMap<>(Action.class);
    for (Entry e : entries) out.merge(e.action(), 1L, Long::sum);
    return out;
  }

  public boolean failed() {
    return entries.stream().anyMatch(e -> e.action() == Action.FAILED);
  }

  public List<Entry> failures() {
    return entries.stream().filter(e -> e.action() == Action.FAILED).toList();
  }

  /** Collects entries from several threads, each with the step it belongs to. */
  static final class Builder {
    private record Item(int step, Entry entry) {}

    private final List<Item> items = Collections.synchronizedList(new ArrayList<>());

    /** An entry of step {@code step} (-1: found before the first step). */
    void add(
        int step,
        String kind,
        String namespace,
        String name,
        Action action,
        String detail,
        String from) {
      items.add(new Item(step, new Entry(kind, namespace, name, action, detail, from)));
    }

    RestoreReport build(boolean dryRun, String target) {
      List<Item> sorted;
      synchronized (items) {
        sorted = new ArrayList<>(items);
      }
      // Steps in restore order; within a step (done in parallel), by kind, namespace and name.
      sorted.sort(
          Comparator.comparingInt(Item::step)
              .thenComparing(i -> i.entry().kind())
              .thenComparing(i -> i.entry().namespace() == null ? "" : i.entry().namespace())
              .thenComparing(i -> i.entry().name()));
      return new RestoreReport(dryRun, target, sorted.stream().map(Item::entry).toList());
    }
  }
}
