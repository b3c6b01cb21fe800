package dev.roadie.dashboard.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.backend.FaultInjectingBackend;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.files.FileBackupOptions;
import dev.roadie.files.FileSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot list behind every page: a fast listing is seen at once, a slow one (a repository of
 * very many snapshots) does not hold up a view, which gets the last listing meanwhile.
 */
class SnapshotCacheTest {
  @TempDir Path tmp;
  Repository repo;
  Path data;

  @BeforeEach
  void setUp() throws Exception {
    data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "festival\n");
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  private void backup() throws Exception {
    Sources.backup(
        new BackupRequest(
            repo,
            FileSource.KIND,
            FileBackupOptions.paths(List.of(data), false),
            null,
            List.of(),
            null,
            "test-host",
            null));
  }

  private static int count(SnapshotCache cache) throws IOException {
    return cache.refresh(new ArrayList<>()).size();
  }

  @Test
  void aStaleListingIsRefreshedAndAFastOneSeenAtOnce() throws Exception {
    backup();
    // A time to live that a backup on a loaded machine stays well within.
    SnapshotCache cache = new SnapshotCache(repo, Duration.ofSeconds(3));
    assertEquals(1, count(cache));
    backup();
    assertEquals(1, count(cache), "within the time to live, the last listing");
    Thread.sleep(3100);
    assertEquals(2, count(cache), "a stale listing is listed again; a fast listing is waited for");
  }

  @Test
  void aSlowListingDoesNotHoldUpAView() throws Exception {
    backup();
    FaultInjectingBackend storage =
        new FaultInjectingBackend(new LocalBackend(tmp.resolve("repo")));
    try (Repository slow = Repository.open(storage, "pw".toCharArray())) {
      SnapshotCache cache = new SnapshotCache(slow, Duration.ofMillis(50));
      assertEquals(1, count(cache));
      backup();
      Thread.sleep(100);
      storage.delay(3000).inject(FaultInjectingBackend.Fault.SLOW_LIST, n -> true, 1);
      long start = System.nanoTime();
      assertEquals(1, count(cache), "the last listing while the repository is listed again");
      long waited = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waited < 2000, "a view waited " + waited + " ms for a 3 s listing");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (count(cache) != 2) {
        assertTrue(System.nanoTime() < deadline, "the background listing never landed");
        Thread.sleep(20);
      }
      assertEquals(1, storage.injected());
    }
  }
}
