package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Sources;
import dev.roadie.files.FileBackupOptions;
import dev.roadie.files.FileSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "file",
    description = {
      "Back up files and directories, or standard input as a named stream.",
      "Default target: the absolute path of the first PATH, or the stream's --name.",
      "Files unchanged since the target's previous snapshot on this host are not read again."
    })
final class FileBackupCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin BackupOptions options;

  @Parameters(
      paramLabel = "PATH",
      arity = "0..*",
      description = "Files and directories to back up.")
  List<Path> paths = new ArrayList<>();

  @Option(names = "--stdin", description = "Back up standard input as one stream.")
  boolean stdin;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Name of the stdin stream in the snapshot.")
  String name;

  @Option(
      names = "--force",
      description =
          "Read every file, also those the previous snapshot of the target shows "
              + "unchanged (same size, mtime, ctime and inode).")
  boolean force;

  @Override
  public Integer call() throws Exception {
    if (stdin && !paths.isEmpty()) {
      throw new RoadieException(ErrorCode.USAGE, "give either PATHs or --stdin, not both");
    }
    if (!stdin && paths.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE, "nothing to back up: give one or more PATHs, or --stdin --name NAME");
    }
    if (stdin && force) {
      throw new RoadieException(
          ErrorCode.USAGE, "--force goes with PATHs: standard input is always read");
    }
    if (stdin && (name == null || name.isBlank() || name.contains("/"))) {
      throw new RoadieException(
          ErrorCode.USAGE, "--stdin needs --name NAME (no '/'), the stream's name in the snapshot");
    }
    String time = options.snapshotTime();
    List<String> tags = options.tags();
    FileBackupOptions what =
        stdin ? FileBackupOptions.stdin(System.in, name) : FileBackupOptions.paths(paths, force);
    try (Repository r = repo.open()) {
      Progress progress = new Progress();
      BackupResult result;
      try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json)) {
        result =
            Sources.backup(
                new BackupRequest(
                    r, FileSource.KIND, what, options.target, tags, time, null, progress));
      }
      SavedSnapshot.print(result.snapshot(), result.warnings(), options.json);
      return 0;
    }
  }
}
