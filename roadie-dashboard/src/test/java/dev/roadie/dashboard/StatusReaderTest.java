package dev.roadie.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.dashboard.page.Pages;
import dev.roadie.dashboard.status.CopyLag;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.Health;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.StatusReader;
import dev.roadie.dashboard.status.TargetStatus;
import dev.roadie.files.FileBackupOptions;
import dev.roadie.files.FileSource;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status model over real file backups taken at chosen times: a target's colour against its
 * expected interval (from the snapshot history, the caller or a schedule), a password in a target
 * name never rendered, and the handler's read-only routes.
 */
class StatusReaderTest {
  static final String SECRET = "hunter2-secret";
  @TempDir Path tmp;
  Repository repo;
  Path data;
  Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @BeforeEach
  void setUp() throws Exception {
    data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "festival\n");
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
    // Hourly backups: three hours ago, two hours ago, one hour ago (as of t0).
    for (int h = 3; h >= 1; h--) backup(null, t0.minus(Duration.ofHours(h)));
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  void backup(String target, Instant time) throws Exception {
    Sources.backup(
        new BackupRequest(
            repo,
            FileSource.KIND,
            FileBackupOptions.paths(List.of(data), false),
            target,
            List.of(),
            time.toString(),
            "test-host",
            null));
  }

  TargetStatus read(Instant now, Map<String, Duration> given, ScheduleProvider schedules)
      throws Exception {
    StatusReader reader =
        new StatusReader(
            repo, new StatusReader.Options(given, schedules, Clock.fixed(now, ZoneOffset.UTC)));
    DashboardStatus s = reader.read();
    assertEquals(1, s.targets().size());
    return s.targets().get(0);
  }

  @Test
  void ageAgainstTheIntervalOfTheHistoryColoursTheTarget() throws Exception {
    TargetStatus onTime = read(t0, Map.of(), ScheduleProvider.NONE);
    assertEquals(Duration.ofHours(1), onTime.expected().interval());
    assertEquals("history", onTime.expected().source());
    assertEquals(Health.OK, onTime.health(), onTime.reasons().toString());
    assertEquals(Duration.ofHours(1), onTime.age());
    assertEquals(Duration.ofHours(1), onTime.rpo());

    TargetStatus late = read(t0.plus(Duration.ofMinutes(30)), Map.of(), ScheduleProvider.NONE);
    assertEquals(Health.WARN, late.health());
    assertTrue(
        late.reasons().get(0).startsWith("the last backup is late: 90 min old"),
        late.reasons().toString());

    TargetStatus tooOld = read(t0.plus(Duration.ofMinutes(61)), Map.of(), ScheduleProvider.NONE);
    assertEquals(Health.FAIL, tooOld.health());
    assertTrue(
        tooOld.reasons().get(0).contains("more than twice the expected interval of 60 min"),
        tooOld.reasons().toString());
  }

  @Test
  void aScheduleWinsOverTheCallerWhoWinsOverTheHistory() throws Exception {
    String name = data.toString();
    TargetStatus given = read(t0, Map.of(name, Duration.ofMinutes(20)), ScheduleProvider.NONE);
    assertEquals("given", given.expected().source());
    assertEquals(Health.FAIL, given.health()); // an hour old against 20 minutes

    ScheduleProvider daily =
        new ScheduleProvider() {
          @Override
          public Map<String, Schedule> schedules() {
            return Map.of(
                name,
                new Schedule(
                    "file",
                    "0 3 * * *",
                    t0.plus(Duration.ofHours(5)),
                    Duration.ofDays(1),
                    null,
                    null));
          }

          @Override
          public List<RunningJob> running() {
            return List.of();
          }
        };
    TargetStatus scheduled = read(t0, Map.of(name, Duration.ofMinutes(20)), daily);
    assertEquals("schedule", scheduled.expected().source());
    assertEquals(Health.OK, scheduled.health());
    assertEquals(t0.plus(Duration.ofHours(5)), scheduled.nextRun());

    ScheduleProvider failed =
        new ScheduleProvider() {
          @Override
          public Map<String, Schedule> schedules() {
            return Map.of(
                name,
                new Schedule(
                    "file",
                    "0 3 * * *",
                    null,
                    Duration.ofDays(1),
                    null,
                    new Failure(
                        t0.minus(Duration.ofMinutes(5)),
                        "cannot read postgresql://app:" + SECRET + "@db/x")));
          }

          @Override
          public List<RunningJob> running() {
            return List.of();
          }
        };
    TargetStatus failing = read(t0, Map.of(), failed);
    assertEquals(Health.FAIL, failing.health());
    assertTrue(
        failing.reasons().get(0).startsWith("the last run failed at"),
        failing.reasons().toString());
    assertFalse(failing.reasons().get(0).contains(SECRET), failing.reasons().get(0));
  }

  @Test
  void fewerThanThreeSnapshotsAndNoIntervalLeaveTheAgeUncoloured() throws Exception {
    Repository other =
        Repository.init(new LocalBackend(tmp.resolve("repo2")), "pw".toCharArray(), 1 << 20);
    try (other) {
      Sources.backup(
          new BackupRequest(
              other,
              FileSource.KIND,
              FileBackupOptions.paths(List.of(data), false),
              null,
              List.of(),
              t0.minus(Duration.ofDays(30)).toString(),
              "h",
              null));
      DashboardStatus s = new StatusReader(other, StatusReader.Options.defaults()).read();
      assertEquals(Health.UNKNOWN, s.targets().get(0).health());
      assertNull(s.targets().get(0).expected());
    }
  }

  @Test
  void aPasswordInATargetNameIsNeverRendered() throws Exception {
    String name = "postgresql://app:" + SECRET + "@db.internal:5432/shop";
    backup(name, t0.minus(Duration.ofMinutes(1)));
    DashboardStatus s = new StatusReader(repo, StatusReader.Options.defaults()).read();
    Pages pages = new Pages(DashboardHandler.links("/"));
    StringBuilder all = new StringBuilder(pages.overview(s));
    for (TargetStatus t : s.targets()) all.append(pages.target(t, s.now(), null));
    for (var ref : s.snapshots().values()) all.append(pages.snapshot(s, ref));
    all.append(StaticReport.html(s));
    int at = all.indexOf(SECRET);
    assertFalse(
        at >= 0,
        at < 0 ? "" : all.substring(Math.max(0, at - 200), Math.min(all.length(), at + 100)));
    assertTrue(all.toString().contains("postgresql://app:***@db.internal:5432/shop"));

    // The target's link carries the name without the password, and still finds the target.
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/", new DashboardHandler(new StatusReader(repo, StatusReader.Options.defaults())));
    server.start();
    try (HttpClient client = HttpClient.newHttpClient()) {
      TargetStatus t = s.target("file", name);
      String href = DashboardHandler.links("/").target(t);
      assertFalse(href.contains(SECRET), href);
      HttpResponse<String> page =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.getAddress().getPort() + href))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode());
      assertTrue(
          page.body().contains("data-target=\"postgresql://app:***@db.internal:5432/shop\""));
      assertFalse(page.body().contains(SECRET));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void theHandlerServesPagesAndAssetsReadOnly() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/ui", new DashboardHandler(new StatusReader(repo, StatusReader.Options.defaults())));
    server.start();
    try (HttpClient client = HttpClient.newHttpClient()) {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/ui/";
      HttpResponse<String> overview =
          client.send(
              HttpRequest.newBuilder(URI.create(base)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, overview.statusCode());
      assertTrue(
          overview.body().contains("href=\"/ui/target?kind=file&amp;name="), overview.body());
      assertTrue(overview.body().contains("src=\"/ui/assets/uplot/uPlot.iife.min.js\""));
      HttpResponse<String> uplot =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "assets/uplot/uPlot.iife.min.js")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, uplot.statusCode());
      assertTrue(uplot.body().contains("uPlot"));
      HttpResponse<String> post =
          client.send(
              HttpRequest.newBuilder(URI.create(base))
                  .POST(HttpRequest.BodyPublishers.ofString("x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      HttpResponse<String> missing =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "snapshot/" + "ab".repeat(32))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
      HttpResponse<String> escape =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "assets/../../etc/passwd")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(404, escape.statusCode());
    } finally {
      server.stop(0);
    }
  }

  CopyLag copyLag(StatusReader.SecondRegion region) throws Exception {
    try (StatusReader reader =
        new StatusReader(
            repo,
            new StatusReader.Options(
                Map.of(), ScheduleProvider.NONE, Clock.fixed(t0, ZoneOffset.UTC), region))) {
      return reader.repositoryFacts().copyLag();
    }
  }

  @Test
  void copyLagIsTheNewestSnapshotAgainstItsNewestCopyInTheSecondRegion() throws Exception {
    Path secondDir = tmp.resolve("second");
    Repository.init(new LocalBackend(secondDir), "pw".toCharArray(), 1 << 20).close();
    backup("not-copied", t0.minus(Duration.ofMinutes(5)));
    List<SnapshotRef> all = repo.snapshots(null);
    String target = all.get(0).snapshot().target();
    StatusReader.SecondRegion region =
        new StatusReader.SecondRegion(
            secondDir.toString(),
            () -> Repository.open(new LocalBackend(secondDir), "pw".toCharArray()),
            Set.of(target));

    CopyLag.Target never = copyLag(region).targets().get(0);
    assertEquals(t0.minus(Duration.ofHours(1)), never.newest());
    assertNull(never.newestCopy());
    assertNull(never.behind());

    List<SnapshotRef> mine =
        all.stream().filter(r -> r.snapshot().target().equals(target)).toList();
    try (Repository second = Repository.open(new LocalBackend(secondDir), "pw".toCharArray())) {
      new SnapshotCopier(repo, second, line -> {}).copy(mine.subList(0, 2));
      CopyLag lag = copyLag(region);
      // Only the copied target; the other one is not copied anywhere.
      assertEquals(1, lag.targets().size(), lag.toString());
      CopyLag.Target behind = lag.targets().get(0);
      assertEquals(t0.minus(Duration.ofHours(2)), behind.newestCopy());
      assertFalse(behind.copied());
      assertEquals(Duration.ofHours(1), behind.behind());

      new SnapshotCopier(repo, second, line -> {}).copy(mine);
      CopyLag.Target current = copyLag(region).targets().get(0);
      assertTrue(current.copied());
      assertEquals(Duration.ZERO, current.behind());
    }

    CopyLag unreachable =
        copyLag(
            new StatusReader.SecondRegion(
                "s3://dr-bucket/roadie",
                () -> {
                  throw new java.io.IOException("connection refused");
                },
                Set.of(target)));
    assertTrue(unreachable.targets().isEmpty());
    assertEquals(List.of("could not be read: connection refused"), unreachable.problems());
  }
}
