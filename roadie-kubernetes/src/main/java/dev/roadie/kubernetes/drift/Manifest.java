package dev.roadie.kubernetes.drift;

import java.util.Map;

/**
 * One object Git defines, as read from the manifests, and where it was read ({@code FILE:LINE}, or
 * the kustomization and the line of its rendered output).
 */
public record Manifest(Map<String, Object> object, String origin) {

  public String apiVersion() {
    return (String) object.get("apiVersion");
  }

  public String kind() {
    return (String) object.get("kind");
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> metadata() {
    return (Map<String, Object>) object.get("metadata");
  }

  public String name() {
    return (String) metadata().get("name");
  }

  /** The namespace the manifest names, or null. */
  public String namespace() {
    return metadata().get("namespace") instanceof String ns && !ns.isEmpty() ? ns : null;
  }
}
