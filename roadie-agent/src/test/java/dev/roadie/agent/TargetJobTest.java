package dev.roadie.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.job.TargetJob;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.verify.Records;
import dev.roadie.core.verify.RunRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetJobTest {
  @TempDir Path tmp;

  /** The minimal config of issue 19, word for word. */
  static final String ISSUE_MINIMAL =
      """
      repository: /srv/roadie/repo
      passwordFile: /etc/roadie/password
      listen: 127.0.0.1:9464
      targets:
        - name: app-files
          kind: file
          paths: [/srv/app]
          schedule: "0 * * * *"
          retention: {keepLast: 5}
        - name: cache
          kind: redis
          url: redis://cache:6379
          schedule: "*/15 * * * *"
      notifications:
        - webhook: {urlFile: /etc/roadie/slack-url, format: slack}
      """;

  /**
   * The issue's minimal config loads and runs as written: only the places it names (the repository,
   * the password and webhook files, the backed-up directory and the Redis server) are moved to this
   * test's own, every key and value stays.
   */
  @Test
  void theIssuesMinimalConfigLoadsAndRunsAsWritten() throws Exception {
    Fixture f = new Fixture(tmp).init();
    Path app = f.data("app", 3);
    Files.writeString(tmp.resolve("slack-url"), "http://127.0.0.1:9/hook\n");
    try (TestRedis redis = TestRedis.start(tmp.resolve("redis"))) {
      redis.command("SET k1 v1");
      String yaml =
          ISSUE_MINIMAL
              .replace("/srv/roadie/repo", f.repo.toString())
              .replace("/etc/roadie/password", f.passwordFile.toString())
              .replace("/etc/roadie/slack-url", tmp.resolve("slack-url").toString())
              .replace("/srv/app", app.toString())
              .replace("redis://cache:6379", "redis://127.0.0.1:" + redis.port);
      AgentConfig config = ConfigLoader.load(f.config(yaml), Map.of());
      assertEquals(2, config.targets().size());
      assertEquals(5, config.target("app-files").retention().last());
      assertEquals(3600, config.target("app-files").expectedInterval().toSeconds());
      assertEquals(900, config.target("cache").expectedInterval().toSeconds());
      assertEquals("slack", config.notifications().get(0).format());
      List<String> log = new ArrayList<>();
      TargetJob job = new TargetJob(config, log::add);
      for (int i = 0; i < 6; i++)
        assertTrue(job.run(config.target("app-files"), "manual").succeeded(), log.toString());
      RunRecord cache = job.run(config.target("cache"), "manual");
      assertTrue(cache.succeeded(), cache.error());
      try (Repository r = f.open()) {
        List<SnapshotRef> snaps = r.snapshots(null);
        // keepLast 5: the sixth backup of app-files removed the first.
        assertEquals(
            5, snaps.stream().filter(s -> s.snapshot().target().equals("app-files")).count());
        assertEquals(1, snaps.stream().filter(s -> s.snapshot().target().equals("cache")).count());
        List<Records.Stored<RunRecord>> runs = Records.runs(r, new ArrayList<>());
        assertEquals(7, runs.size());
        RunRecord last = runs.get(6).record();
        assertEquals("cache", last.target());
        assertEquals("redis", last.kind());
        assertNotNull(last.snapshot());
        assertEquals(RunRecord.SUCCESS, runs.get(5).record().result());
        assertEquals("retention", runs.get(5).record().steps().get(0).name());
        assertTrue(runs.get(5).record().steps().get(0).summary().contains("removed 1"));
      }
    }
  }

  @Test
  void aFailedJobIsRecordedWithItsErrorAndWritesNoSnapshot() throws Exception {
    Fixture f = new Fixture(tmp).init();
    int port = TestRedis.freePort(); // nothing listens there
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                "repository: "
                    + f.repo
                    + "\npasswordFile: "
                    + f.passwordFile
                    + "\nretries: {attempts: 3, backoff: 1s}\ntargets:\n  - {name: cache, kind: redis, url: \"redis://127.0.0.1:"
                    + port
                    + "\"}\n"),
            Map.of());
    List<java.time.Duration> waits = new ArrayList<>();
    TargetJob job = new TargetJob(config, java.time.Clock.systemUTC(), m -> {}, waits::add);
    RunRecord r = job.run(config.target("cache"), "manual");
    assertEquals(RunRecord.FAILURE, r.result());
    assertNull(r.snapshot());
    assertTrue(r.error().contains("127.0.0.1:" + port), r.error());
    try (Repository repo = f.open()) {
      assertTrue(repo.snapshots(null).isEmpty());
      RunRecord stored = Records.runs(repo, new ArrayList<>()).get(0).record();
      assertEquals(r.error(), stored.error());
      assertEquals(r.attempts(), stored.attempts());
      // A refused connection is retriable or not as the source says; the tries and waits agree.
      assertEquals(stored.attempts() - 1, waits.size());
    }
  }

  @Test
  void aMissingRepositoryIsRefusedWithTheInitCommand() throws Exception {
    Fixture f = new Fixture(tmp); // not initialised
    AgentConfig config =
        ConfigLoader.load(
            f.config(
                "repository: "
                    + f.repo
                    + "\npasswordFile: "
                    + f.passwordFile
                    + "\ntargets:\n  - {name: a, kind: file, paths: ["
                    + f.data("a", 1)
                    + "]}\n"),
            Map.of());
    RunRecord r = new TargetJob(config, m -> {}).run(config.target("a"), "manual");
    assertEquals(ErrorCode.NO_REPOSITORY.name(), r.errorCode());
    assertTrue(
        r.error()
            .contains(
                "create it with: roadie init --repo "
                    + f.repo
                    + " --password-file "
                    + f.passwordFile),
        r.error());
    assertTrue(Files.notExists(f.repo.resolve("config")), "never created silently");
  }
}
