package dev.roadie.kubernetes.client;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a Kubernetes client finds its cluster and credentials, as kubectl finds them: the files of
 * {@code KUBECONFIG} (a path list) when it is set, else {@code ~/.kube/config}; else, inside a pod,
 * the pod's service account ({@code KUBERNETES_SERVICE_HOST}, {@code KUBERNETES_SERVICE_PORT} and
 * the token and CA under {@code /var/run/secrets/kubernetes.io/serviceaccount}). The caller reads
 * the environment ({@link #of}); nothing in the source does.
 *
 * @param kubeconfigs the kubeconfig files in kubectl's order (the first that sets a value wins);
 *     those that do not exist are passed over, as kubectl does
 * @param inCluster the pod's service account, or null outside a pod
 * @param described how the kubeconfig was found, for messages ("KUBECONFIG=…", "~/.kube/config")
 */
public record KubeEnvironment(List<Path> kubeconfigs, InCluster inCluster, String described) {

  /** The service account of the pod this runs in. */
  public record InCluster(String host, String port, Path tokenFile, Path caFile) {
    public static final Path ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  }

  public KubeEnvironment {
    kubeconfigs = List.copyOf(kubeconfigs);
  }

  /** A single kubeconfig file, as {@code --kubeconfig FILE} would give it. */
  public static KubeEnvironment file(Path kubeconfig) {
    return new KubeEnvironment(List.of(kubeconfig), null, kubeconfig.toString());
  }

  /**
   * kubectl's rules over the given environment variables and home directory: {@code KUBECONFIG}
   * when set and not empty, else {@code HOME/.kube/config}; the in-cluster account when {@code
   * KUBERNETES_SERVICE_HOST} is set and the token file exists.
   */
  public static KubeEnvironment of(Map<String, String> env, Path home) {
    List<Path> files = new ArrayList<>();
    String described;
    String kubeconfig = env.get("KUBECONFIG");
    if (kubeconfig != null && !kubeconfig.isBlank()) {
      for (String p : kubeconfig.split(File.pathSeparator)) {
        if (!p.isBlank()) files.add(Path.of(p));
      }
      described = "KUBECONFIG=" + kubeconfig;
    } else {
      files.add(home.resolve(".kube").resolve("config"));
      described = "~/.kube/config";
    }
    InCluster inCluster = null;
    String host = env.get("KUBERNETES_SERVICE_HOST");
    Path token = InCluster.ACCOUNT.resolve("token");
    if (host != null && !host.isBlank() && Files.isReadable(token)) {
      inCluster =
          new InCluster(
              host,
              env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"),
              token,
              InCluster.ACCOUNT.resolve("ca.crt"));
    }
    return new KubeEnvironment(files, inCluster, described);
  }

  /** The kubeconfig files that exist, in order. */
  public List<Path> existingKubeconfigs() {
    return kubeconfigs.stream().filter(Files::isRegularFile).toList();
  }
}
