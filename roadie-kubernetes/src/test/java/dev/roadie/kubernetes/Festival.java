package dev.roadie.kubernetes;

import java.time.Duration;

/**
 * A festival-like application in namespace {@code festival}: deployments, a stateful set with a
 * claim template, a service of each type, config maps, secrets, an ingress, a statically bound
 * claim and volume with their storage class, a custom resource definition with custom resources,
 * roles, bindings, a cluster role and binding, a cron job, and two validating webhooks: one served
 * by the test's HTTPS server by URL (for configmaps in namespaces labelled {@code
 * roadie.dev/checked}), one whose service lives in the namespace (restored after its service and
 * workload).
 */
final class Festival {
  static final String NAMESPACE = "festival";

  private Festival() {}

  static String yaml(WebhookServer webhook) {
    return """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: festivals.roadie.dev}
        spec:
          group: roadie.dev
          scope: Namespaced
          names: {plural: festivals, singular: festival, kind: Festival, shortNames: [fest]}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: festival
          labels: {team: stage, roadie.dev/checked: "true"}
        ---
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata: {name: festival-local}
        provisioner: kubernetes.io/no-provisioner
        volumeBindingMode: Immediate
        reclaimPolicy: Retain
        ---
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: festival-data-pv, labels: {app: festival}}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadWriteOnce]
          persistentVolumeReclaimPolicy: Retain
          storageClassName: festival-local
          hostPath: {path: /tmp/roadie-festival-data}
          claimRef: {namespace: festival, name: data}
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data, namespace: festival}
        spec:
          storageClassName: festival-local
          volumeName: festival-data-pv
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: lineup, namespace: festival}
        data: {headliner: The Roadies, opener: Soundcheck, stages: "3"}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: tickets-db, namespace: festival}
        type: Opaque
        stringData: {username: tickets, password: backstage-pass}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: festival-bot, namespace: festival}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: festival-reader, namespace: festival}
        rules:
        - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: festival-reader, namespace: festival}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: festival-reader}
        subjects:
        - {kind: ServiceAccount, name: festival-bot, namespace: festival}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: festival-viewer}
        rules:
        - {apiGroups: [roadie.dev], resources: [festivals], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: festival-viewer, namespace: festival}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: festival-viewer}
        subjects:
        - {kind: ServiceAccount, name: festival-bot, namespace: festival}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: festival-bot-view}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects:
        - {kind: ServiceAccount, name: festival-bot, namespace: festival}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: festival, labels: {app: web}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              serviceAccountName: festival-bot
              containers:
              - name: web
                image: nginx:1.27
                ports: [{containerPort: 80}]
                envFrom: [{configMapRef: {name: lineup}}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: gatekeeper, namespace: festival}
        spec:
          replicas: 1
          selector: {matchLabels: {app: gatekeeper}}
          template:
            metadata: {labels: {app: gatekeeper}}
            spec:
              containers: [{name: gatekeeper, image: registry.example/gatekeeper:1, ports: [{containerPort: 8443}]}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: festival}
        spec:
          serviceName: db-headless
          replicas: 1
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers: [{name: db, image: postgres:17, volumeMounts: [{name: pgdata, mountPath: /var/lib/postgresql}]}]
          volumeClaimTemplates:
          - metadata: {name: pgdata}
            spec:
              storageClassName: festival-local
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: festival}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db-headless, namespace: festival}
        spec:
          clusterIP: None
          selector: {app: db}
          ports: [{port: 5432}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-nodeport, namespace: festival}
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{port: 80, targetPort: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-lb, namespace: festival}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports: [{port: 80, targetPort: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: tickets-vendor, namespace: festival}
        spec:
          type: ExternalName
          externalName: tickets.example.com
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: gatekeeper, namespace: festival}
        spec:
          selector: {app: gatekeeper}
          ports: [{port: 443, targetPort: 8443}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, namespace: festival}
        spec:
          rules:
          - host: festival.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly-report, namespace: festival}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: report, image: busybox:1.36, command: [echo, report]}]
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingWebhookConfiguration
        metadata: {name: festival-gatekeeper}
        webhooks:
        - name: gatekeeper.festival.roadie.dev
          clientConfig:
            service: {namespace: festival, name: gatekeeper, path: /validate, port: 443}
            caBundle: %2$s
          rules:
          - {apiGroups: [roadie.dev], apiVersions: [v1], resources: [festivals], operations: [DELETE]}
          failurePolicy: Ignore
          sideEffects: None
          admissionReviewVersions: [v1]
          timeoutSeconds: 2
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingWebhookConfiguration
        metadata: {name: festival-url-check}
        webhooks:
        - name: url-check.festival.roadie.dev
          clientConfig:
            url: %1$s
            caBundle: %2$s
          rules:
          - {apiGroups: [""], apiVersions: [v1], resources: [configmaps], operations: [CREATE, UPDATE]}
          namespaceSelector: {matchLabels: {roadie.dev/checked: "true"}}
          failurePolicy: Fail
          sideEffects: None
          admissionReviewVersions: [v1]
          timeoutSeconds: 5
        """
        .formatted(webhook.url(), webhook.caBundle());
  }

  /** The custom resources: applied once their definition is served. */
  static final String CUSTOM_RESOURCES =
      """
      apiVersion: roadie.dev/v1
      kind: Festival
      metadata: {name: main-stage, namespace: festival}
      spec: {capacity: 20000, acts: [The Roadies, Soundcheck]}
      ---
      apiVersion: roadie.dev/v1
      kind: Festival
      metadata: {name: side-stage, namespace: festival, labels: {size: small}}
      spec: {capacity: 800}
      """;

  /** Applies everything and waits until the claims exist and the static claim is bound. */
  static void create(Kubectl kubectl, WebhookServer webhook) throws InterruptedException {
    kubectl.apply(yaml(webhook));
    kubectl.run(
        "wait", "--for", "condition=Established", "crd/festivals.roadie.dev", "--timeout=60s");
    kubectl.apply(CUSTOM_RESOURCES);
    await(
        kubectl,
        "the claim data is bound",
        () ->
            "Bound"
                .equals(
                    kubectl
                        .attempt(
                            "-n", NAMESPACE, "get", "pvc", "data", "-o", "jsonpath={.status.phase}")
                        .output()));
    await(
        kubectl,
        "the stateful set made its claim",
        () -> kubectl.attempt("-n", NAMESPACE, "get", "pvc", "pgdata-db-0").status() == 0);
  }

  static void await(Kubectl kubectl, String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
      Thread.sleep(300);
    }
  }
}
