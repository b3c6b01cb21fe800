package dev.roadie.kubernetes.objects;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.TreeBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@code k8s} snapshot holds, by namespace and kind: the tree of {@link ObjectPaths} ({@code
 * NAMESPACE/KIND/NAME.yaml}, {@code _cluster/KIND/NAME.yaml}), each YAML file an {@code object}
 * entry with its namespace, kind (the resource name, as {@code deployments.apps}) and name.
 */
public final class ObjectBrowser extends TreeBrowser {

  public ObjectBrowser(Repository repo, SnapshotRef snapshot) {
    super(repo, snapshot);
  }

  @Override
  protected Entry entry(String path, Node node, int depth) {
    String[] parts = path.split("/", 3);
    String namespace = ObjectPaths.CLUSTER.equals(parts[0]) ? null : parts[0];
    Map<String, Object> details = new LinkedHashMap<>();
    if (depth == 1 && Node.DIR.equals(node.type())) {
      details.put("scope", namespace == null ? "cluster" : "namespace");
    } else if (depth == 2 && Node.DIR.equals(node.type())) {
      details.put("kind", node.name());
    } else if (depth == 3 && node.hasContent() && node.name().endsWith(ObjectPaths.SUFFIX)) {
      if (namespace != null) details.put("namespace", namespace);
      details.put("kind", parts[1]);
      details.put(
          "name", node.name().substring(0, node.name().length() - ObjectPaths.SUFFIX.length()));
      return new Entry(
          path, "object", node.size(), null, null, contentId(node), null, true, details);
    }
    return new Entry(
        path, node.type(), node.size(), null, null, contentId(node), null, true, details);
  }
}
