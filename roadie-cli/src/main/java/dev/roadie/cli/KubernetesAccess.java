package dev.roadie.cli;

import dev.roadie.kubernetes.client.KubeEnvironment;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which cluster a k8s command talks to: the kubeconfig as kubectl finds it, and a context. */
final class KubernetesAccess {
  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "k8s: the kubeconfig context (default: its current context).")
  String context;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "k8s: this kubeconfig instead of $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  /**
   * The kubeconfig: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the pod's service
   * account.
   */
  KubeEnvironment environment() {
    if (kubeconfig != null) return KubeEnvironment.file(kubeconfig);
    return KubeEnvironment.of(System.getenv(), Path.of(System.getProperty("user.home")));
  }
}
