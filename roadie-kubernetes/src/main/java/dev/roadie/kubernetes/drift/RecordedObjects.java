package dev.roadie.kubernetes.drift;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects a {@code k8s} snapshot recorded, as the cluster had them then (stored without what
 * the server owns, which the comparison leaves out anyway). A stored document that does not parse
 * means a damaged snapshot.
 */
public final class RecordedObjects implements ClusterObjects {
  private final String description;
  private final Map<ObjectKey, Map<String, Object>> objects = new LinkedHashMap<>();
  /** KIND.GROUP → whether its objects lie in namespaces. */
  private final Map<String, Boolean> namespaced = new HashMap<>();

  private RecordedObjects(String description) {
    this.description = description;
  }

  /** Reads every object of the snapshot. */
  public static RecordedObjects read(Repository repo, SnapshotRef ref) throws IOException {
    RecordedObjects out = new RecordedObjects("snapshot " + ref.id().shortHex() + " of " + ref.snapshot().target()
        + " (" + ref.snapshot().time() + ")");
    for (StoredObject stored : SnapshotObjects.read(repo, ref.snapshot(), e -> true)) {
      Map<String, Object> object;
      try {
        object = stored.parse();
      } catch (IOException e) {
        throw new RoadieException(ErrorCode.INTEGRITY, "snapshot " + ref.id().shortHex() + ": " + e.getMessage()
            + " (run 'roadie check')", e);
      }
      ObjectKey key = ObjectKey.of(object);
      out.objects.put(key, object);
      out.namespaced.put(key.kindAndGroup(), key.namespace() != null);
    }
    return out;
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
    objects.forEach((key, object) -> {
      if (key.group().equals(group) && key.kind().equals(kind) && namespace.equals(key.namespace())) out.add(object);
    });
    return out;
  }

  @Override
  public Boolean namespaced(String apiVersion, String kind) {
    String group = ObjectKey.groupOf(apiVersion);
    return namespaced.get(group.isEmpty() ? kind : kind + "." + group);
  }
}
