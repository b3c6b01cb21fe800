package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores a bucket snapshot's current objects into a directory: each object as a file at its name
 * ({@link FileNames}: encoded under {@value FileNames#ENCODED} when it cannot be a path), its
 * modification time the object's Last-Modified, and one line per object in {@value
 * FileNames#SIDECAR} (JSON: name, file, size, ETag, SHA-256, last-modified, version, headers, user
 * metadata, tags), in key order. Files are written under a temporary name and renamed when
 * complete; the sidecar is written last, so a restore that failed leaves no sidecar.
 */
final class DirectoryRestore {
  static final int WORKERS = 8;
  private static final int NAMES_LISTED = 10;

  private final Repository repo;
  private final SnapshotRef snapshot;
  private final Progress progress;
  private final KeyPattern pattern;
  private final Path dir;
  private final AtomicLong files = new AtomicLong();

  /** DIR with its symlinks resolved: every file goes below it. */
  private Path root;

  private final AtomicLong bytes = new AtomicLong();

  DirectoryRestore(
      Repository repo, SnapshotRef snapshot, Progress progress, KeyPattern pattern, Path dir) {
    this.repo = repo;
    this.snapshot = snapshot;
    this.progress = progress;
    this.pattern = pattern;
    this.dir = dir;
  }

  /** The names of the snapshot's restored objects that are also directories of others. */
  static Set<String> directoryNames(Repository repo, SnapshotRef snapshot, KeyPattern pattern)
      throws IOException {
    try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern)) {
      return FileNames.directoryNames(
          new Iterator<>() {
            @Override
            public boolean hasNext() {
              return entries.hasNext();
            }

            @Override
            public String next() {
              return entries.next().object().name();
            }
          });
    }
  }

  RestoreResult run() throws IOException {
    Files.createDirectories(dir);
    root = dir.toRealPath();
    Long total = SourceMetadata.of(snapshot.snapshot(), BucketMetadata.class).bytes();
    Providers.expect(total == null ? -1 : total);
    Set<String> prefixes = directoryNames(repo, snapshot, pattern);
    Path sidecar = dir.resolve(FileNames.SIDECAR);
    Path sidecarTmp = dir.resolve(".roadie-restore-" + UUID.randomUUID());
    List<String> encoded = new ArrayList<>();
    long encodedCount = 0;
    Workers workers = new Workers(repo.io(), WORKERS);
    try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern);
        BufferedWriter lines = Files.newBufferedWriter(sidecarTmp, StandardCharsets.UTF_8)) {
      while (entries.hasNext()) {
        SnapshotEntries.Entry e = entries.next();
        String path = FileNames.path(e.object().name(), prefixes);
        if (path.startsWith(FileNames.ENCODED + "/")) {
          encodedCount++;
          if (encoded.size() < NAMES_LISTED) encoded.add("'" + e.object().name() + "' as " + path);
        }
        lines.write(Json.MAPPER.writeValueAsString(sidecarLine(e.object(), path)));
        lines.write('\n');
        workers.submit(() -> writeFile(e, path));
      }
      workers.finish();
    } catch (IOException | RuntimeException e) {
      workers.await();
      Files.deleteIfExists(sidecarTmp);
      String msg =
          e.getMessage()
              + "; the restore into "
              + dir
              + " stopped after "
              + files.get()
              + " objects: "
              + "files written so far are complete, "
              + FileNames.SIDECAR
              + " was not written";
      throw e instanceof RoadieException r
          ? new RoadieException(r.code(), msg, e)
          : new RoadieException(ErrorCode.FAILURE, msg, e);
    }
    Files.move(
        sidecarTmp, sidecar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    List<String> notes = new ArrayList<>();
    notes.add("object metadata and tags: " + sidecar + " (one JSON line per object)");
    if (encodedCount > 0) {
      notes.add(
          encodedCount
              + (encodedCount == 1 ? " object's name cannot" : " objects' names cannot")
              + " be a path as it is and "
              + (encodedCount == 1 ? "was" : "were")
              + " written under "
              + dir.resolve(FileNames.ENCODED)
              + " (reversibly encoded; each line of "
              + FileNames.SIDECAR
              + " names its file):");
      for (String s : encoded) notes.add("  " + s);
      if (encodedCount > encoded.size())
        notes.add("  and " + (encodedCount - encoded.size()) + " more");
    }
    BucketMetadata meta = SourceMetadata.of(snapshot.snapshot(), BucketMetadata.class);
    if (meta.skippedOrZero() > 0) {
      notes.add(
          "the snapshot is incomplete: "
              + meta.skippedOrZero()
              + " objects changed or disappeared while it "
              + "was taken and are not in it (see source.skipped in 'roadie snapshots --json')");
    }
    return new RestoreResult(
        dir.toString(),
        List.of(RestoreResult.Count.of(files.get(), "object", "objects")),
        bytes.get(),
        notes);
  }

  /** One line of the sidecar: the object as the snapshot records it, and the file it went to. */
  static Map<String, Object> sidecarLine(SnapshotObject o, String path) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", o.name());
    m.put("file", path);
    m.put("size", o.size());
    m.put("lastModified", o.lastModified().toString());
    m.putAll(o.meta());
    return m;
  }

  private void writeFile(SnapshotEntries.Entry e, String path) throws IOException {
    SnapshotObject o = e.object();
    Path target = dir.resolve(path);
    Path parent = target.getParent();
    try {
      Files.createDirectories(parent);
    } catch (FileAlreadyExistsException x) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          dir
              + ": cannot restore object '"
              + o.name()
              + "': "
              + x.getFile()
              + " is a file where a directory is needed; restore into an empty directory");
    }
    if (!parent.toRealPath().startsWith(root)) {
      // A symlink already in DIR would lead the file elsewhere.
      throw new RoadieException(
          ErrorCode.FAILURE,
          dir
              + ": cannot restore object '"
              + o.name()
              + "': "
              + parent
              + " leads outside "
              + dir
              + " (a symlink); restore into an empty directory");
    }
    if (Files.isDirectory(target)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          dir
              + ": cannot restore object '"
              + o.name()
              + "': "
              + target
              + " is a directory; restore into an empty directory");
    }
    progress.current = o.name();
    Path tmp = parent.resolve(".roadie-restore-" + UUID.randomUUID());
    try (InputStream in = new ContentReader(repo, e.node(), "object " + o.describe());
        OutputStream out = Files.newOutputStream(tmp)) {
      long n = in.transferTo(out);
      if (n != o.size()) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "object "
                + o.describe()
                + " holds "
                + n
                + " bytes, not the "
                + o.size()
                + " the snapshot records");
      }
      progress.bytesRead.addAndGet(n);
    } catch (IOException | RuntimeException x) {
      Files.deleteIfExists(tmp);
      throw x;
    }
    Files.setLastModifiedTime(tmp, FileTime.from(o.lastModified()));
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    files.incrementAndGet();
    bytes.addAndGet(o.size());
    progress.files.incrementAndGet();
  }
}
