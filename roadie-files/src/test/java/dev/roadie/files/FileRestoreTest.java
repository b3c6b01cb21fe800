package dev.roadie.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.Sources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restoring into a directory that already has content: files are replaced, entries whose type is in
 * the way are found before anything is written and refused with their list (or replaced with
 * force); a target that is a file is refused; backup and restore count the same files.
 */
class FileRestoreTest {
  @TempDir Path tmp;
  Path data;
  Repository repo;
  SnapshotRef snap;

  @BeforeEach
  void setUp() throws Exception {
    data = tmp.resolve("src/data");
    FileTrees.make(data);
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
    snap =
        Sources.backup(
                BackupRequest.of(
                    repo, FileSource.KIND, FileBackupOptions.paths(List.of(data), false)))
            .snapshot();
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  private RestoreResult restore(Path target, boolean force) throws Exception {
    return Sources.restore(
        new RestoreRequest(
            repo,
            snap,
            new Destination.Directory(target),
            new FileRestoreOptions(null, force),
            null));
  }

  /**
   * A target holding, at the snapshot's paths: a file where it has a directory, a directory (with a
   * file in it) where it has a file, a symlink to a directory outside where it has a directory, a
   * directory where it has a symlink, and a plain file of other content where it has a file.
   */
  private Path targetInTheWay() throws Exception {
    Path out = tmp.resolve("out");
    Path d = Files.createDirectories(out.resolve("data"));
    Files.writeString(d.resolve("sub"), "a file where the snapshot has a directory\n");
    Files.createDirectories(d.resolve("readme.txt"));
    Files.writeString(
        d.resolve("readme.txt/keep.txt"), "inside a directory where the snapshot has a file\n");
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("precious.txt"), "outside the target\n");
    Files.createSymbolicLink(d.resolve("empty-dir"), elsewhere);
    Files.createDirectories(d.resolve("link-to-a"));
    Files.writeString(d.resolve("secret.txt"), "older content, replaced as documented\n");
    return out;
  }

  @Test
  void entriesInTheWayAreRefusedBeforeAnythingIsWritten() throws Exception {
    Path out = targetInTheWay();
    Map<String, String> before = FileTrees.describe(out);
    Map<String, String> outside = FileTrees.describe(tmp.resolve("elsewhere"));
    RoadieException e = assertThrows(RoadieException.class, () -> restore(out, false));
    assertEquals(ErrorCode.FAILURE, e.code());
    String m = e.getMessage();
    assertTrue(m.contains("4 entries are in the way of the snapshot's; nothing was restored"), m);
    assertTrue(
        m.contains(out.resolve("data/sub") + " is a file where the snapshot has a directory"), m);
    assertTrue(
        m.contains(
            out.resolve("data/readme.txt") + " is a directory where the snapshot has a file"),
        m);
    assertTrue(
        m.contains(
            out.resolve("data/empty-dir") + " is a symlink where the snapshot has a directory"),
        m);
    assertTrue(
        m.contains(
            out.resolve("data/link-to-a") + " is a directory where the snapshot has a symlink"),
        m);
    assertTrue(m.contains("--force"), m);
    assertFalse(
        m.contains("secret.txt"), "a file where a file is, is replaced, not in the way: " + m);
    assertEquals(before, FileTrees.describe(out), "nothing written, nothing removed");
    assertEquals(outside, FileTrees.describe(tmp.resolve("elsewhere")));
  }

  @Test
  void forceReplacesWhatIsInTheWayWithoutFollowingSymlinks() throws Exception {
    Path out = targetInTheWay();
    Map<String, String> outside = FileTrees.describe(tmp.resolve("elsewhere"));
    restore(out, true);
    assertEquals(FileTrees.describe(data), FileTrees.describe(out.resolve("data")));
    assertEquals(
        outside,
        FileTrees.describe(tmp.resolve("elsewhere")),
        "the symlink went, not what it pointed to");
  }

  @Test
  void existingFilesAreReplacedAndOtherEntriesLeftAlone() throws Exception {
    Path out = tmp.resolve("out");
    Files.createDirectories(out.resolve("data/sub"));
    Files.writeString(out.resolve("data/readme.txt"), "stale\n");
    Files.writeString(out.resolve("data/sub/extra.txt"), "not in the snapshot\n");
    restore(out, false);
    assertEquals(
        Files.readString(data.resolve("readme.txt")),
        Files.readString(out.resolve("data/readme.txt")));
    assertEquals("not in the snapshot\n", Files.readString(out.resolve("data/sub/extra.txt")));
  }

  @Test
  void aTargetThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "mine\n");
    RoadieException e = assertThrows(RoadieException.class, () -> restore(file, false));
    assertEquals(ErrorCode.USAGE, e.code());
    assertEquals(
        "cannot restore into "
            + file
            + ": it is a file, not a directory; name a directory (it is created "
            + "if missing)",
        e.getMessage());
    assertEquals("mine\n", Files.readString(file));
    RoadieException below =
        assertThrows(RoadieException.class, () -> restore(file.resolve("sub"), false));
    assertTrue(
        below.getMessage().contains(file + " is a file, not a directory"), below.getMessage());
  }

  /**
   * What the backup counts as files and what the restore counts are the same: regular files (and
   * streams) only.
   */
  @Test
  void backupAndRestoreCountTheSameFiles() throws Exception {
    Path more = tmp.resolve("src/more");
    Files.createDirectories(more.resolve("nested/deeper"));
    Files.writeString(more.resolve("nested/deeper/x.txt"), "x\n");
    Files.createLink(more.resolve("hard-link.txt"), more.resolve("nested/deeper/x.txt"));
    Files.createSymbolicLink(more.resolve("to-nested"), Path.of("nested"));
    new ProcessBuilder("mkfifo", more.resolve("fifo").toString()).start().waitFor();
    Path single = Files.writeString(tmp.resolve("src/single.txt"), "one file as a PATH\n");
    for (int round = 0;
        round < 2;
        round++) { // the second round takes every file unchanged from the first
      BackupResult b =
          Sources.backup(
              BackupRequest.of(
                  repo,
                  FileSource.KIND,
                  FileBackupOptions.paths(List.of(data, more, single), false)));
      long backedUp = b.snapshot().snapshot().stats().files();
      assertEquals(
          7 + 2 + 1,
          backedUp,
          "regular files: the tree's 7, the hard link and its file, the single PATH");
      RestoreResult r =
          Sources.restore(
              new RestoreRequest(
                  repo,
                  b.snapshot(),
                  new Destination.Directory(tmp.resolve("count-" + round)),
                  null,
                  null));
      assertEquals(List.of(RestoreResult.Count.of(backedUp, "file", "files")), r.counts());
      assertTrue(Sources.summary(b.snapshot().snapshot()).startsWith(backedUp + " files"));
    }
  }
}
