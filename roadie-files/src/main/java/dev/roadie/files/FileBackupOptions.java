package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.BackupRequest;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What a {@code file} backup reads: {@code paths} (files, directories, symlinks; each becomes a
 * top-level entry of the snapshot named by its last component), or {@code stdin}, one stream stored
 * under {@code stdinName}.
 *
 * @param force read every file, even those the parent snapshot shows unchanged
 */
public record FileBackupOptions(
    List<Path> paths, InputStream stdin, String stdinName, boolean force)
    implements BackupRequest.Options {

  public FileBackupOptions {
    paths = paths == null ? List.of() : List.copyOf(paths);
    if (stdin != null && !paths.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE, "back up either paths or standard input, not both");
    }
    if (stdin == null && paths.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE, "nothing to back up: give one or more paths, or standard input");
    }
    if (stdin != null && (stdinName == null || stdinName.isBlank() || stdinName.contains("/"))) {
      throw new RoadieException(
          ErrorCode.USAGE, "the stream of standard input needs a name without '/'");
    }
  }

  /** Back up these files and directories. */
  public static FileBackupOptions paths(List<Path> paths, boolean force) {
    return new FileBackupOptions(paths, null, null, force);
  }

  /** Back up {@code in}, read to its end, as the stream {@code name}. */
  public static FileBackupOptions stdin(InputStream in, String name) {
    return new FileBackupOptions(List.of(), in, name, false);
  }
}
