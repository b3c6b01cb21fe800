package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.testkit.KubeCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rendered CronJobs are accepted by a real API server (server-side dry-run apply). */
@Tag("slow")
class RenderCronJobsClusterTest {
  @TempDir Path tmp;

  @Test
  void theApiServerAcceptsTheRenderedCronJobs() throws Exception {
    Path pw = Files.writeString(tmp.resolve("password"), "pw\n");
    Path slack = Files.writeString(tmp.resolve("slack-url"), "https://hooks.example/x\n");
    Path config =
        Files.writeString(
            tmp.resolve("roadie.yaml"),
            "repository: s3://bucket/roadie\npasswordFile: "
                + pw
                + "\ntimezone: Europe/Berlin\ntargets:\n"
                + "  - {name: App_Files, kind: file, paths: [/srv/app], schedule: \"0 * * * *\", retention: {keepLast: 5}}\n"
                + "  - {name: cache, kind: redis, url: \"redis://cache:6379\", schedule: \"*/15 * * * *\"}\n"
                + "notifications:\n  - webhook: {urlFile: "
                + slack
                + ", format: slack}\n");
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .run(
                "config",
                "render-cronjobs",
                config.toString(),
                "--image",
                "roadie:0.1.0",
                "--namespace",
                "backups")
            .assertExit(0);
    Path manifests = Files.writeString(tmp.resolve("cronjobs.yaml"), r.stdout());
    try (KubeCluster cluster = KubeCluster.start()) {
      kubectl(cluster, "create", "namespace", "backups");
      String out = kubectl(cluster, "apply", "--dry-run=server", "-f", manifests.toString());
      assertTrue(out.contains("cronjob.batch/roadie-app-files created (server dry run)"), out);
      assertTrue(out.contains("cronjob.batch/roadie-cache created (server dry run)"), out);
    }
  }

  private static String kubectl(KubeCluster cluster, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                KubeCluster.kubectl().toString(), "--kubeconfig", cluster.kubeconfig().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + out);
    return out;
  }
}
