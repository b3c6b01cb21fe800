package dev.roadie.kubernetes.drift;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.kubernetes.backup.KubernetesMetadata;
import dev.roadie.kubernetes.backup.OwnedObjects;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects a {@code k8s} snapshot recorded, as the cluster had them then (stored without what
 * the server owns, which the comparison leaves out anyway). A stored document that does not parse
 * means a damaged snapshot. What the backup did not take (other namespaces, kinds it could not
 * read, what a selector left out) is {@linkplain #notCovered not covered}: its absence proves
 * nothing.
 */
public final class RecordedObjects implements ClusterObjects {
  private final String description;
  private final KubernetesMetadata metadata;
  private final Map<ObjectKey, Map<String, Object>> objects = new LinkedHashMap<>();

  /** KIND.GROUP → the resource its objects were recorded under. */
  private final Map<String, ApiResource> resources = new HashMap<>();

  private RecordedObjects(String description, KubernetesMetadata metadata) {
    this.description = description;
    this.metadata = metadata;
  }

  /** Reads every object of the snapshot. */
  public static RecordedObjects read(Repository repo, SnapshotRef ref) throws IOException {
    RecordedObjects out =
        new RecordedObjects(
            "snapshot "
                + ref.id().shortHex()
                + " of "
                + ref.snapshot().target()
                + " ("
                + ref.snapshot().time()
                + ")",
            SourceMetadata.of(ref.snapshot(), KubernetesMetadata.class));
    for (StoredObject stored : SnapshotObjects.read(repo, ref.snapshot(), e -> true)) {
      Map<String, Object> object;
      try {
        object = stored.parse();
      } catch (IOException e) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "snapshot " + ref.id().shortHex() + ": " + e.getMessage() + " (run 'roadie check')",
            e);
      }
      ObjectKey key = ObjectKey.of(object);
      out.objects.put(key, object);
      out.resources.computeIfAbsent(key.kindAndGroup(), k -> recordedAs(stored, object));
    }
    return out;
  }

  /** The resource of a stored object: its directory names it ({@code deployments.apps}). */
  private static ApiResource recordedAs(StoredObject stored, Map<String, Object> object) {
    String apiVersion = String.valueOf(object.get("apiVersion"));
    int dot = stored.kind().indexOf('.');
    String plural = dot < 0 ? stored.kind() : stored.kind().substring(0, dot);
    return new ApiResource(
        ObjectKey.groupOf(apiVersion),
        apiVersion.substring(apiVersion.indexOf('/') + 1),
        plural,
        String.valueOf(object.get("kind")),
        stored.namespace() != null,
        Set.of(),
        List.of());
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public Map<String, Object> get(ObjectKey key, String apiVersion) {
    return objects.get(key);
  }

  @Override
  public List<Map<String, Object>> list(String apiVersion, String kind, String namespace) {
    List<Map<String, Object>> out = new ArrayList<>();
    String group = ObjectKey.groupOf(apiVersion);
    objects.forEach(
        (key, object) -> {
          if (key.group().equals(group)
              && key.kind().equals(kind)
              && namespace.equals(key.namespace())) out.add(object);
        });
    return out;
  }

  @Override
  public ApiResource resource(String apiVersion, String kind) {
    String group = ObjectKey.groupOf(apiVersion);
    return resources.get(group.isEmpty() ? kind : kind + "." + group);
  }

  @Override
  public String notCovered(ObjectKey key, ApiResource resource) {
    if (metadata == null) return null;
    List<String> namespaces = metadata.namespaces() == null ? List.of() : metadata.namespaces();
    boolean all = Boolean.TRUE.equals(metadata.allNamespaces());
    String ns =
        key.namespace() != null
            ? key.namespace()
            : key.group().isEmpty() && key.kind().equals("Namespace") ? key.name() : null;
    if (ns != null && !all && !namespaces.contains(ns)) {
      return "the snapshot holds namespace"
          + (namespaces.size() == 1 ? " " : "s ")
          + String.join(", ", namespaces)
          + ", not "
          + ns;
    }
    if (ns == null && !Boolean.TRUE.equals(metadata.clusterResources())) {
      return "the snapshot holds only the cluster-scoped objects its namespaces use (back up with "
          + "--cluster-resources to compare every one)";
    }
    String name = resource == null ? null : resource.name();
    if (name != null && metadata.forbidden() != null) {
      for (String f : metadata.forbidden()) {
        if (f.equals(name) || f.startsWith(name + " in ")) return "the backup could not read " + f;
      }
    }
    if (name != null && OwnedObjects.KINDS.contains(name)) {
      return "backups leave " + name + " out unless --include-owned or --include-kinds takes them";
    }
    if (metadata.selector() != null) {
      return "the snapshot holds only objects labelled " + metadata.selector();
    }
    return null;
  }
}
