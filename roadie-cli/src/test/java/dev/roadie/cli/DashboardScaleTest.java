package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.dashboard.DashboardHandler;
import dev.roadie.dashboard.StaticReport;
import dev.roadie.dashboard.status.DashboardStatus;
import dev.roadie.dashboard.status.StatusReader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * How long the overview takes with 100 targets and 100,000 snapshots, served by {@link
 * DashboardHandler} and rendered in headless Chromium: printed, not asserted (a measurement, not a
 * test of speed). The repository is made once in {@code target/dashboard-scale-repo} by committing
 * synthetic snapshots through the real {@link BackupWriter} (an empty tree each, statistics made
 * up), and reused by later runs. Runs only with {@code -Droadie.dashboard.scale=true}.
 */
class DashboardScaleTest {
  static final int TARGETS = 100;
  static final int PER_TARGET = 1000;
  static final String PW = "scale";

  @Test
  void overviewWith100TargetsAnd100000Snapshots() throws Exception {
    Assumptions.assumeTrue(
        Boolean.getBoolean("roadie.dashboard.scale"), "set -Droadie.dashboard.scale=true to run");
    Path dir = Path.of("target", "dashboard-scale-repo").toAbsolutePath();
    Path done = dir.resolveSibling("dashboard-scale-repo.complete");
    if (!Files.exists(done)) {
      if (Files.exists(dir)) {
        try (var s = Files.walk(dir)) {
          s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      long t0 = System.nanoTime();
      try (Repository r = Repository.init(new LocalBackend(dir), PW.toCharArray(), 16 << 20);
          BackupWriter w = new BackupWriter(r, new Progress())) {
        Id tree = w.writeTree(new Tree(List.of()));
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        for (int t = 0; t < TARGETS; t++) {
          // Hourly targets; every tenth one stopped backing up three hours ago (too old).
          Instant newest =
              t % 10 == 9 ? now.minus(Duration.ofHours(3)) : now.minus(Duration.ofMinutes(5));
          String name = String.format("/srv/app-%03d", t);
          for (int i = 0; i < PER_TARGET; i++) {
            Instant time = newest.minus(Duration.ofHours(PER_TARGET - 1 - i));
            long read = 1_000_000_000L + (long) t * 1_000_000 + (i % 24) * 10_000_000L;
            Snapshot.Stats stats =
                new Snapshot.Stats(read, read / 50, 100, 1000, 30_000 + (i % 7) * 1000);
            Snapshot s =
                new Snapshot(
                    Snapshot.VERSION,
                    time.toString(),
                    name,
                    "file",
                    "bench",
                    "root",
                    List.of(),
                    List.of(name),
                    tree.hex(),
                    null,
                    stats,
                    Map.of());
            w.commit(measured -> s);
          }
        }
      }
      Files.writeString(done, "");
      System.out.printf(
          "dashboard scale: made %d snapshots in %.1f s%n",
          TARGETS * PER_TARGET, (System.nanoTime() - t0) / 1e9);
    }

    try (Repository r = Repository.open(new LocalBackend(dir), PW.toCharArray())) {
      StatusReader reader = new StatusReader(r, StatusReader.Options.defaults());
      long t0 = System.nanoTime();
      DashboardStatus status = reader.read();
      double coldRead = (System.nanoTime() - t0) / 1e6;
      assertEquals(TARGETS, status.targets().size());
      assertEquals(TARGETS * PER_TARGET, status.snapshots().size());
      double[] warmRead = new double[3];
      for (int i = 0; i < warmRead.length; i++) {
        t0 = System.nanoTime();
        reader.read();
        warmRead[i] = (System.nanoTime() - t0) / 1e6;
      }
      t0 = System.nanoTime();
      int listed = r.backend().list(dev.roadie.core.backend.ObjectKind.SNAPSHOT).size();
      double listing = (System.nanoTime() - t0) / 1e6;
      System.out.printf(
          "dashboard scale: warm status reads %.0f, %.0f, %.0f ms; of which listing %d snapshots %.0f ms%n",
          warmRead[0], warmRead[1], warmRead[2], listed, listing);
      t0 = System.nanoTime();
      String report = StaticReport.html(reader.read());
      double reportMillis = (System.nanoTime() - t0) / 1e6;

      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", new DashboardHandler(reader));
      server.start();
      ChromeOptions options = new ChromeOptions();
      options.setBinary("/usr/bin/chromium");
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-dev-shm-usage",
          "--disable-gpu",
          "--window-size=1280,900");
      ChromeDriver browser =
          new ChromeDriver(
              new ChromeDriverService.Builder()
                  .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                  .usingAnyFreePort()
                  .build(),
              options);
      try {
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        List<double[]> loads = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          browser.get(base);
          assertEquals(TARGETS, browser.findElements(By.cssSelector("tr.target")).size());
          @SuppressWarnings("unchecked")
          Map<String, Object> nav =
              (Map<String, Object>)
                  ((JavascriptExecutor) browser)
                      .executeScript(
                          "var n = performance.getEntriesByType('navigation')[0];"
                              + "return {served: n.responseEnd - n.requestStart, loaded: n.loadEventEnd - n.startTime};");
          loads.add(
              new double[] {
                ((Number) nav.get("served")).doubleValue(),
                ((Number) nav.get("loaded")).doubleValue()
              });
        }
        List<double[]> warm = new ArrayList<>(loads.subList(1, loads.size()));
        warm.sort((a, b) -> Double.compare(a[1], b[1]));
        double[] median = warm.get(warm.size() / 2);
        System.out.printf(
            "dashboard scale: %d targets, %d snapshots; status read from the repository %.0f ms (cold); "
                + "overview served %.0f ms and rendered (load event) %.0f ms, median of %d warm loads; static report "
                + "%.0f ms, %d KiB%n",
            TARGETS,
            TARGETS * PER_TARGET,
            coldRead,
            median[0],
            median[1],
            warm.size(),
            reportMillis,
            report.length() / 1024);
      } finally {
        browser.quit();
        server.stop(0);
      }
    }
  }
}
