package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The {@code file} source: files, directories and symlinks (content, mode, mtime, owner), or one
 * named stream from standard input. Restores into a directory, or one file or stream to a stream.
 */
public final class FileSource implements SourceProvider {
  public static final String KIND = "file";

  @Override
  public Set<String> kinds() {
    return Set.of(KIND);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return FileMetadata.class;
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    return new FileBackup(request).run();
  }

  /**
   * {@code paths} (required) and {@code force}: the files and directories to back up, as {@code
   * roadie backup file}.
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    List<String> paths = options.strings("paths");
    boolean force = options.flag("force", false);
    // A misspelled key first: "no option 'path'" says more than "needs paths".
    options.refuseUnknown(kind);
    if (paths.isEmpty()) throw options.missing("paths", "[/srv/app]");
    return FileBackupOptions.paths(paths.stream().map(java.nio.file.Path::of).toList(), force);
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(
        Destination.Fit.of(Destination.Type.DIRECTORY),
        Destination.Fit.of(Destination.Type.STREAM));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    FileRestoreOptions o = request.options(FileRestoreOptions.class, FileRestoreOptions.DEFAULTS);
    Progress progress = request.progress();
    progress.expectedBytes.set(totalBytes(request.snapshot().snapshot()));
    FileRestore restore = new FileRestore(request.repository(), progress);
    Id root = Id.parse(request.snapshot().snapshot().tree());
    switch (request.destination()) {
      case Destination.Directory d ->
          restore.toDirectory(restore.find(root, o.include()), d.path(), o.force());
      case Destination.Stream s ->
          restore.toStream(
              o.include() != null ? restore.find(root, o.include()) : restore.single(root),
              s.out());
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a file snapshot restores into a directory or to a "
                  + "stream, not to "
                  + request.destination().describe());
    }
    long files = progress.files.get();
    return new RestoreResult(
        request.destination().describe(),
        List.of(RestoreResult.Count.of(files, "file", "files")),
        progress.bytesRead.get(),
        List.of());
  }

  @Override
  public VerifyResult verify(VerifyRequest request) throws IOException {
    FileRestoreOptions o = request.options(FileRestoreOptions.class, FileRestoreOptions.DEFAULTS);
    if (!(request.copy() instanceof Destination.Directory d)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a file snapshot's copy is verified in a directory, not " + request.copy().describe());
    }
    return new FileVerify(request.repository()).verify(request.snapshot(), o.include(), d.path());
  }

  @Override
  public String summary(Snapshot snapshot) {
    long files = snapshot.stats() == null ? 0 : snapshot.stats().files();
    FileMetadata m = SourceMetadata.of(snapshot, FileMetadata.class);
    long unchanged = m.unchangedFiles() == null ? 0 : m.unchangedFiles();
    return files
        + (files == 1 ? " file" : " files")
        + (unchanged > 0 ? " (" + unchanged + " unchanged)" : "");
  }

  /**
   * The bytes of every file of a snapshot (read, or taken unchanged from its parent); -1 when
   * unknown.
   */
  static long totalBytes(Snapshot s) {
    if (s.stats() == null) return -1;
    FileMetadata m = SourceMetadata.of(s, FileMetadata.class);
    return s.stats().bytesRead() + (m.unchangedBytes() == null ? 0 : m.unchangedBytes());
  }
}
