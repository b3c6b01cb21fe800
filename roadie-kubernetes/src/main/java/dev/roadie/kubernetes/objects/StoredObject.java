package dev.roadie.kubernetes.objects;

import java.io.IOException;
import java.util.Map;

/**
 * One object of a Kubernetes snapshot: where it lies ({@code namespace} null for cluster-scoped
 * objects, {@code kind} the resource name as {@code deployments.apps}), its name, and its YAML.
 */
public record StoredObject(String namespace, String kind, String name, byte[] yaml) {

  public String path() {
    return ObjectPaths.path(namespace, kind, name);
  }

  /** The object as a map; an unreadable document is an {@link IOException} naming the path. */
  public Map<String, Object> parse() throws IOException {
    try {
      return ObjectYaml.read(yaml);
    } catch (IOException e) {
      throw new IOException(path() + " is not a YAML object: " + e.getMessage(), e);
    }
  }
}
