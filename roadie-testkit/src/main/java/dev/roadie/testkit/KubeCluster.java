package dev.roadie.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real Kubernetes control plane of its own for a test: etcd, kube-apiserver (RBAC, client
 * certificates) and kube-controller-manager (so namespaces are finalized and owned objects garbage
 * collected), on free loopback ports, with its certificates and kubeconfig in a temporary
 * directory. There is no kubelet or scheduler: objects are stored and reconciled, pods never run.
 * The binaries are built by {@code scripts/test-servers} on first use; {@link #close} stops the
 * three and deletes the directory.
 */
public final class KubeCluster implements AutoCloseable {
  private final ServerRun run;

  private KubeCluster(ServerRun run) {
    this.run = run;
  }

  public static KubeCluster start() throws IOException {
    return new KubeCluster(ServerRun.start("kube", 1, Duration.ofMinutes(5)));
  }

  /** An admin (system:masters) kubeconfig for this cluster. */
  public Path kubeconfig() {
    return Path.of(run.env().get("KUBECONFIG"));
  }

  /** kubectl of the cluster's release. */
  public static Path kubectl() {
    return TestServers.binary("kubectl");
  }

  /** The cluster's directory (certificates, kubeconfig, logs). */
  public Path dir() {
    return run.dir();
  }

  @Override
  public void close() {
    run.close();
  }
}
