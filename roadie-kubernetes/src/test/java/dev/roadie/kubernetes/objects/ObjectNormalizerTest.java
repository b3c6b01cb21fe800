package dev.roadie.kubernetes.objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectNormalizerTest {

  private static Map<String, Object> deployment() throws Exception {
    return ObjectYaml.read(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: festival
          uid: 0b1c
          resourceVersion: "123"
          generation: 4
          creationTimestamp: "2026-01-01T00:00:00Z"
          managedFields: [{manager: kubectl}]
          ownerReferences: [{apiVersion: v1, kind: Foo, name: x, uid: 9f}]
          labels: {app: web}
          annotations:
            deployment.kubernetes.io/revision: "4"
            kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment"}'
        spec:
          replicas: 2
        status:
          readyReplicas: 2
        """
            .getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void takesOutWhatTheServerOwnsAndKeepsTheRest() throws Exception {
    Map<String, Object> in = deployment();
    Map<String, Object> out = ObjectNormalizer.normalize(in, false);
    @SuppressWarnings("unchecked")
    Map<String, Object> metadata = (Map<String, Object>) out.get("metadata");
    assertEquals(
        List.of("annotations", "labels", "name", "namespace"), List.copyOf(metadata.keySet()));
    assertEquals(
        Map.of("kubectl.kubernetes.io/last-applied-configuration", "{\"kind\":\"Deployment\"}"),
        metadata.get("annotations"));
    assertFalse(out.containsKey("status"));
    assertEquals(Map.of("replicas", 2), out.get("spec"));
    assertTrue(((Map<?, ?>) in.get("metadata")).containsKey("uid"), "the input is left as it was");
    assertTrue(ObjectNormalizer.normalize(in, true).containsKey("status"));
  }

  @Test
  void equalObjectsAreEqualBytesWhateverTheirKeyOrder() throws Exception {
    Map<String, Object> in = deployment();
    Map<String, Object> reversed = new LinkedHashMap<>();
    List.copyOf(in.keySet()).reversed().forEach(k -> reversed.put(k, in.get(k)));
    assertArrayEquals(
        ObjectYaml.write(ObjectNormalizer.normalize(in, false)),
        ObjectYaml.write(ObjectNormalizer.normalize(reversed, false)));
    assertEquals(
        ObjectNormalizer.normalize(in, false),
        ObjectYaml.read(ObjectYaml.write(ObjectNormalizer.normalize(in, false))));
  }

  @Test
  void persistentVolumeClaimRefLosesTheClaimsUid() throws Exception {
    Map<String, Object> pv =
        ObjectYaml.read(
            """
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: pv1}
        spec:
          claimRef: {kind: PersistentVolumeClaim, namespace: festival, name: data, uid: 77, resourceVersion: "9"}
        """
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(
        Map.of("kind", "PersistentVolumeClaim", "namespace", "festival", "name", "data"),
        ((Map<?, ?>)
            ((Map<?, ?>) ObjectNormalizer.normalize(pv, false).get("spec")).get("claimRef")));
  }
}
