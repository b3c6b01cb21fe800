package dev.roadie.kubernetes.drift;

/**
 * One field whose value in the cluster differs from Git's. {@code path} is a JSON pointer (RFC
 * 6901) into the cluster's object, or into Git's where the cluster lacks the field. A side that
 * lacks the field has {@code in…} false and a null value.
 */
public record FieldDifference(
    String path, boolean inCluster, Object cluster, boolean inGit, Object git) {

  static FieldDifference changed(String path, Object cluster, Object git) {
    return new FieldDifference(path, true, cluster, true, git);
  }

  static FieldDifference onlyInGit(String path, Object git) {
    return new FieldDifference(path, false, null, true, git);
  }

  static FieldDifference onlyInCluster(String path, Object cluster) {
    return new FieldDifference(path, true, cluster, false, null);
  }
}
