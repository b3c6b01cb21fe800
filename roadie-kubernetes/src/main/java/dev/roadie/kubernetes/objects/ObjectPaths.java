package dev.roadie.kubernetes.objects;

/**
 * Where a backup puts an object: {@code NAMESPACE/KIND/NAME.yaml}, cluster-scoped objects under
 * {@code _cluster/KIND/NAME.yaml}, KIND being the resource name with its group as kubectl writes it
 * ({@code deployments.apps}, {@code configmaps}). {@code _cluster} cannot be a namespace: a
 * namespace name is a DNS label, which has no underscore.
 */
public final class ObjectPaths {
  /** The directory of cluster-scoped objects. */
  public static final String CLUSTER = "_cluster";

  public static final String SUFFIX = ".yaml";

  private ObjectPaths() {}

  /** The top directory of an object: its namespace, or {@link #CLUSTER}. */
  public static String top(String namespace) {
    return namespace == null || namespace.isEmpty() ? CLUSTER : namespace;
  }

  /** The file name of an object named {@code name}. */
  public static String file(String name) {
    return name + SUFFIX;
  }

  /** The object's path in a snapshot. */
  public static String path(String namespace, String kind, String name) {
    return top(namespace) + "/" + kind + "/" + file(name);
  }
}
