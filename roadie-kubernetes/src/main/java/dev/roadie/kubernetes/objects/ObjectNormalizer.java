package dev.roadie.kubernetes.objects;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Takes out of a Kubernetes object what the API server and its controllers own, so that what is
 * left is what a person or a tool asked for: the form roadie stores, restores from and compares.
 *
 * <p>Taken out: {@code metadata.uid}, {@code resourceVersion}, {@code generation}, {@code
 * creationTimestamp}, {@code deletionTimestamp}, {@code deletionGracePeriodSeconds}, {@code
 * managedFields}, {@code selfLink}, {@code ownerReferences} (they name their owners by uid, which a
 * restored owner does not keep; a dependent restored with a stale owner uid is deleted by the
 * garbage collector), the annotations controllers write for their own bookkeeping ({@link
 * #CONTROLLER_ANNOTATIONS}), the uid and resourceVersion of a PersistentVolume's claimRef, and
 * {@code status} unless asked to keep it. The {@code
 * kubectl.kubernetes.io/last-applied-configuration} annotation is kept: it is what {@code kubectl
 * apply} compares with next time.
 *
 * <p>What remains is returned as a deep copy whose maps are sorted by key, so two normalised copies
 * of an unchanged object are equal and serialise to the same bytes. The input is never changed.
 */
public final class ObjectNormalizer {

  /** The metadata fields the server sets and a client never asks for. */
  public static final Set<String> SERVER_METADATA =
      Set.of(
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "managedFields",
          "selfLink",
          "ownerReferences");

  /** Annotations a controller writes on objects it does not own, recomputed after a restore. */
  public static final Set<String> CONTROLLER_ANNOTATIONS =
      Set.of("deployment.kubernetes.io/revision");

  private ObjectNormalizer() {}

  /**
   * The object without what the server owns.
   *
   * @param object the object as the API server returned it (a map of its JSON)
   * @param keepStatus whether {@code status} stays (it is taken out otherwise)
   */
  public static Map<String, Object> normalize(Map<String, ?> object, boolean keepStatus) {
    Map<String, Object> copy = sortedCopy(object);
    if (!keepStatus) copy.remove("status");
    if (copy.get("metadata") instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> metadata = (Map<String, Object>) m;
      SERVER_METADATA.forEach(metadata::remove);
      if (metadata.get("annotations") instanceof Map<?, ?> annotations) {
        CONTROLLER_ANNOTATIONS.forEach(annotations::remove);
        if (annotations.isEmpty()) metadata.remove("annotations");
      }
      if (metadata.get("labels") instanceof Map<?, ?> labels && labels.isEmpty())
        metadata.remove("labels");
    }
    if ("PersistentVolume".equals(copy.get("kind"))
        && copy.get("spec") instanceof Map<?, ?> spec
        && spec.get("claimRef") instanceof Map<?, ?> claimRef) {
      claimRef.remove("uid");
      claimRef.remove("resourceVersion");
    }
    return copy;
  }

  /** A deep copy of {@code object} with every map sorted by key (lists keep their order). */
  public static Map<String, Object> sortedCopy(Map<String, ?> object) {
    Map<String, Object> out = new TreeMap<>();
    object.forEach((k, v) -> out.put(k, copyValue(v)));
    return out;
  }

  private static Object copyValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new TreeMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), copyValue(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object v : list) out.add(copyValue(v));
      return out;
    }
    return value;
  }
}
