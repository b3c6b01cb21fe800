package dev.roadie.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file source reads only what changed since the parent snapshot (newest of the same target and
 * host): size, mtime, ctime and inode decide; --force reads everything.
 */
class FileBackupTest {
  @TempDir Path tmp;
  Path data;
  Repository repo;
  long totalBytes;
  long files;

  @BeforeEach
  void setUp() throws Exception {
    data = tmp.resolve("src/data");
    FileTrees.make(data);
    try (Stream<Path> s = Files.walk(data)) {
      List<Path> regular =
          s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList();
      files = regular.size();
      for (Path p : regular) totalBytes += Files.size(p);
    }
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterEach
  void close() throws Exception {
    repo.close();
  }

  private SnapshotRef backup(String host, boolean force) throws Exception {
    return Sources.backup(
            new BackupRequest(
                repo,
                FileSource.KIND,
                FileBackupOptions.paths(List.of(data), force),
                null,
                List.of(),
                null,
                host,
                null))
        .snapshot();
  }

  private static FileMetadata meta(SnapshotRef s) {
    return SourceMetadata.of(s.snapshot(), FileMetadata.class);
  }

  private Path restore(SnapshotRef s) throws Exception {
    Path out = tmp.resolve("out-" + s.id().shortHex());
    Sources.restore(new RestoreRequest(repo, s, new Destination.Directory(out), null, null));
    return out.resolve("data");
  }

  @Test
  void anUnchangedTreeIsNotReadAgainAndRestoresIdentically() throws Exception {
    SnapshotRef first = backup("h1", false);
    assertEquals(totalBytes, first.snapshot().stats().bytesRead());
    assertNull(first.snapshot().parent());
    SnapshotRef second = backup("h1", false);
    Snapshot s = second.snapshot();
    assertEquals(0, s.stats().bytesRead(), "no byte of an unchanged tree is read again");
    assertEquals(files, s.stats().files(), "unchanged files still count");
    assertEquals(files, meta(second).unchangedFiles());
    assertEquals(totalBytes, meta(second).unchangedBytes());
    assertEquals(first.id().hex(), s.parent());
    assertEquals(first.snapshot().tree(), s.tree(), "the same files make the same tree");
    assertEquals(FileTrees.describe(data), FileTrees.describe(restore(second)));
    assertEquals(files + " files (" + files + " unchanged)", Sources.summary(s));
  }

  @Test
  void aFileRewrittenWithItsMtimeSetBackIsReadAgain() throws Exception {
    backup("h1", false);
    Path big = data.resolve("big.bin");
    FileTime mtime = Files.getLastModifiedTime(big);
    long size = Files.size(big);
    try (RandomAccessFile raf = new RandomAccessFile(big.toFile(), "rw")) {
      raf.seek(size / 2);
      raf.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    }
    Files.setLastModifiedTime(
        big, mtime); // as touch -d or rsync -t would: size and mtime as before
    SnapshotRef second = backup("h1", false);
    assertEquals(
        size,
        second.snapshot().stats().bytesRead(),
        "only the rewritten file is read, and all of it");
    assertEquals(files - 1, meta(second).unchangedFiles());
    assertEquals(FileTrees.describe(data), FileTrees.describe(restore(second)));
  }

  @Test
  void forceReadsEverything() throws Exception {
    backup("h1", false);
    SnapshotRef forced = backup("h1", true);
    assertEquals(totalBytes, forced.snapshot().stats().bytesRead());
    assertEquals(0, meta(forced).unchangedFiles());
    assertNull(forced.snapshot().parent());
  }

  @Test
  void theParentIsTheNewestSnapshotOfTheTargetOnThisHost() throws Exception {
    SnapshotRef elsewhere = backup("other-host", false);
    SnapshotRef here = backup("h1", false);
    assertEquals(
        totalBytes,
        here.snapshot().stats().bytesRead(),
        "another host's inodes say nothing about this one");
    assertNull(here.snapshot().parent());
    SnapshotRef again = backup("h1", false);
    assertEquals(here.id().hex(), again.snapshot().parent());
    SnapshotRef newest = backup("h1", false);
    assertEquals(again.id().hex(), newest.snapshot().parent(), "the newest one");
    assertEquals(elsewhere.snapshot().target(), newest.snapshot().target());
    // another target of the same host is no parent either
    SnapshotRef renamed =
        Sources.backup(
                new BackupRequest(
                    repo,
                    FileSource.KIND,
                    FileBackupOptions.paths(List.of(data), false),
                    "renamed",
                    List.of(),
                    null,
                    "h1",
                    null))
            .snapshot();
    assertEquals(totalBytes, renamed.snapshot().stats().bytesRead());
  }

  @Test
  void chunksThatAreNoLongerStoredAreReadAgain() throws Exception {
    SnapshotRef first = backup("h1", false);
    // The pack of big.bin's first chunk is gone (a damaged repository): the parent's node for it
    // must not be referenced, the file is read and stored again.
    Node dir = repo.readTree(Id.parse(first.snapshot().tree())).nodes().get(0);
    Node big =
        repo.readTree(Id.parse(dir.subtree())).nodes().stream()
            .filter(n -> n.name().equals("big.bin"))
            .findFirst()
            .orElseThrow();
    Id pack = repo.index().get(Id.parse(big.content().get(0))).packId();
    repo.backend().delete(ObjectName.of(ObjectKind.PACK, pack.hex()));
    try (Repository fresh =
        Repository.open(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray())) {
      SnapshotRef s =
          Sources.backup(
                  new BackupRequest(
                      fresh,
                      FileSource.KIND,
                      FileBackupOptions.paths(List.of(data), false),
                      null,
                      List.of(),
                      null,
                      "h1",
                      null))
              .snapshot();
      assertTrue(
          s.snapshot().stats().bytesRead() >= Files.size(data.resolve("big.bin")),
          "big.bin is read again");
      Path out = tmp.resolve("out-fresh");
      Sources.restore(new RestoreRequest(fresh, s, new Destination.Directory(out), null, null));
      assertEquals(FileTrees.describe(data), FileTrees.describe(out.resolve("data")));
    }
    try (Repository again =
        Repository.open(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray())) {
      Checker.Report report = new Checker(again, m -> {}).run(1.0);
      assertEquals(
          List.of(),
          report.damagedSnapshots(),
          "the chunks stored again serve the first snapshot too");
    }
  }
}
