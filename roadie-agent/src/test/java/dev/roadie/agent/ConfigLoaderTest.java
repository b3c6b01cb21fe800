package dev.roadie.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.agent.config.AgentConfig;
import dev.roadie.agent.config.ConfigLoader;
import dev.roadie.agent.config.Schedule;
import dev.roadie.agent.config.TargetConfig;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path tmp;

  private String valid(Fixture f, String targets) {
    return "repository: " + f.repo + "\npasswordFile: " + f.passwordFile + "\ntargets:\n" + targets;
  }

  private RoadieException refused(Fixture f, String yaml) throws Exception {
    Path file = f.config(yaml);
    RoadieException e =
        assertThrows(RoadieException.class, () -> ConfigLoader.load(file, Map.of()));
    assertEquals(ErrorCode.USAGE, e.code());
    return e;
  }

  @Test
  void errorsNameTheFileTheLineAndTheKey() throws Exception {
    Fixture f = new Fixture(tmp);
    RoadieException e =
        refused(
            f,
            valid(
                f,
                """
          - name: app
            kind: file
            paths: [/srv/app]
            pathz: [/srv/other]
            schedule: "0 * * * *"
        """));
    assertTrue(
        e.getMessage()
            .startsWith(f.dir.resolve("roadie.yaml") + " line 7, target 'app', key 'pathz': "),
        e.getMessage());
    assertTrue(e.getMessage().contains("its options are"), e.getMessage());
  }

  @Test
  void everyProblemIsReportedAtOnce() throws Exception {
    Fixture f = new Fixture(tmp);
    RoadieException e =
        refused(
            f,
            valid(
                f,
                """
          - name: app
            kind: file
            paths: [/srv/app]
            schedule: "0 25 * * *"
          - name: cache
            kind: rediss
            url: redis://cache:6379
        """));
    String m = e.getMessage();
    assertTrue(m.contains("2 problems"), m);
    assertTrue(m.contains("line 7, key 'schedule': '0 25 * * *' is not a cron expression"), m);
    assertTrue(m.contains("line 9, target 'cache', key 'kind': 'rediss' is not a kind"), m);
  }

  @Test
  void secretsAreNeverInline() throws Exception {
    Fixture f = new Fixture(tmp);
    String inUrl =
        refused(
                f,
                valid(
                    f,
                    """
          - name: cache
            kind: redis
            url: redis://:hunter2@cache:6379
        """))
            .getMessage();
    assertTrue(inUrl.contains("key 'url': a password is never written into the config"), inUrl);
    assertFalse(inUrl.contains("hunter2"), inUrl);
    String inline =
        refused(
                f,
                valid(
                    f,
                    """
          - name: cache
            kind: redis
            url: redis://cache:6379
            password: hunter2
        """))
            .getMessage();
    assertTrue(
        inline.contains("key 'password': a secret is never written into the config"), inline);
    assertFalse(inline.contains("hunter2"), inline);
    String hook =
        refused(
                f,
                valid(
                    f,
                    """
          - name: app
            kind: file
            paths: [/srv/app]
        notifications:
          - webhook: {url: "https://hooks.example/T000/secret", format: slack}
        """))
            .getMessage();
    assertTrue(hook.contains("key 'url': a webhook URL is a credential"), hook);
    assertFalse(hook.contains("secret"), hook);
  }

  @Test
  void aSecretFromTheEnvironmentIsRead() throws Exception {
    Fixture f = new Fixture(tmp);
    Path file =
        f.config(
            valid(
                f,
                """
          - name: cache
            kind: redis
            url: redis://cache:6379
            passwordEnv: CACHE_PASSWORD
        """));
    String missing =
        assertThrows(RoadieException.class, () -> ConfigLoader.load(file, Map.of())).getMessage();
    assertTrue(
        missing.contains("key 'passwordEnv': the environment variable CACHE_PASSWORD is not set"),
        missing);
    AgentConfig c = ConfigLoader.load(file, Map.of("CACHE_PASSWORD", "s3cret"));
    assertFalse(c.target("cache").options().toString().contains("s3cret"));
  }

  @Test
  void aMissingPasswordFileIsNamed() throws Exception {
    Fixture f = new Fixture(tmp);
    String m =
        refused(
                f,
                "repository: "
                    + f.repo
                    + "\npasswordFile: /nonexistent/pw\ntargets:\n"
                    + "  - {name: a, kind: file, paths: [/srv]}\n")
            .getMessage();
    assertTrue(
        m.contains("line 2, key 'passwordFile': the file /nonexistent/pw does not exist"), m);
  }

  /**
   * A config rendered for other hosts (render-cronjobs) names files that only its pods have: they
   * are not looked for here, and everything else is still checked.
   */
  @Test
  void aConfigForOtherHostsNeedsNotItsFilesHere() throws Exception {
    Fixture f = new Fixture(tmp);
    String yaml =
        "repository: "
            + f.repo
            + "\npasswordFile: /nonexistent/pw\ntargets:\n"
            + "  - {name: a, kind: file, paths: [/srv], schedule: '0 * * * *'}\n"
            + "  - {name: c, kind: redis, url: 'redis://cache:6379',"
            + " passwordFile: /nonexistent/redis-pw, schedule: '*/15 * * * *'}\n"
            + "notifications:\n  - webhook: {urlFile: /nonexistent/hook-url}\n";
    Path file = Files.writeString(tmp.resolve("pods.yaml"), yaml);
    AgentConfig c = ConfigLoader.loadForOtherHosts(file, Map.of());
    assertEquals(
        java.util.Set.of(
            Path.of("/nonexistent/pw"),
            Path.of("/nonexistent/redis-pw"),
            Path.of("/nonexistent/hook-url")),
        java.util.Set.copyOf(c.files()));
    assertThrows(RoadieException.class, () -> ConfigLoader.load(file, Map.of()));
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), yaml.replace("kind: file", "kind: nope"));
    RoadieException e =
        assertThrows(RoadieException.class, () -> ConfigLoader.loadForOtherHosts(bad, Map.of()));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void timezoneIsTopLevelAndPerTarget() throws Exception {
    Fixture f = new Fixture(tmp);
    AgentConfig c =
        ConfigLoader.load(
            f.config(
                "timezone: Europe/Berlin\n"
                    + valid(
                        f,
                        """
          - name: a
            kind: file
            paths: [/srv/a]
            schedule: "30 4 * * *"
          - name: b
            kind: file
            paths: [/srv/b]
            schedule: "30 2 * * *"
            timezone: America/New_York
        """)),
            Map.of());
    assertEquals(ZoneId.of("Europe/Berlin"), ((Schedule.Cron) c.target("a").schedule()).zone());
    assertEquals(ZoneId.of("America/New_York"), ((Schedule.Cron) c.target("b").schedule()).zone());
    assertEquals(Duration.ofDays(1).toHours(), c.target("a").expectedInterval().toHours(), 1.0);
    String bad =
        refused(
                f,
                "timezone: Mars/Olympus\n" + valid(f, "  - {name: a, kind: file, paths: [/a]}\n"))
            .getMessage();
    assertTrue(bad.contains("line 1, key 'timezone': 'Mars/Olympus' is not a time zone"), bad);
  }

  @Test
  void continuousAndOnChangeBelongToTheirKinds() throws Exception {
    Fixture f = new Fixture(tmp);
    String m =
        refused(
                f,
                valid(
                    f,
                    """
          - name: app
            kind: file
            paths: [/srv/app]
            schedule: continuous
        """))
            .getMessage();
    assertTrue(m.contains("key 'schedule': continuous applies to postgres-physical targets"), m);
    AgentConfig c =
        ConfigLoader.load(
            f.config(
                valid(
                    f,
                    """
          - name: app
            kind: file
            paths: [/srv/app]
        """)),
            Map.of());
    assertInstanceOf(Schedule.Manual.class, c.target("app").schedule());
    assertNull(c.target("app").expectedInterval());
  }

  @Test
  void aRetentionThatKeepsNothingIsRefused() throws Exception {
    Fixture f = new Fixture(tmp);
    String m =
        refused(
                f,
                valid(
                    f,
                    """
          - name: app
            kind: file
            paths: [/srv/app]
            retention: {keepLast: 0}
        """))
            .getMessage();
    assertTrue(m.contains("key 'retention': target 'app': no keep rule given"), m);
  }

  @Test
  void aNonLoopbackListenerNeedsAToken() throws Exception {
    Fixture f = new Fixture(tmp);
    String m =
        refused(f, "listen: 0.0.0.0:9464\n" + valid(f, "  - {name: a, kind: file, paths: [/a]}\n"))
            .getMessage();
    assertTrue(
        m.contains("line 1, key 'listen': 0.0.0.0:9464 is not a loopback address: give tokenFile"),
        m);
    Path token = Files.writeString(tmp.resolve("token"), "t0ken\n");
    AgentConfig c =
        ConfigLoader.load(
            f.config(
                "listen: 0.0.0.0:9464\ntokenFile: "
                    + token
                    + "\n"
                    + valid(f, "  - {name: a, kind: file, paths: [/a]}\n")),
            Map.of());
    assertFalse(c.listen().loopback());
  }

  @Test
  void everySourceKindBuildsItsOptionsFromTheConfig() throws Exception {
    Fixture f = new Fixture(tmp);
    AgentConfig c =
        ConfigLoader.load(
            f.config(
                valid(
                    f,
                    """
          - {name: files, kind: file, paths: [/srv/a, /srv/b], force: true}
          - {name: cache, kind: redis, url: "redis://cache:6379", chunkSize: 65536}
        """)),
            Map.of());
    TargetConfig files = c.target("files");
    assertEquals("FileBackupOptions", files.options().getClass().getSimpleName());
    assertTrue(files.options().toString().contains("/srv/b"));
    assertTrue(c.target("cache").options().toString().contains("65536"));
    String m =
        refused(
                f,
                valid(
                    f,
                    "  - {name: cache, kind: redis, url: \"redis://cache:6379\", chunkSize: big}\n"))
            .getMessage();
    assertTrue(m.contains("target 'cache', key 'chunkSize': expected a whole number"), m);
  }

  /**
   * A six-field schedule names seconds: the agent runs it, a bad seconds field is refused with the
   * forms named, and render-cronjobs refuses it (a CronJob runs at most once a minute).
   */
  @Test
  void aScheduleWithSecondsRunsUnderTheAgentOnly() throws Exception {
    Fixture f = new Fixture(tmp);
    String target = "  - {name: a, kind: file, paths: [/srv], schedule: \"%s\"}\n";
    AgentConfig c =
        ConfigLoader.load(f.config(valid(f, target.formatted("*/30 * * * * *"))), Map.of());
    assertEquals(Duration.ofSeconds(30), c.target("a").expectedInterval());
    RoadieException r =
        assertThrows(
            RoadieException.class,
            () ->
                dev.roadie.agent.config.CronJobs.render(
                    c,
                    new dev.roadie.agent.config.CronJobs.Settings(
                        "roadie",
                        "default",
                        "roadie-config",
                        "roadie-secrets",
                        "/etc/roadie.yaml")));
    assertEquals(ErrorCode.USAGE, r.code());
    assertTrue(
        r.getMessage().contains("target 'a': its schedule '*/30 * * * * *' has a seconds field")
            && r.getMessage().contains("give it a five-field schedule, or run it under the agent"),
        r.getMessage());
    for (String bad : List.of("60 * * * * *", "0 0 * * * * *")) {
      String m = refused(f, valid(f, target.formatted(bad))).getMessage();
      assertTrue(
          m.contains("'" + bad + "' is not a cron expression")
              && m.contains("or second minute hour day-of-month month day-of-week"),
          m);
    }
  }
}
