package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory restore of names no file system takes as they are (MinIO cannot even hold some of
 * them, such as a key that is also the prefix of others, so the snapshot is written here directly):
 * each object lands in a file whose path decodes back to its name, and verify agrees.
 */
class DirectoryRestoreTest {
  @TempDir Path tmp;

  static final List<String> NAMES =
      List.of(
          "",
          "a",
          "a/b",
          "a/b/c",
          "a/./c",
          "nul\0byte",
          "x".repeat(300) + "/y",
          ".roadie-bucket-metadata.jsonl",
          ".roadie-encoded/fake%",
          "dots/../up",
          "plain/file.txt",
          "trailing/",
          "z//z");

  @Test
  void everyNameLandsInAFileItsLineNamesAndEncodedOnesDecodeBack() throws Exception {
    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      SnapshotRef snap = snapshotOf(repo, NAMES);
      Path dir = tmp.resolve("out");
      RestoreResult r =
          Sources.restore(
              new RestoreRequest(repo, snap, new Destination.Directory(dir), null, null));
      assertEquals(NAMES.size(), r.counts().get(0).value());
      Map<String, String> files = new HashMap<>();
      for (String line : Files.readAllLines(dir.resolve(FileNames.SIDECAR))) {
        Map<?, ?> m = Json.MAPPER.readValue(line, Map.class);
        files.put((String) m.get("name"), (String) m.get("file"));
      }
      assertEquals(NAMES.size(), files.size());
      for (String name : NAMES) {
        String file = files.get(name);
        assertEquals(
            "content of " + name,
            Files.readString(dir.resolve(file), StandardCharsets.UTF_8),
            name);
        boolean plain = file.equals(name);
        assertEquals(
            plain, List.of("a/b/c", "plain/file.txt").contains(name), name + " as " + file);
        if (!plain) assertEquals(name, FileNames.decode(file));
      }
      assertTrue(
          r.notes().stream().anyMatch(n -> n.contains("11 objects' names cannot be a path")),
          r.notes().toString());

      VerifyResult good =
          Sources.verify(new VerifyRequest(repo, snap, new Destination.Directory(dir), null));
      assertTrue(good.matches(), good.differences().toString());
      Files.delete(dir.resolve(files.get("a/b")));
      VerifyResult bad =
          Sources.verify(new VerifyRequest(repo, snap, new Destination.Directory(dir), null));
      assertFalse(bad.matches());
      assertTrue(
          bad.differences().get(0).startsWith("'a/b': missing"), bad.differences().toString());
    }
  }

  @Test
  void aSymlinkInTheTargetDirectoryDoesNotLeadAFileOutOfIt() throws Exception {
    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      SnapshotRef snap = snapshotOf(repo, List.of("plain/file.txt"));
      Path dir = Files.createDirectories(tmp.resolve("out"));
      Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
      Files.createSymbolicLink(dir.resolve("plain"), elsewhere);
      dev.roadie.core.RoadieException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              dev.roadie.core.RoadieException.class,
              () ->
                  Sources.restore(
                      new RestoreRequest(repo, snap, new Destination.Directory(dir), null, null)));
      assertTrue(e.getMessage().contains("leads outside"), e.getMessage());
      try (var files = Files.list(elsewhere)) {
        assertEquals(0, files.count(), "nothing written through the symlink");
      }
      assertFalse(
          Files.exists(dir.resolve(FileNames.SIDECAR)), "a failed restore leaves no sidecar");
    }
  }

  /** A bucket snapshot of objects named {@code names}, each holding "content of NAME". */
  static SnapshotRef snapshotOf(Repository repo, List<String> names) throws Exception {
    List<String> sorted = new ArrayList<>(names);
    sorted.sort(Keys.ORDER);
    BackupRequest request =
        BackupRequest.of(
            repo,
            BucketSource.KIND,
            new BucketBackupOptions(
                BucketLocation.parse("s3:http://127.0.0.1:1/synthetic", null, null), false, false));
    try (BackupWriter w = new BackupWriter(repo, new Progress())) {
      ObjectPages.Writer pages = new ObjectPages.Writer(w);
      for (String name : sorted) {
        byte[] data = ("content of " + name).getBytes(StandardCharsets.UTF_8);
        Content c = w.writeStream(new ByteArrayInputStream(data), ChunkerParams.LARGE);
        pages.add(
            new SnapshotObject(
                    name,
                    false,
                    data.length,
                    "etag",
                    Instant.parse("2024-05-06T07:08:09.123Z"),
                    null,
                    true,
                    TestBuckets.sha(data),
                    null,
                    null,
                    null,
                    null)
                .toNode(c));
      }
      Id root = pages.finish();
      BucketMetadata meta =
          new BucketMetadata(
              "s3:http://127.0.0.1:1/synthetic",
              "synthetic",
              "",
              false,
              (long) names.size(),
              0L,
              (long) names.size(),
              0L,
              0L,
              0L,
              0L,
              null);
      Id id =
          w.commit(request.draft("bucket://127.0.0.1:1/synthetic", List.of(), root, null, meta));
      return repo.readSnapshot(id);
    }
  }
}
