package dev.roadie.kubernetes.drift;

import dev.roadie.kubernetes.client.ApiResource;
import java.util.List;
import java.util.Map;

/**
 * The objects compared with Git: a live cluster, or the objects a {@code k8s} snapshot recorded.
 */
public interface ClusterObjects {

  /**
   * What this is, for the report ("the cluster at https://… (context c)", "snapshot 1a2b3c4d of
   * …").
   */
  String describe();

  /** The object, as stored (in {@code apiVersion} where it can be had in that version), or null. */
  Map<String, Object> get(ObjectKey key, String apiVersion);

  /** The objects of a kind in a namespace (each with its apiVersion and kind). */
  List<Map<String, Object>> list(String apiVersion, String kind, String namespace);

  /**
   * The resource objects of this kind belong to (its name, whether it is namespaced); null when
   * unknown.
   */
  ApiResource resource(String apiVersion, String kind);

  /**
   * Why an object this does not have may still exist, so that its absence proves nothing (a
   * snapshot that did not take its namespace or kind); null when its absence means it is missing.
   */
  default String notCovered(ObjectKey key, ApiResource resource) {
    return null;
  }
}
