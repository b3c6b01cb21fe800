package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.agent.Agent;
import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import dev.roadie.testkit.KubeCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kubernetes target with {@code schedule: on-change}, supervised by the agent against a real API
 * server.
 */
@Tag("slow")
class AgentContinuousTest {
  @TempDir Path tmp;

  @Test
  void anOnChangeTargetSnapshotsWhenTheClusterChangesAndStopsCleanly() throws Exception {
    Path repoDir = tmp.resolve("repo");
    Repository.init(new LocalBackend(repoDir), "pw".toCharArray(), 1 << 20).close();
    Path pw = Files.writeString(tmp.resolve("password"), "pw\n");
    List<String> log = new CopyOnWriteArrayList<>();
    try (KubeCluster cluster = KubeCluster.start()) {
      kubectl(cluster, "create", "namespace", "agent-fest");
      kubectl(
          cluster,
          "-n",
          "agent-fest",
          "create",
          "configmap",
          "lineup",
          "--from-literal=headliner=one");
      AgentConfig config =
          ConfigLoader.load(
              Files.writeString(
                  tmp.resolve("roadie.yaml"),
                  "repository: "
                      + repoDir
                      + "\npasswordFile: "
                      + pw
                      + "\nlisten: 127.0.0.1:0\ntargets:\n  - name: fest\n    kind: k8s\n"
                      + "    namespaces: [agent-fest]\n    kubeconfig: "
                      + cluster.kubeconfig()
                      + "\n    schedule: on-change\n"),
              Map.of());
      Agent agent = new Agent(config, Agent.Options.of("test", false, log::add));
      agent.start(null);
      awaitRuns(repoDir, 1, log); // the first snapshot at once
      kubectl(
          cluster, "-n", "agent-fest", "create", "configmap", "encore", "--from-literal=song=two");
      awaitRuns(repoDir, 2, log); // then one once the change has settled
      agent.requestStop();
      assertTrue(agent.stop(Duration.ofMinutes(1)), log.toString());
    }
    try (Repository r = Repository.open(new LocalBackend(repoDir), "pw".toCharArray())) {
      List<Records.Stored<RunRecord>> runs = Records.runs(r, new ArrayList<>());
      assertTrue(runs.size() >= 2, runs.toString());
      assertEquals("change", runs.get(0).record().trigger());
      assertTrue(runs.stream().allMatch(s -> s.record().succeeded()), runs.toString());
      assertEquals(runs.size(), r.snapshots(null).size(), "one run record per snapshot");
    }
  }

  /**
   * A postgres-physical target with {@code schedule: continuous}: the agent streams its WAL and
   * confirms it.
   */
  @Test
  void aContinuousTargetStreamsWalUntilStopped() throws Exception {
    Path bin = PostgresCliTest.findBin();
    org.junit.jupiter.api.Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    Path dir = Files.createTempDirectory("roadie-agent-wal-");
    PgServer pg = null;
    try {
      Path dbPassword = Files.writeString(dir.resolve("dbpw"), PgServer.DB_PW + "\n");
      if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", dir.toString()));
      pg = PgServer.initdb(bin, dir.resolve("primary"), dbPassword, "");
      pg.start();
      PgServer primary = pg;
      int port = pg.port;
      Path repoDir = tmp.resolve("repo");
      Repository.init(new LocalBackend(repoDir), "pw".toCharArray(), 1 << 20).close();
      Path pw = Files.writeString(tmp.resolve("password"), "pw\n");
      Path dbpw = Files.writeString(tmp.resolve("db-password"), "db-pw\n");
      AgentConfig config =
          ConfigLoader.load(
              Files.writeString(
                  tmp.resolve("roadie.yaml"),
                  "repository: "
                      + repoDir
                      + "\npasswordFile: "
                      + pw
                      + "\nlisten: 127.0.0.1:0\ntargets:\n  - name: wal\n    kind: postgres-physical\n"
                      + "    url: postgresql://postgres@127.0.0.1:"
                      + port
                      + "/postgres\n    passwordFile: "
                      + dbpw
                      + "\n    schedule: continuous\n"),
              Map.of());
      List<String> log = new CopyOnWriteArrayList<>();
      Agent agent = new Agent(config, Agent.Options.of("test", false, log::add));
      agent.start(null);
      WalStreamCliTest.await(
          () ->
              primary
                  .query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                  .equals("1"),
          "the agent streams WAL");
      primary.sql("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
      String lsn = primary.query("SELECT pg_current_wal_flush_lsn()");
      WalStreamCliTest.await(
          () ->
              primary
                  .query("SELECT flush_lsn >= '" + lsn + "' FROM pg_stat_replication")
                  .equals("t"),
          "the agent confirms " + lsn);
      agent.requestStop();
      assertTrue(agent.stop(Duration.ofMinutes(1)), log.toString());
      try (var files = Files.walk(repoDir.resolve("wal"))) {
        assertTrue(files.filter(Files::isRegularFile).count() > 0, "WAL stored in the repository");
      }
      assertEquals(
          "0", primary.query("SELECT count(*) FROM pg_stat_replication"), "disconnected on stop");
    } finally {
      if (pg != null) pg.close();
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void awaitRuns(Path repoDir, int n, List<String> log) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Repository r = Repository.open(new LocalBackend(repoDir), "pw".toCharArray())) {
        if (Records.runs(r, new ArrayList<>()).size() >= n) return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no " + n + " run records; log: " + log);
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
