package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.dashboard.DashboardHandler;
import dev.roadie.dashboard.status.ScheduleProvider;
import dev.roadie.dashboard.status.StatusReader;
import dev.roadie.files.FileBackupOptions;
import dev.roadie.files.FileSource;
import dev.roadie.postgres.PgCluster;
import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in headless Chromium (Debian's chromium and chromium-driver, through Selenium),
 * served by {@link DashboardHandler} on a real HTTP server over a real repository: a verified file
 * target, a file target whose verification found the repository damaged, a Redis target that is
 * past twice its expected interval, and a PostgreSQL database, each backed up by the real sources.
 * Every page is checked for its figures and links, the restore commands it shows are run, and
 * screenshots of each page at desktop and phone widths go to {@code target/dashboard-screenshots}.
 */
class DashboardBrowserTest {
  static final String PW = "dash-repo-s3cret";
  static final Path SHOTS = Path.of("target", "dashboard-screenshots");
  static final int MANY = 450;

  @TempDir static Path tmp;
  static PgCluster pg;
  static Process redis;
  static int redisPort;
  static Path repo;
  static Path docs;
  static Path config;
  static RoadieProcess roadie;
  static Repository repository;
  static HttpServer server;
  static String base;
  static WebDriver browser;

  /** The real agent: its own repository, a second region, and a slow target it backs up. */
  static Path agentRepo;

  static Path secondRepo;
  static Path big;
  static RoadieProcess.Running agent;
  static String agentBase;

  static String docsTarget;
  static String configTarget;
  static String redisTarget;
  static String pgTarget;
  static String physicalTarget;

  @BeforeAll
  static void setUp() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/chromium"))
            && Files.isExecutable(Path.of("/usr/bin/chromedriver")),
        "chromium and chromium-driver are not installed");
    Files.createDirectories(SHOTS);
    pg = PgCluster.start();
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql(
        "shop",
        "CREATE TABLE customers (id int PRIMARY KEY, name text);"
            + "CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, total numeric);"
            + "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 300) g;"
            + "INSERT INTO orders SELECT g, 1 + g % 300, g FROM generate_series(1, 4321) g");

    Path redisDir = Files.createDirectories(tmp.resolve("redis"));
    redisPort = freePort();
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                redisDir.toString(),
                "--repl-diskless-sync-delay",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(redisDir.resolve("out").toFile())
            .start();
    for (int i = 0; ; i++) {
      try (RespConnection c =
          RespConnection.open(RedisUrl.parse("redis://127.0.0.1:" + redisPort, null))) {
        if ("PONG".equals(c.send("PING"))) {
          for (int k = 0; k < 250; k++) c.call("SET", "k" + k, "v" + k);
          c.call("SELECT", "3");
          c.call("RPUSH", "queue", "a", "b");
          break;
        }
      } catch (RuntimeException e) {
        if (i > 200) throw e;
        Thread.sleep(50);
      }
    }

    repo = tmp.resolve("repo");
    docs = Files.createDirectories(tmp.resolve("docs"));
    config = Files.createDirectories(tmp.resolve("config"));
    roadie =
        RoadieProcess.of(repo, PW)
            .env("PGPASSWORD", PgCluster.PASSWORD)
            .timeout(Duration.ofMinutes(4));
    roadie.run("init").assertOk();
    Files.writeString(docs.resolve("index.html"), "<h1>festival</h1>\n");
    roadie.run("backup", "file", docs.toString()).assertOk();
    Files.write(docs.resolve("poster.bin"), TestData.class.getName().repeat(20_000).getBytes());
    // More files in one directory than one page of the contents browser shows.
    Path many = Files.createDirectories(docs.resolve("many"));
    for (int i = 0; i < MANY; i++)
      Files.writeString(many.resolve(String.format("f%04d.txt", i)), "file " + i + "\n");
    roadie.run("backup", "file", docs.toString()).assertOk();
    roadie.run("backup", "redis", "--url", "redis://127.0.0.1:" + redisPort).assertOk();
    roadie.run("backup", "postgres", "--url", pg.url("shop")).assertOk();
    roadie
        .run(
            "verify",
            "--of",
            docs.toString(),
            "--scratch-dir",
            Files.createDirectories(tmp.resolve("s1")).toString())
        .assertOk();

    // Physical: a base backup with WAL streamed after it, so the target has a recoverable window.
    String cluster = "postgresql://postgres@127.0.0.1:" + pg.port + "/postgres";
    RoadieProcess.Running stream =
        roadie.start(
            "wal-stream",
            "--url",
            cluster,
            "--slot",
            "roadie_dashboard",
            "--flush-interval",
            "200ms");
    try {
      await(
          () ->
              query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                  .equals("1"));
      roadie.run("backup", "postgres", "--physical", "--url", cluster).assertOk();
      Thread.sleep(3000); // so that the window after the backup is seconds long, not one second
      pg.sql("postgres", "CREATE TABLE after_backup AS SELECT generate_series(1, 1000) AS n");
      String lsn = query("SELECT pg_current_wal_flush_lsn()");
      await(() -> query("SELECT flush_lsn >= '" + lsn + "' FROM pg_stat_replication").equals("t"));
    } finally {
      stream.process.destroy(); // SIGTERM: stores the WAL it holds, then exits
      assertTrue(
          stream.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS),
          "wal-stream stops on SIGTERM");
    }

    // The failing target: its backup's packs are deleted, so its verification finds the repository
    // damaged.
    Set<Path> before = packs();
    Files.writeString(config.resolve("app.yaml"), "replicas: 3\n".repeat(1000));
    roadie.run("backup", "file", config.toString()).assertOk();
    Set<Path> added = packs();
    added.removeAll(before);
    assertFalse(added.isEmpty());
    for (Path p : added) Files.delete(p);
    RoadieProcess.Result v =
        roadie.run(
            "verify",
            "--of",
            config.toString(),
            "--scratch-dir",
            Files.createDirectories(tmp.resolve("s2")).toString());
    assertTrue(v.exitCode() != 0, v.describe());

    docsTarget = docs.toString();
    configTarget = config.toString();
    redisTarget = "redis://127.0.0.1:" + redisPort;
    pgTarget = "postgres://127.0.0.1:" + pg.port + "/shop";
    physicalTarget = "postgres://127.0.0.1:" + pg.port;

    repository = Repository.open(new LocalBackend(repo), PW.toCharArray());
    // The agent's part, as it will implement it: schedules and a running job.
    Instant started = Instant.now().minusSeconds(42);
    ScheduleProvider schedules =
        new ScheduleProvider() {
          @Override
          public Map<String, Schedule> schedules() {
            return Map.of(
                docsTarget,
                new Schedule(
                    "file",
                    "0 * * * *",
                    Instant.now().plus(Duration.ofMinutes(30)),
                    Duration.ofHours(1),
                    null,
                    null));
          }

          @Override
          public List<RunningJob> running() {
            return List.of(
                new RunningJob(
                    pgTarget,
                    "postgres",
                    "backup",
                    started,
                    "table public.orders",
                    0.4,
                    3_500_000,
                    12));
          }
        };
    // Redis is expected every second: by the time the pages are read it is more than twice that
    // old.
    StatusReader reader =
        new StatusReader(
            repository,
            new StatusReader.Options(
                Map.of(
                    configTarget,
                    Duration.ofHours(1),
                    redisTarget,
                    Duration.ofSeconds(1),
                    pgTarget,
                    Duration.ofHours(1),
                    physicalTarget,
                    Duration.ofHours(1)),
                schedules,
                Clock.systemUTC()));
    Thread.sleep(2500);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", new DashboardHandler(reader));
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";

    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--hide-scrollbars");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  /**
   * A real agent ({@code roadie agent}) over its own repository, whose config names a second
   * region: target {@code site} was copied there once and backed up again since (so the copy is one
   * backup behind), and target {@code big} (an 8 GiB sparse file: more than seconds to read on any
   * machine) last ran two hours ago, so the agent starts its missed hourly run at once and it is
   * running while the pages are read. Started by the one test that uses it, so its backup's CPU
   * time does not slow the others.
   */
  static void startAgent() throws Exception {
    agentRepo = tmp.resolve("agent-repo");
    secondRepo = tmp.resolve("second-region");
    // The repositories are made in-process (each command a JVM's start would take seconds): the
    // agent is what is tested here.
    big = Files.createDirectories(tmp.resolve("big"));
    Files.writeString(big.resolve("small.txt"), "small\n");
    try (Repository first =
            Repository.init(new LocalBackend(agentRepo), PW.toCharArray(), 16 << 20);
        Repository second =
            Repository.init(new LocalBackend(secondRepo), PW.toCharArray(), 16 << 20)) {
      SnapshotRef site = backup(first, "site", docs, null);
      new SnapshotCopier(first, second, line -> {}).copy(List.of(site));
      backup(first, "site", docs, null);
      backup(first, "big", big, Instant.now().minus(Duration.ofHours(2)));
    }
    try (java.io.RandomAccessFile f =
        new java.io.RandomAccessFile(big.resolve("big.img").toFile(), "rw")) {
      f.setLength(8L << 30); // sparse: reading it takes CPU time, not disk
    }
    Path pw = tmp.resolve("password");
    Files.writeString(pw, PW + "\n");
    Path yaml = tmp.resolve("roadie.yaml");
    Files.writeString(
        yaml,
        String.join(
            "\n",
            "repository: " + agentRepo,
            "passwordFile: " + pw,
            "listen: 127.0.0.1:0",
            "secondRegion:",
            "  repository: " + secondRepo,
            "targets:",
            "  - name: site",
            "    kind: file",
            "    paths: [" + docs + "]",
            "    copy: true",
            "  - name: big",
            "    kind: file",
            "    paths: [" + big + "]",
            "    schedule: \"0 * * * *\"",
            ""));
    // A short grace: the test stops the agent without waiting for its long backup to end.
    agent = RoadieProcess.bare().start("agent", "--config", yaml.toString(), "--grace", "1s");
    java.util.regex.Pattern listening =
        java.util.regex.Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    await(
        () -> {
          if (!agent.process.isAlive()) throw new AssertionError(agent.stderrNow());
          java.util.regex.Matcher m = listening.matcher(agent.stderrNow());
          if (!m.find()) return false;
          agentBase = "http://127.0.0.1:" + m.group(1) + "/";
          return true;
        });
  }

  static void stopAgent() {
    if (agent != null && agent.process.isAlive()) {
      agent.process.toHandle().destroy(); // SIGTERM
      agent.await(Duration.ofSeconds(60));
    }
  }

  /** A file backup of {@code dir} as target {@code target}, at {@code time} (null: now). */
  static SnapshotRef backup(Repository repo, String target, Path dir, Instant time)
      throws IOException {
    return Sources.backup(
            new BackupRequest(
                repo,
                FileSource.KIND,
                FileBackupOptions.paths(List.of(dir), false),
                target,
                List.of(),
                time == null ? null : time.toString(),
                null,
                null))
        .snapshot();
  }

  @AfterAll
  static void tearDown() throws Exception {
    stopAgent();
    if (browser != null) browser.quit();
    if (server != null) server.stop(0);
    if (repository != null) repository.close();
    if (redis != null) {
      redis.destroy();
      redis.waitFor();
    }
    if (pg != null) pg.close();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String query(String sql) throws Exception {
    try (Connection c = pg.jdbc("postgres");
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void await(Condition c) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!c.holds()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting");
      Thread.sleep(100);
    }
  }

  static Set<Path> packs() throws IOException {
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      return new HashSet<>(s.filter(Files::isRegularFile).toList());
    }
  }

  static WebElement row(String target) {
    return browser.findElement(By.cssSelector("tr.target[data-target='" + target + "']"));
  }

  /**
   * Screenshots of the whole page at a desktop's and a phone's width (device metrics set through
   * CDP).
   */
  static void shoot(String name) throws Exception {
    ChromeDriver cd = (ChromeDriver) browser;
    for (Object[] size : new Object[][] {{"desktop", 1280, false}, {"phone", 390, true}}) {
      int width = (int) size[1];
      cd.executeCdpCommand(
          "Emulation.setDeviceMetricsOverride",
          Map.of("width", width, "height", 900, "deviceScaleFactor", 1, "mobile", size[2]));
      long height =
          (Long)
              cd.executeScript(
                  "window.dispatchEvent(new Event('resize'));"
                      + "return document.documentElement.scrollHeight;");
      cd.executeCdpCommand(
          "Emulation.setDeviceMetricsOverride",
          Map.of(
              "width",
              width,
              "height",
              (int) Math.min(6000, height),
              "deviceScaleFactor",
              1,
              "mobile",
              size[2]));
      Thread.sleep(200); // the charts redraw at the new width
      Map<String, Object> shot =
          cd.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png"));
      Files.write(
          SHOTS.resolve(name + "-" + size[0] + ".png"),
          Base64.getDecoder().decode((String) shot.get("data")));
    }
    cd.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
  }

  static void assertNoSecret() {
    String html = browser.getPageSource();
    assertFalse(html.contains(PW), "the repository password is on the page");
    assertFalse(html.contains(PgCluster.PASSWORD), "the database password is on the page");
  }

  /**
   * A command line as the page shows it, split as a shell would (single quotes only, as the page
   * writes them).
   */
  static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (char c : line.trim().toCharArray()) {
      if (c == '\'') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) out.add(w.toString());
        w.setLength(0);
        any = false;
      } else {
        w.append(c);
        any = true;
      }
    }
    if (any) out.add(w.toString());
    return out;
  }

  /** Runs a command the snapshot page shows (without its leading "roadie"). */
  static RoadieProcess.Result runShown(String title) {
    String line = null;
    for (WebElement li : browser.findElements(By.cssSelector("ol.restore-commands li"))) {
      if (li.findElement(By.className("what")).getText().equals(title))
        line = li.findElement(By.tagName("code")).getText();
    }
    assertNotNull(line, "no restore command titled '" + title + "' on " + browser.getCurrentUrl());
    List<String> w = words(line);
    assertEquals("roadie", w.get(0));
    return roadie.run(w.subList(1, w.size()).toArray(String[]::new));
  }

  @Test
  void overviewShowsEveryTargetWithItsStatus() throws Exception {
    browser.get(base);
    assertEquals("ok", row(docsTarget).getAttribute("data-health"));
    assertTrue(
        row(docsTarget).findElement(By.className("verification")).getText().contains("pass"));
    assertTrue(row(docsTarget).findElement(By.className("next")).getText().startsWith("in "));
    assertEquals("ok", row(pgTarget).getAttribute("data-health"));
    assertEquals("ok", row(physicalTarget).getAttribute("data-health"));

    WebElement stale = row(redisTarget);
    assertEquals("fail", stale.getAttribute("data-health"));
    assertTrue(
        stale.getText().contains("more than twice the expected interval of 1 s"), stale.getText());
    // Red: the failing colour, not the amber of a late one.
    assertEquals("rgba(255, 235, 233, 1)", stale.getCssValue("background-color"));

    WebElement failing = row(configTarget);
    assertEquals("fail", failing.getAttribute("data-health"));
    assertTrue(
        failing.getText().contains("verification of snapshot")
            && failing.getText().contains("damaged"),
        failing.getText());
    assertTrue(failing.findElement(By.className("verification")).getText().contains("damaged"));

    assertEquals("2", browser.findElement(By.cssSelector("ul.counts li.fail .n")).getText());
    assertEquals("3", browser.findElement(By.cssSelector("ul.counts li.ok .n")).getText());
    WebElement running = browser.findElement(By.id("running"));
    assertTrue(
        running.getText().contains("40%") && running.getText().contains("table public.orders"),
        running.getText());
    assertNoSecret();
    shoot("overview");
  }

  @Test
  void targetPageChartsTheBackupsAndLinksToSnapshots() throws Exception {
    browser.get(base);
    row(docsTarget).findElement(By.cssSelector("td.name a")).click();
    assertTrue(browser.findElement(By.tagName("h1")).getText().startsWith(docsTarget));
    List<WebElement> charts = browser.findElements(By.cssSelector("figure.chart"));
    assertEquals(3, charts.size());
    for (WebElement c : charts) {
      assertEquals(
          "true",
          c.getAttribute("data-drawn"),
          "chart " + c.getAttribute("data-chart") + " was not drawn");
      assertFalse(c.findElements(By.tagName("canvas")).isEmpty());
    }
    List<WebElement> snaps = browser.findElements(By.cssSelector("table.snapshots tbody tr"));
    assertEquals(2, snaps.size());
    // The newest first: the second backup read the poster, the first only index.html (18 bytes).
    assertEquals("18 B", snaps.get(1).findElements(By.tagName("td")).get(2).getText());
    assertEquals(1, browser.findElements(By.cssSelector("table.verifications tbody tr.ok")).size());
    assertNoSecret();
    shoot("target");

    snaps.get(0).findElement(By.tagName("a")).click();
    assertTrue(browser.getCurrentUrl().contains("/snapshot/"));
    RoadieProcess.Result r = runShown("Into a new directory");
    r.assertOk();
    String dir =
        words(browser.findElement(By.cssSelector("ol.restore-commands code")).getText()).getLast();
    assertEquals(
        TestData.hashTree(docs), TestData.hashTree(Path.of(dir).resolve(docs.getFileName())));
  }

  @Test
  void postgresSnapshotShowsRowCountsAndARestoreCommandThatWorks() throws Exception {
    browser.get(base);
    row(pgTarget).findElement(By.cssSelector("td.name a")).click();
    browser.findElement(By.cssSelector("table.snapshots tbody tr a")).click();
    WebElement tables =
        browser.findElement(By.cssSelector("table.metadata-table[data-field='tables']"));
    String text = tables.getText();
    assertTrue(text.contains("public.orders") && text.contains("4321"), text);
    assertTrue(text.contains("public.customers") && text.contains("300"), text);
    assertNoSecret();
    shoot("snapshot-postgres");

    runShown("To a new database on the same server").assertOk();
    String line = browser.findElement(By.cssSelector("ol.restore-commands code")).getText();
    String db = line.substring(line.lastIndexOf('/') + 1);
    try (Connection c = pg.jdbc(db);
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM orders")) {
      rs.next();
      assertEquals(4321, rs.getLong(1));
    }
  }

  @Test
  void redisSnapshotShowsKeysPerDatabaseAndItsRdbRestores() throws Exception {
    browser.get(base);
    row(redisTarget).findElement(By.cssSelector("td.name a")).click();
    browser.findElement(By.cssSelector("table.snapshots tbody tr a")).click();
    WebElement dbs =
        browser.findElement(By.cssSelector("table.metadata-table[data-field='databases']"));
    List<WebElement> rows = dbs.findElements(By.cssSelector("tbody tr"));
    assertEquals(2, rows.size(), dbs.getText());
    assertTrue(rows.get(0).getText().startsWith("db0 250"), rows.get(0).getText());
    assertTrue(rows.get(1).getText().startsWith("db3 1"), rows.get(1).getText());
    shoot("snapshot-redis");

    runShown("As a dump.rdb file").assertOk();
    String line = browser.findElement(By.cssSelector("ol.restore-commands code")).getText();
    Path rdb = Path.of(words(line).getLast());
    byte[] head = Arrays.copyOf(Files.readAllBytes(rdb), 5);
    assertEquals("REDIS", new String(head));
  }

  @Test
  void repositoryPageShowsStoredSizeAndPacks() throws Exception {
    browser.get(base);
    browser.findElement(By.linkText("Repository")).click();
    String dataPacks;
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      dataPacks = Long.toString(s.filter(Files::isRegularFile).count());
    }
    WebElement data = browser.findElement(By.cssSelector("table.stored tr[data-dir='data']"));
    assertEquals(dataPacks, data.findElements(By.tagName("td")).get(1).getText());
    String facts = browser.findElement(By.cssSelector("dl.facts")).getText();
    // The same figures as 'roadie stats', which counts them on its own.
    var stats = TestData.json(roadie.run("stats", "--json").assertOk().stdout());
    assertTrue(facts.contains("Snapshots\n" + stats.get("snapshots").asInt() + ", holding"), facts);
    assertTrue(
        facts.contains(
            String.format(
                java.util.Locale.ROOT,
                "Deduplication\n%.2fx",
                stats.get("deduplicationRatio").asDouble())),
        facts + " vs " + stats);
    assertTrue(browser.getPageSource().contains("no backup or other writer is running"));
    assertNoSecret();
    shoot("repository");
    browser.findElement(By.linkText("Overview")).click();
    assertNotNull(row(docsTarget));
  }

  @Test
  void staticReportHoldsOverviewAndTargetsWithoutNetwork() throws Exception {
    Path file = tmp.resolve("report.html");
    roadie
        .run(
            "report",
            "--html",
            file.toString(),
            "--expect",
            redisTarget + "=1s",
            "--expect",
            pgTarget + "=1h",
            "--expect",
            configTarget + "=1h",
            "--expect",
            docsTarget + "=1h",
            "--expect",
            physicalTarget + "=1h")
        .assertOk();
    String html = Files.readString(file);
    assertFalse(
        html.matches("(?s).*(src|href)=\"https?:.*"),
        "the report loads something from the network");
    browser.get(file.toUri().toString());
    assertEquals("fail", row(redisTarget).getAttribute("data-health"));
    assertEquals("fail", row(configTarget).getAttribute("data-health"));
    assertEquals("ok", row(docsTarget).getAttribute("data-health"));
    assertEquals(5, browser.findElements(By.cssSelector("section.target-page")).size());
    // Without an agent nothing runs, and snapshot contents are not in the one file.
    assertTrue(browser.findElements(By.id("running")).isEmpty());
    assertTrue(browser.findElements(By.cssSelector("section.contents")).isEmpty());
    assertEquals(5, browser.findElements(By.cssSelector("p.no-contents")).size());
    assertEquals(
        1, browser.findElements(By.cssSelector("section.target-page .window-bar .covered")).size());
    for (WebElement c : browser.findElements(By.cssSelector("figure.chart"))) {
      assertEquals("true", c.getAttribute("data-drawn"));
    }
    row(pgTarget).findElement(By.cssSelector("td.name a")).click();
    String anchor = browser.getCurrentUrl().substring(browser.getCurrentUrl().indexOf('#') + 1);
    assertEquals(pgTarget, browser.findElement(By.id(anchor)).getAttribute("data-target"));
    assertNoSecret();
    shoot("report");
  }

  @Test
  void physicalTargetShowsItsRecoverableWindowAndAPointInTimeCommand() throws Exception {
    browser.get(base);
    WebElement r = row(physicalTarget);
    assertEquals("postgres-physical", r.getAttribute("data-kind"));
    r.findElement(By.cssSelector("td.name a")).click();
    assertEquals(1, browser.findElements(By.cssSelector(".window-bar .covered")).size());
    assertEquals(0, browser.findElements(By.cssSelector(".window-bar .gap")).size());
    String window =
        browser
            .findElement(By.xpath("//h2[text()='Recoverable window']/following-sibling::p[1]"))
            .getText();
    assertTrue(window.startsWith("Point-in-time recovery reaches from "), window);
    shoot("target-physical");

    browser.findElement(By.cssSelector("table.snapshots tbody tr a")).click();
    String pitr = null;
    for (WebElement li : browser.findElements(By.cssSelector("ol.restore-commands li"))) {
      if (li.getText().startsWith("To a point in time"))
        pitr = li.findElement(By.tagName("code")).getText();
    }
    assertNotNull(pitr, browser.getPageSource());
    List<String> w = words(pitr);
    String time = w.get(w.indexOf("--target-time") + 1);
    // The newest moment the window reaches, as the target page shows it.
    assertTrue(
        window.contains(time.replace("T", " ").replaceAll("(\\.\\d+)?Z$", " UTC")),
        window + " vs " + time);
    assertEquals("promote", w.get(w.indexOf("--target-action") + 1));
    shoot("snapshot-physical");
  }

  /**
   * The entries of the contents table on the page: path to its row's cells (read in one script: a
   * WebDriver call per cell would take a minute for a few hundred rows).
   */
  @SuppressWarnings("unchecked")
  static Map<String, List<String>> entries() {
    List<List<String>> rows =
        (List<List<String>>)
            ((ChromeDriver) browser)
                .executeScript(
                    "return Array.from(document.querySelectorAll('table.entries tbody tr'))"
                        + ".map(tr => [tr.getAttribute('data-path')]"
                        + ".concat(Array.from(tr.cells).map(td => td.innerText.trim())));");
    Map<String, List<String>> out = new java.util.LinkedHashMap<>();
    for (List<String> r : rows) out.put(r.get(0), r.subList(1, r.size()));
    return out;
  }

  @Test
  void snapshotContentsAreBrowsedByDirectoryAndPaged() throws Exception {
    browser.get(base);
    row(docsTarget).findElement(By.cssSelector("td.name a")).click();
    browser.findElement(By.cssSelector("table.snapshots tbody tr a")).click();
    String id = browser.getCurrentUrl().substring(browser.getCurrentUrl().lastIndexOf('/') + 1);
    // The snapshot page lists its top level; the snapshot's one top-level entry is the directory.
    String top = docs.getFileName().toString();
    assertEquals(List.of(top), List.copyOf(entries().keySet()));
    browser.findElement(By.linkText(top)).click();
    assertTrue(browser.getCurrentUrl().contains("/contents?path="), browser.getCurrentUrl());

    // The same entries, sizes and types as 'roadie ls --json' gives for the directory.
    var ls = TestData.json(roadie.run("ls", "--json", id, top).assertOk().stdout());
    Map<String, List<String>> shown = entries();
    assertEquals(3, shown.size(), shown.toString());
    for (var e : ls.get("entries")) {
      List<String> cells = shown.get(e.get("path").asText());
      assertNotNull(cells, e.get("path").asText() + " is not on the page: " + shown.keySet());
      assertEquals(e.get("name").asText(), cells.get(0));
      assertEquals(e.get("type").asText(), cells.get(1));
    }
    assertEquals("18 B", shown.get(top + "/index.html").get(2));
    assertNoSecret();
    shoot("snapshot-contents");

    // A directory of 450 files: pages of 200, walked with the next links, each file once.
    browser.findElement(By.linkText("many")).click();
    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    while (true) {
      Map<String, List<String>> page = entries();
      sizes.add(page.size());
      seen.addAll(page.keySet());
      List<WebElement> next = browser.findElements(By.cssSelector("p.pages a[rel=next]"));
      if (next.isEmpty()) break;
      next.get(0).click();
    }
    assertEquals(List.of(200, 200, 50), sizes);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < MANY; i++) expected.add(top + "/many/" + String.format("f%04d.txt", i));
    assertEquals(expected, seen);
    // The path bar leads back up.
    browser.findElement(By.cssSelector("p.path")).findElement(By.linkText(top)).click();
    assertEquals(3, entries().size());

    // A path that names nothing: 404 with what ls says.
    browser.get(base + "snapshot/" + id + "/contents?path=no/such/dir");
    assertTrue(browser.getPageSource().contains("holds nothing at"), browser.getPageSource());
  }

  @Test
  void agentShowsTheSecondRegionsLagAndRunningJobsWithLiveProgress() throws Exception {
    startAgent();
    try {
      agentPages();
    } finally {
      stopAgent();
    }
  }

  void agentPages() throws Exception {
    // The running job, as the agent's job runner reports it, refreshed in place.
    browser.get(agentBase);
    WebElement running = browser.findElement(By.id("running"));
    assertNotNull(running.getAttribute("data-refresh"));
    ((ChromeDriver) browser).executeScript("window.roadieNotReloaded = true;");
    // The row is replaced on every refresh: each look reads it in one script, never through an
    // element found earlier (which a refresh in between makes stale).
    String row = "var r = document.querySelector(\"#running tr.job[data-target='big']\");";
    long[] firstSeen = {-1};
    await(
        () -> {
          Object read =
              ((ChromeDriver) browser)
                  .executeScript(row + " return r ? r.getAttribute('data-bytes-read') : null;");
          if (read == null) return false;
          firstSeen[0] = Long.parseLong(read.toString());
          return firstSeen[0] > 0;
        });
    String text =
        String.valueOf(
            ((ChromeDriver) browser).executeScript(row + " return r ? r.innerText : null;"));
    assertTrue(text.contains("backup") && text.contains("big.img"), text);
    assertTrue(
        text.contains("% ") || text.contains("%,"), "the fraction of the known size: " + text);
    shoot("overview-running");
    await(
        () -> {
          Object read =
              ((ChromeDriver) browser)
                  .executeScript(row + " return r ? r.getAttribute('data-bytes-read') : null;");
          return read != null && Long.parseLong(read.toString()) > firstSeen[0];
        });
    assertEquals(
        Boolean.TRUE,
        ((ChromeDriver) browser).executeScript("return window.roadieNotReloaded === true;"),
        "the progress changed without reloading the page");

    // The copy lag: site's newest snapshot here against the newest copy in the second region.
    browser.findElement(By.linkText("Repository")).click();
    WebElement lag = browser.findElement(By.cssSelector("table.copy-lag tr[data-target='site']"));
    Instant newest = Instant.EPOCH;
    try (Repository here = Repository.open(new LocalBackend(agentRepo), PW.toCharArray())) {
      for (var sn : here.snapshots(null)) {
        if (sn.snapshot().target().equals("site") && sn.time().toInstant().isAfter(newest))
          newest = sn.time().toInstant();
      }
    }
    Instant copied;
    try (Repository there = Repository.open(new LocalBackend(secondRepo), PW.toCharArray())) {
      var copies = there.snapshots(null);
      assertEquals(1, copies.size(), copies.toString());
      copied = copies.get(0).time().toInstant();
    }
    assertEquals(newest.toString(), lag.getAttribute("data-newest"));
    assertEquals(copied.toString(), lag.getAttribute("data-newest-copy"));
    assertEquals(
        Long.toString(Duration.between(copied, newest).toSeconds()),
        lag.getAttribute("data-behind-seconds"));
    assertEquals("warn", lag.getAttribute("class"));
    // Only copied targets: big is not copied.
    assertEquals(1, browser.findElements(By.cssSelector("table.copy-lag tbody tr")).size());
    assertNoSecret();
    shoot("repository-second-region");
  }
}
