package dev.roadie.postgres.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acknowledgment rules of the asynchronous archiver, on a pg_wal directory laid out as
 * PostgreSQL keeps it (files and archive_status/*.ready); the real cluster is in roadie-cli's
 * WalPushAsyncCliTest. An acknowledgment exists only for a file that is in the repository, and only
 * for that very file.
 */
class WalArchiverTest {
  static final long SYSID = WalArchiveTest.SYSID;

  @TempDir Path tmp;
  Repository repo;
  WalArchive archive;
  Path walDir;
  Path spool;

  @BeforeEach
  void init() throws Exception {
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
    archive = new WalArchive(repo, SYSID);
    walDir = Files.createDirectories(tmp.resolve("data/pg_wal/archive_status")).getParent();
    spool = tmp.resolve("data/pg_wal/roadie/k");
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  static String name(int segment) {
    return String.format("00000001%08X%08X", 0, segment);
  }

  Path ready(int segment, long seed) throws Exception {
    Path f = walDir.resolve(name(segment));
    Files.write(f, WalArchiveTest.segment(SYSID, seed));
    Files.createFile(walDir.resolve("archive_status/" + name(segment) + ".ready"));
    return f;
  }

  WalArchiver archiver() {
    return new WalArchiver(
        archive, walDir, spool, new WalArchiver.Settings(2, 64, Duration.ofMillis(10)));
  }

  @Test
  void everyReadyFileIsDurableBeforeItIsAcknowledged() throws Exception {
    Path a = ready(1, 1);
    Path b = ready(2, 2);
    Path c = ready(3, 3);
    WalArchiver archiver = archiver();
    assertTrue(archiver.tryLock());
    try {
      assertEquals(new WalArchiver.Pass(3, 0, 0), archiver.archiveReady());
    } finally {
      archiver.stop();
    }
    for (Path f : new Path[] {a, b, c}) {
      assertTrue(WalArchiver.acknowledged(spool, f), f.toString());
      assertArrayEquals(Files.readAllBytes(f), archive.read(f.getFileName().toString()));
    }
    assertNotNull(archiver.lastArchived());
  }

  @Test
  void anotherFileUnderAnAcknowledgedNameIsNotAcknowledged() throws Exception {
    Path a = ready(1, 1);
    WalArchiver archiver = archiver();
    assertTrue(archiver.tryLock());
    try {
      archiver.archiveReady();
      assertTrue(WalArchiver.acknowledged(spool, a));
      // The same name, other content (a new inode): the acknowledgment does not cover it, and the
      // archive refuses it, so it is never acknowledged.
      Path other = tmp.resolve("other");
      Files.write(other, WalArchiveTest.segment(SYSID, 9));
      Files.move(other, a, StandardCopyOption.REPLACE_EXISTING);
      assertFalse(WalArchiver.acknowledged(spool, a));
      assertEquals(new WalArchiver.Pass(0, 1, 1), archiver.archiveReady());
      assertFalse(WalArchiver.acknowledged(spool, a));
      RoadieException failure = WalArchiver.failure(spool, name(1));
      assertNotNull(failure);
      assertTrue(
          failure.getMessage().contains("already archived with different content"),
          failure.getMessage());
      assertEquals(1, failure.code().exitCode());
    } finally {
      archiver.stop();
    }
  }

  @Test
  void acknowledgmentsOfFilesNoLongerReadyAreRemovedAndOneArchiverWorksAtATime() throws Exception {
    ready(1, 1);
    WalArchiver first = archiver();
    WalArchiver second = archiver();
    assertTrue(first.tryLock());
    try {
      assertFalse(second.tryLock(), "the queue is taken");
      first.archiveReady();
      Path ok = WalArchiver.queueDirectory(spool).resolve(name(1) + ".ok");
      assertTrue(Files.exists(ok));
      // PostgreSQL took the acknowledgment: .ready becomes .done.
      Files.move(
          walDir.resolve("archive_status/" + name(1) + ".ready"),
          walDir.resolve("archive_status/" + name(1) + ".done"));
      first.archiveReady();
      assertFalse(Files.exists(ok));
    } finally {
      first.stop();
    }
    assertTrue(second.tryLock(), "free again once the first stopped");
    second.stop();
  }

  @Test
  void theBackgroundThreadArchivesWhatBecomesReadyUntilStopped() throws Exception {
    WalArchiver archiver = archiver();
    archiver.start();
    try {
      Path a = ready(1, 1);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!WalArchiver.acknowledged(spool, a)) {
        assertTrue(System.nanoTime() < deadline, "not archived in time");
        Thread.sleep(10);
      }
      assertTrue(archive.has(name(1)));
      assertTrue(Files.exists(WalArchiver.queueDirectory(spool).resolve("archiver.alive")));
    } finally {
      archiver.stop();
    }
    assertFalse(Files.exists(WalArchiver.queueDirectory(spool).resolve("archiver.alive")));
  }
}
