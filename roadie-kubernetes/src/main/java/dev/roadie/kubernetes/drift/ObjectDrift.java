package dev.roadie.kubernetes.drift;

import java.util.List;

/**
 * How one object differs, or could not be compared.
 *
 * @param state {@link State#MISSING} (in Git, not in the cluster), {@link State#EXTRA} (in the
 *     cluster, not in Git), {@link State#CHANGED} (both, with {@code fields}) or {@link
 *     State#FAILED} (not compared: {@code message} says why)
 * @param origin where Git defines it (null for an extra object)
 */
public record ObjectDrift(
    State state,
    ObjectKey key,
    String apiVersion,
    String origin,
    List<FieldDifference> fields,
    String message) {

  public enum State {
    MISSING,
    EXTRA,
    CHANGED,
    FAILED
  }

  public ObjectDrift {
    fields = List.copyOf(fields);
  }
}
