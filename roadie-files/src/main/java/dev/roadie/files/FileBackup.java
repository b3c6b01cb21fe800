package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code file} source: files, directories and symlinks (with mode, mtime, owner), or one named
 * stream from standard input. Each PATH becomes a top-level entry of the snapshot named by its file
 * name. A file that cannot be read fails the backup (no snapshot): a backup that silently lacks
 * files is worse than none. Sockets, devices and pipes are skipped with a warning.
 */
final class FileBackup {
  private final BackupRequest request;
  private final Repository repo;
  private final Progress progress;
  private final List<String> warnings = new ArrayList<>();

  FileBackup(BackupRequest request) {
    this.request = request;
    this.repo = request.repository();
    this.progress = request.progress();
  }

  BackupResult run() throws IOException {
    FileBackupOptions o = request.options(FileBackupOptions.class);
    Id id = o.stdin() != null ? backupStream(o.stdin(), o.stdinName()) : backupPaths(o.paths());
    return new BackupResult(repo.readSnapshot(id), warnings);
  }

  private Id backupPaths(List<Path> paths) throws IOException {
    List<Path> abs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Path p : paths) {
      Path a = p.toAbsolutePath().normalize();
      if (!Files.exists(a, LinkOption.NOFOLLOW_LINKS)) {
        throw new RoadieException(ErrorCode.USAGE, a + " does not exist");
      }
      String name = a.getFileName() == null ? "root" : a.getFileName().toString();
      if (!names.add(name)) {
        throw new RoadieException(ErrorCode.USAGE, "two paths are both named '" + name
            + "'; back them up as separate targets or give their parent directory");
      }
      abs.add(a);
    }
    progress.expectedBytes.set(sizeOf(abs));
    try (BackupWriter w = new BackupWriter(repo, progress)) {
      List<Node> top = new ArrayList<>();
      for (Path a : abs) {
        top.add(node(w, a, a.getFileName() == null ? "root" : a.getFileName().toString()));
      }
      top.sort(Comparator.comparing(Node::name));
      Id tree = w.writeTree(new Tree(top));
      String defaultTarget = abs.get(0).toString() + (abs.size() > 1 ? " (+" + (abs.size() - 1) + ")" : "");
      return w.commit(request.draft(defaultTarget, abs.stream().map(Path::toString).toList(), tree, null, null));
    }
  }

  private Id backupStream(InputStream in, String name) throws IOException {
    try (BackupWriter w = new BackupWriter(repo, progress)) {
      progress.current = name;
      Content c = w.writeStream(in, ChunkerParams.FILE);
      progress.files.incrementAndGet();
      Node n = new Node(name, Node.STREAM, c.size(), null, null, null, null, null, c.chunksHex(), c.chunkListsHex(),
          null, null);
      Id tree = w.writeTree(new Tree(List.of(n)));
      return w.commit(request.draft(name, List.of("-"), tree, null, null));
    }
  }

  private Node node(BackupWriter w, Path p, String name) throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new RoadieException(ErrorCode.FAILURE, p + " disappeared during the backup; run it again");
    }
    Integer mode = null;
    Integer uid = null;
    Integer gid = null;
    try {
      PosixFileAttributes px = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      mode = Node.modeOf(px.permissions());
      uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // not a POSIX file system: mode and owner are not recorded
    }
    String mtime = attrs.lastModifiedTime().toInstant().toString();
    if (attrs.isSymbolicLink()) {
      return new Node(name, Node.SYMLINK, null, mode, mtime, uid, gid, Files.readSymbolicLink(p).toString(), null, null,
          null, null);
    }
    if (attrs.isDirectory()) {
      List<Node> children = new ArrayList<>();
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        ds.forEach(entries::add);
      } catch (AccessDeniedException e) {
        throw new RoadieException(ErrorCode.FAILURE, "cannot read directory " + p + ": permission denied; "
            + "run roadie as a user who can read it, or leave it out");
      }
      entries.sort(Comparator.comparing(e -> e.getFileName().toString()));
      for (Path e : entries) {
        Node n = node(w, e, e.getFileName().toString());
        if (n != null) children.add(n);
      }
      Id sub = w.writeTree(new Tree(children));
      return new Node(name, Node.DIR, null, mode, mtime, uid, gid, null, null, null, sub.hex(), null);
    }
    if (!attrs.isRegularFile()) {
      warnings.add("skipped " + p + ": not a regular file, directory or symlink");
      return null;
    }
    progress.current = p.toString();
    Content c;
    try (InputStream in = Files.newInputStream(p)) {
      c = w.writeStream(in, ChunkerParams.FILE);
    } catch (AccessDeniedException e) {
      throw new RoadieException(ErrorCode.FAILURE, "cannot read " + p + ": permission denied; "
          + "run roadie as a user who can read it, or leave it out");
    }
    progress.files.incrementAndGet();
    return new Node(name, Node.FILE, c.size(), mode, mtime, uid, gid, null, c.chunksHex(), c.chunkListsHex(), null,
        null);
  }

  private long sizeOf(List<Path> paths) {
    long[] total = {0};
    for (Path p : paths) {
      try {
        Files.walkFileTree(p, new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(Path f, BasicFileAttributes a) {
            if (a.isRegularFile()) total[0] += a.size();
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        return -1;
      }
    }
    return total[0];
  }
}
