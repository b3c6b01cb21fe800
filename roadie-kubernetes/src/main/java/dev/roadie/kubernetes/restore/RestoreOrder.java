package dev.roadie.kubernetes.restore;

import java.util.ArrayList;
import java.util.List;

/**
 * The order a restore creates objects in, one step after another (objects of one step in parallel):
 * what others need comes first. Custom resource definitions (then the restore waits until each is
 * established and served), namespaces, storage classes, persistent volumes, claims, roles and
 * cluster roles, their bindings, service accounts, secrets, config maps, limit ranges, resource
 * quotas, priority classes, services, the workloads that serve admission webhooks, the webhook
 * configurations and admission policies, then everything else. {@code --order} moves the kinds it
 * names to the front, in its order.
 */
public final class RestoreOrder {
  /** The special step of the workloads behind the webhooks' services. */
  public static final String WEBHOOK_BACKENDS = "webhook backends";

  /** The step of everything not named. */
  public static final String REST = "the rest";

  /** The default steps; a step is one or more kinds. */
  public static final List<List<String>> DEFAULT =
      List.of(
          List.of("customresourcedefinitions.apiextensions.k8s.io"),
          List.of("namespaces"),
          List.of("storageclasses.storage.k8s.io"),
          List.of("persistentvolumes"),
          List.of("persistentvolumeclaims"),
          List.of("clusterroles.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io"),
          List.of(
              "clusterrolebindings.rbac.authorization.k8s.io",
              "rolebindings.rbac.authorization.k8s.io"),
          List.of("serviceaccounts"),
          List.of("secrets"),
          List.of("configmaps"),
          List.of("limitranges"),
          List.of("resourcequotas"),
          List.of("priorityclasses.scheduling.k8s.io"),
          List.of("services"),
          List.of(WEBHOOK_BACKENDS),
          List.of(
              "validatingwebhookconfigurations.admissionregistration.k8s.io",
              "mutatingwebhookconfigurations.admissionregistration.k8s.io",
              "validatingadmissionpolicies.admissionregistration.k8s.io",
              "validatingadmissionpolicybindings.admissionregistration.k8s.io",
              "mutatingadmissionpolicies.admissionregistration.k8s.io",
              "mutatingadmissionpolicybindings.admissionregistration.k8s.io"),
          List.of(REST));

  private final List<List<String>> steps;

  private RestoreOrder(List<List<String>> steps) {
    this.steps = steps;
  }

  /** The default order with {@code first} (resource names, already resolved) moved to the front. */
  public static RestoreOrder of(List<String> first) {
    List<List<String>> steps = new ArrayList<>();
    for (String k : first) steps.add(List.of(k));
    for (List<String> step : DEFAULT) {
      List<String> rest = step.stream().filter(k -> !first.contains(k)).toList();
      if (!rest.isEmpty()) steps.add(rest);
    }
    return new RestoreOrder(steps);
  }

  public List<List<String>> steps() {
    return steps;
  }

  /** The step of a kind (a resource name): its own, else that of {@link #REST}. */
  public int stepOf(String kind) {
    int rest = -1;
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).contains(kind)) return i;
      if (steps.get(i).contains(REST)) rest = i;
    }
    return rest;
  }

  /** The step of the webhook backends. */
  public int webhookBackendsStep() {
    return stepOf(WEBHOOK_BACKENDS);
  }

  /** Every kind in step order, for sorting a report. */
  public List<String> flat() {
    return steps.stream().flatMap(List::stream).toList();
  }
}
