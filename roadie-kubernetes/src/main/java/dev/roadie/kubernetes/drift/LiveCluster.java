package dev.roadie.kubernetes.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.kubernetes.client.ApiResource;
import dev.roadie.kubernetes.client.Discovery;
import dev.roadie.kubernetes.client.KubeApiException;
import dev.roadie.kubernetes.client.KubeConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A live cluster: its objects for comparing, and its server-side dry-run apply for putting Git's
 * manifests in the form the server would store. Nothing is ever written: every request is a read or
 * a dry run (which needs the {@code patch} permission on the kinds compared, nothing more).
 */
public final class LiveCluster implements ClusterObjects {
  private final KubeConnection connection;
  private Discovery discovery;

  public LiveCluster(KubeConnection connection) {
    this.connection = connection;
  }

  @Override
  public String describe() {
    return "the cluster at " + connection.server() + " (context " + connection.context() + ")";
  }

  @Override
  public Map<String, Object> get(ObjectKey key, String apiVersion) {
    ApiResource r = resource(apiVersion, key.kind());
    if (r == null) return null; // the kind is not served: the object cannot be there
    KubeConnection.Response answer =
        connection.send("GET", r.path(key.namespace(), key.name()), null, null);
    if (answer.status() == 404) return null;
    if (!answer.ok()) throw connection.error(answer, "read " + key);
    return answer.json();
  }

  @Override
  public List<Map<String, Object>> list(String apiVersion, String kind, String namespace) {
    ApiResource r = resource(apiVersion, kind);
    if (r == null) return List.of();
    List<Map<String, Object>> out = new ArrayList<>();
    String cont = null;
    do {
      String path =
          r.path(namespace)
              + "?limit=500"
              + (cont == null ? "" : "&continue=" + KubeConnection.query(cont));
      KubeConnection.Response answer = connection.send("GET", path, null, null);
      if (answer.status() == 404) return List.of();
      if (!answer.ok())
        throw connection.error(
            answer, "list " + r.name() + (namespace == null ? "" : " in " + namespace));
      Map<String, Object> page = answer.json();
      if (page.get("items") instanceof List<?> items) {
        for (Object item : items) {
          @SuppressWarnings("unchecked")
          Map<String, Object> object = (Map<String, Object>) item;
          // Items of a list carry no apiVersion and kind of their own.
          object.put("apiVersion", apiVersion);
          object.put("kind", kind);
          out.add(object);
        }
      }
      cont =
          page.get("metadata") instanceof Map<?, ?> m
                  && m.get("continue") instanceof String c
                  && !c.isEmpty()
              ? c
              : null;
    } while (cont != null);
    return out;
  }

  /**
   * The object as the server would store it if {@code object} were applied (server-side, by {@code
   * manager}, taking over fields others own), with that manager's field set in its {@code
   * managedFields}. A refusal (invalid, immutable field changed, unknown field, a webhook's no) is
   * a {@link KubeApiException} with the server's reason.
   */
  Map<String, Object> dryRunApply(
      ObjectKey key, String apiVersion, Map<String, Object> object, String manager) {
    ApiResource r = resource(apiVersion, key.kind());
    if (r == null) {
      throw new KubeApiException(
          404, "NotFound", "the server does not serve " + key.kind() + " in " + apiVersion);
    }
    byte[] body;
    try {
      body = KubeConnection.JSON.writeValueAsBytes(object);
    } catch (JsonProcessingException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, "cannot write " + key + " as JSON: " + e.getOriginalMessage(), e);
    }
    String path =
        r.path(key.namespace(), key.name())
            + "?dryRun=All&force=true&fieldValidation=Strict&fieldManager="
            + KubeConnection.query(manager);
    // JSON is YAML: the apply content type takes it as it is.
    KubeConnection.Response answer =
        connection.send("PATCH", path, "application/apply-patch+yaml", body);
    if (!answer.ok()) {
      throw connection.error(
          answer,
          "the server refuses the manifest (server-side dry-run apply), so applying it "
              + "would fail too");
    }
    return answer.json();
  }

  /**
   * The resource of a kind in a version, from the server's discovery; null when it is not served.
   */
  @Override
  public synchronized ApiResource resource(String apiVersion, String kind) {
    if (discovery == null) discovery = Discovery.load(connection);
    return discovery.forKind(apiVersion, kind).orElse(null);
  }
}
