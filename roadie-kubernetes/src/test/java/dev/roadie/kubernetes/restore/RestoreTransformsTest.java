package dev.roadie.kubernetes.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.kubernetes.objects.ObjectYaml;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreTransformsTest {
  static Map<String, Object> yaml(String s) throws Exception {
    return ObjectYaml.read(s.getBytes(StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> at(Map<String, Object> o, String... path) {
    return NamespaceMapping.child(o, path);
  }

  @Test
  void serviceLosesAssignedAddressesAndPortsButKeepsWhatWasAskedFor() throws Exception {
    Map<String, Object> svc =
        yaml(
            """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: festival
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: '{"spec":{"type":"NodePort","ports":[{"port":443,"nodePort":30443}]}}'
        spec:
          type: NodePort
          clusterIP: 10.0.0.12
          clusterIPs: [10.0.0.12]
          healthCheckNodePort: 31000
          ports:
          - {port: 80, nodePort: 31234, protocol: TCP}
          - {port: 443, nodePort: 30443, protocol: TCP}
        status: {loadBalancer: {}}
        """);
    RestoreTransforms.apply("services", svc);
    Map<String, Object> spec = at(svc, "spec");
    assertFalse(
        spec.containsKey("clusterIP")
            || spec.containsKey("clusterIPs")
            || spec.containsKey("healthCheckNodePort"));
    List<?> ports = (List<?>) spec.get("ports");
    assertFalse(((Map<?, ?>) ports.get(0)).containsKey("nodePort"), "assigned by the old cluster");
    assertEquals(30443, ((Map<?, ?>) ports.get(1)).get("nodePort"), "asked for by the user");
    assertFalse(svc.containsKey("status"));

    Map<String, Object> headless =
        yaml(
            """
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: festival}
        spec: {clusterIP: None, clusterIPs: [None], ports: [{port: 5432}]}
        """);
    RestoreTransforms.apply("services", headless);
    assertEquals("None", at(headless, "spec").get("clusterIP"));
  }

  @Test
  void jobLosesItsGeneratedSelectorAndServiceAccountTokenItsToken() throws Exception {
    Map<String, Object> job =
        yaml(
            """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: once, namespace: festival}
        spec:
          selector: {matchLabels: {batch.kubernetes.io/controller-uid: abc}}
          template:
            metadata: {labels: {batch.kubernetes.io/controller-uid: abc, controller-uid: abc, job-name: once, app: x}}
        """);
    RestoreTransforms.apply("jobs.batch", job);
    assertNull(at(job, "spec").get("selector"));
    assertEquals(
        Map.of("job-name", "once", "app", "x"), at(job, "spec", "template", "metadata", "labels"));

    Map<String, Object> token =
        yaml(
            """
        apiVersion: v1
        kind: Secret
        metadata: {name: bot-token, namespace: festival, annotations: {kubernetes.io/service-account.name: bot}}
        type: kubernetes.io/service-account-token
        data: {token: b2xk}
        """);
    RestoreTransforms.apply("secrets", token);
    assertFalse(token.containsKey("data"), "the old cluster signed it; the new one fills it in");
  }

  @Test
  void mappingRewritesEveryPlaceANamespaceIsNamed() throws Exception {
    NamespaceMapping m = new NamespaceMapping(Map.of("festival", "festival-copy"));
    Map<String, Object> ns =
        yaml(
            """
        apiVersion: v1
        kind: Namespace
        metadata: {name: festival, labels: {kubernetes.io/metadata.name: festival, team: stage}}
        """);
    m.rewrite("namespaces", ns);
    assertEquals("festival-copy", at(ns, "metadata").get("name"));
    assertEquals(Map.of("team", "stage"), at(ns, "metadata", "labels"));

    Map<String, Object> pv =
        yaml(
            """
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: pv1}
        spec: {claimRef: {namespace: festival, name: data}}
        """);
    m.rewrite("persistentvolumes", pv);
    assertEquals("festival-copy", at(pv, "spec", "claimRef").get("namespace"));

    Map<String, Object> crb =
        yaml(
            """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: bot}
        subjects: [{kind: ServiceAccount, name: bot, namespace: festival}, {kind: User, name: ann}]
        """);
    m.rewrite("clusterrolebindings.rbac.authorization.k8s.io", crb);
    assertEquals(
        "festival-copy", ((Map<?, ?>) ((List<?>) crb.get("subjects")).get(0)).get("namespace"));
    assertFalse(((Map<?, ?>) ((List<?>) crb.get("subjects")).get(1)).containsKey("namespace"));

    Map<String, Object> hook =
        yaml(
            """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingWebhookConfiguration
        metadata: {name: gate}
        webhooks: [{name: a.b.c, clientConfig: {service: {namespace: festival, name: gate}}}]
        """);
    m.rewrite("validatingwebhookconfigurations.admissionregistration.k8s.io", hook);
    assertEquals(
        "festival-copy",
        at((Map<String, Object>) ((List<?>) hook.get("webhooks")).get(0), "clientConfig", "service")
            .get("namespace"));

    Map<String, Object> cm =
        yaml(
            """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c, namespace: other}
        """);
    m.rewrite("configmaps", cm);
    assertEquals("other", at(cm, "metadata").get("namespace"), "namespaces not mapped stay");
  }

  @Test
  void claimWhoseVolumeDoesNotComeBackLosesItsBinding() throws Exception {
    Map<String, Object> pvc =
        yaml(
            """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
          namespace: festival
          annotations: {pv.kubernetes.io/bind-completed: "yes", pv.kubernetes.io/bound-by-controller: "yes", keep: me}
        spec: {volumeName: pvc-123, storageClassName: fast}
        """);
    RestoreTransforms.unbindClaim(pvc);
    assertFalse(at(pvc, "spec").containsKey("volumeName"));
    assertEquals(Map.of("keep", "me"), at(pvc, "metadata", "annotations"));
    assertTrue(
        ClusterRestore.cloneName("festival-data-pv", "festival-copy")
            .startsWith("festival-data-pv-"));
    assertEquals(
        ClusterRestore.cloneName("x", "a"),
        ClusterRestore.cloneName("x", "a"),
        "stable across runs");
  }

  @Test
  void restoreOrderPutsWhatOthersNeedFirstAndOrderOverridesIt() {
    RestoreOrder d = RestoreOrder.of(List.of());
    assertTrue(d.stepOf("customresourcedefinitions.apiextensions.k8s.io") < d.stepOf("namespaces"));
    assertTrue(d.stepOf("persistentvolumes") < d.stepOf("persistentvolumeclaims"));
    assertTrue(
        d.stepOf("roles.rbac.authorization.k8s.io")
            < d.stepOf("rolebindings.rbac.authorization.k8s.io"));
    assertTrue(d.stepOf("services") < d.webhookBackendsStep());
    assertTrue(
        d.webhookBackendsStep()
            < d.stepOf("validatingwebhookconfigurations.admissionregistration.k8s.io"));
    assertEquals(d.stepOf(RestoreOrder.REST), d.stepOf("deployments.apps"));
    RestoreOrder custom = RestoreOrder.of(List.of("configmaps", "namespaces"));
    assertEquals(0, custom.stepOf("configmaps"));
    assertEquals(1, custom.stepOf("namespaces"));
    assertTrue(custom.stepOf("customresourcedefinitions.apiextensions.k8s.io") > 1);
  }
}
