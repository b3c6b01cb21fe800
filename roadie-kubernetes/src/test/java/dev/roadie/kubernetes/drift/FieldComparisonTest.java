package dev.roadie.kubernetes.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Field-level comparison over the fields Git sets, in the server's FieldsV1 form and offline. */
class FieldComparisonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Map<String, Object> json(String s) throws Exception {
    return JSON.readValue(s.replace('\'', '"'), new TypeReference<>() {});
  }

  @Test
  void onlyTheFieldsGitSetsAreComparedSoDefaultsDoNotCount() throws Exception {
    // The server defaulted imagePullPolicy and the port's protocol; Git set neither.
    Map<String, Object> fields =
        json(
            """
        {'f:spec': {'f:replicas': {}, 'f:template': {'f:spec': {'f:containers': {
          'k:{"name":"web"}': {'.': {}, 'f:name': {}, 'f:image': {},
            'f:ports': {'k:{"containerPort":80,"protocol":"TCP"}': {'.': {}, 'f:containerPort': {}}}}}}}}}
        """
                .replace("\"", "\\\""));
    Map<String, Object> cluster =
        json(
            """
        {'spec': {'replicas': 5, 'template': {'spec': {'containers': [
          {'name': 'sidecar', 'image': 'log:1'},
          {'name': 'web', 'image': 'web:1.2', 'imagePullPolicy': 'IfNotPresent',
           'ports': [{'containerPort': 80, 'protocol': 'TCP'}]}]}}}}
        """);
    Map<String, Object> git =
        json(
            """
        {'spec': {'replicas': 3, 'template': {'spec': {'containers': [
          {'name': 'web', 'image': 'web:1.3', 'imagePullPolicy': 'Always',
           'ports': [{'containerPort': 80, 'protocol': 'TCP'}]}]}}}}
        """);
    List<FieldDifference> d = new FieldComparison(false).compare(fields, cluster, git);
    assertEquals(
        List.of(
            FieldDifference.changed("/spec/replicas", 5, 3),
            // The path points into the cluster's object: web is its second container.
            FieldDifference.changed(
                "/spec/template/spec/containers/1/image", "web:1.2", "web:1.3")),
        d);
  }

  @Test
  void anItemTheClusterLacksIsReportedWithWhatGitSetsOfIt() throws Exception {
    Map<String, Object> fields =
        json(
            """
        {'f:data': {'f:a': {}, 'f:b': {}}, 'f:spec': {'f:ports': {
          'k:{"port":80,"protocol":"TCP"}': {'.': {}, 'f:port': {}},
          'k:{"port":443,"protocol":"TCP"}': {'.': {}, 'f:port': {}}}}}
        """
                .replace("\"", "\\\""));
    Map<String, Object> cluster =
        json("{'data': {'a': '1'}, 'spec': {'ports': [{'port': 80, 'protocol': 'TCP'}]}}");
    Map<String, Object> git =
        json(
            """
        {'data': {'a': '1', 'b': '2'}, 'spec': {'ports': [{'port': 80, 'protocol': 'TCP'},
          {'port': 443, 'protocol': 'TCP', 'targetPort': 443}]}}""");
    List<FieldDifference> d = new FieldComparison(false).compare(fields, cluster, git);
    assertEquals(
        List.of(
            FieldDifference.onlyInGit("/data/b", "2"),
            FieldDifference.onlyInGit("/spec/ports/1", Map.of("port", 443))),
        d);
  }

  @Test
  void atomicValuesAreComparedWholeAndReportedByTheirInnerPaths() throws Exception {
    Map<String, Object> fields = json("{'f:spec': {'f:selector': {}, 'f:args': {}}}");
    Map<String, Object> cluster =
        json(
            "{'spec': {'selector': {'matchLabels': {'app': 'web', 'tier': 'x'}}, 'args': ['a', 'b']}}");
    Map<String, Object> git =
        json("{'spec': {'selector': {'matchLabels': {'app': 'web2'}}, 'args': ['a', 'b', 'c']}}");
    List<FieldDifference> d = new FieldComparison(false).compare(fields, cluster, git);
    assertEquals(
        List.of(
            FieldDifference.changed("/spec/selector/matchLabels/app", "web", "web2"),
            FieldDifference.onlyInCluster("/spec/selector/matchLabels/tier", "x"),
            FieldDifference.changed("/spec/args", List.of("a", "b"), List.of("a", "b", "c"))),
        d);
  }

  @Test
  void pointerSegmentsAreEscaped() throws Exception {
    Map<String, Object> fields =
        json("{'f:metadata': {'f:labels': {'f:app.kubernetes.io/name': {}}}}");
    Map<String, Object> cluster = json("{'metadata': {'labels': {'app.kubernetes.io/name': 'a'}}}");
    Map<String, Object> git = json("{'metadata': {'labels': {'app.kubernetes.io/name': 'b'}}}");
    assertEquals(
        List.of(FieldDifference.changed("/metadata/labels/app.kubernetes.io~1name", "a", "b")),
        new FieldComparison(false).compare(fields, cluster, git));
  }

  @Test
  void fieldsAPersonSetThatGitDoesNotCoverAreInTheClusterOnly() throws Exception {
    Map<String, Object> cluster =
        json(
            """
        {'metadata': {'labels': {'app': 'web', 'hotfix': 'yes'},
          'annotations': {'kubectl.kubernetes.io/last-applied-configuration': '{}'}},
         'data': {'a': '1', 'removed-from-git': 'x'}}""");
    Map<String, Object> hand =
        json(
            """
        {'f:metadata': {'f:labels': {'.': {}, 'f:app': {}, 'f:hotfix': {}},
          'f:annotations': {'f:kubectl.kubernetes.io/last-applied-configuration': {}}},
         'f:data': {'.': {}, 'f:a': {}, 'f:removed-from-git': {}}}""");
    Map<String, Object> git =
        json("{'f:metadata': {'f:labels': {'f:app': {}}}, 'f:data': {'f:a': {}}}");
    assertEquals(
        List.of(
            FieldDifference.onlyInCluster("/metadata/labels/hotfix", "yes"),
            FieldDifference.onlyInCluster("/data/removed-from-git", "x")),
        FieldComparison.unownedByGit(hand, git, cluster));
  }

  @Test
  void aNodeAToolMadeIsReportedWholeAndOneItOnlyAddedToIsEnteredInto() throws Exception {
    // Git sets no metadata at all: an annotation added by hand is that annotation, not all of
    // metadata.
    Map<String, Object> cluster =
        json(
            """
        {'metadata': {'name': 'web', 'annotations': {'note': 'x'}},
         'spec': {'containers': [{'name': 'web', 'image': 'w'}, {'name': 'debug', 'image': 'busybox'}]}}""");
    Map<String, Object> annotate = json("{'f:metadata': {'f:annotations': {'f:note': {}}}}");
    Map<String, Object> patch =
        json(
            """
        {'f:spec': {'f:containers': {'k:{"name":"debug"}': {'.': {}, 'f:name': {}, 'f:image': {}}}}}
        """
                .replace("\"", "\\\""));
    Map<String, Object> git =
        json(
            """
        {'f:spec': {'f:containers': {'k:{"name":"web"}': {'.': {}, 'f:name': {}, 'f:image': {}}}}}
        """
                .replace("\"", "\\\""));
    assertEquals(
        List.of(FieldDifference.onlyInCluster("/metadata/annotations/note", "x")),
        FieldComparison.unownedByGit(annotate, git, cluster));
    assertEquals(
        List.of(
            FieldDifference.onlyInCluster(
                "/spec/containers/1", Map.of("name", "debug", "image", "busybox"))),
        FieldComparison.unownedByGit(patch, git, cluster));
  }

  @Test
  void offlineTheManifestIsItsOwnFieldSetWithListsKeyedByName() throws Exception {
    Map<String, Object> manifest =
        json(
            """
        {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web'},
         'spec': {'template': {'spec': {'containers': [{'name': 'web', 'image': 'web:1',
           'resources': {'requests': {'cpu': '0.5', 'memory': '1Gi'}}}]}}}}""");
    Map<String, Object> stored =
        json(
            """
        {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web', 'namespace': 'x'},
         'spec': {'replicas': 1, 'template': {'spec': {'containers': [
           {'name': 'init', 'image': 'i'},
           {'name': 'web', 'image': 'web:2', 'imagePullPolicy': 'IfNotPresent',
            'resources': {'requests': {'cpu': '500m', 'memory': '1073741824'}}}]}}}}""");
    List<FieldDifference> d =
        new FieldComparison(true).compare(FieldComparison.fieldsOf(manifest), stored, manifest);
    assertEquals(
        List.of(
            FieldDifference.changed("/spec/template/spec/containers/1/image", "web:2", "web:1")),
        d);
    // Without the quantity rule 0.5 and 500m differ.
    assertEquals(
        3,
        new FieldComparison(false)
            .compare(FieldComparison.fieldsOf(manifest), stored, manifest)
            .size());
  }
}
