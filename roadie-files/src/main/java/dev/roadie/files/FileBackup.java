package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
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
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code file} source: files, directories and symlinks (with mode, mtime, owner), or one named
 * stream from standard input. Each PATH becomes a top-level entry of the snapshot named by its file
 * name. A file that cannot be read fails the backup (no snapshot): a backup that silently lacks
 * files is worse than none. Sockets, devices and pipes are skipped with a warning.
 *
 * <p>Unchanged files are not read again, as restic's archiver does it: the parent snapshot is the
 * newest one of the same target and host; a file whose size, mtime, ctime and inode equal its node
 * there takes that node's chunks, provided every chunk is still stored where this backup may
 * reference it. The ctime catches what the others miss (content rewritten with the mtime set back,
 * as {@code touch -d} or {@code rsync -t} do: the kernel sets the ctime to now on any write and on
 * every metadata change, and nobody can set it back). {@link FileBackupOptions#force()} reads every
 * file.
 */
final class FileBackup {
  private final BackupRequest request;
  private final Repository repo;
  private final Progress progress;
  private final List<String> warnings = new ArrayList<>();

  /** Trees of the parent snapshot being read ahead of the walk, by subtree id. */
  private final Map<String, CompletableFuture<Tree>> parentTrees = new ConcurrentHashMap<>();

  private long unchangedFiles;
  private long unchangedBytes;

  /** Bytes of the files read so far and the one being read, for {@link Providers#expect}. */
  private long toRead;

  FileBackup(BackupRequest request) {
    this.request = request;
    this.repo = request.repository();
    this.progress = request.progress();
  }

  BackupResult run() throws IOException {
    FileBackupOptions o = request.options(FileBackupOptions.class);
    Id id =
        o.stdin() != null
            ? backupStream(o.stdin(), o.stdinName())
            : backupPaths(o.paths(), o.force());
    return new BackupResult(repo.readSnapshot(id), warnings);
  }

  private Id backupPaths(List<Path> paths, boolean force) throws IOException {
    List<Path> abs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Path p : paths) {
      Path a = p.toAbsolutePath().normalize();
      if (!Files.exists(a, LinkOption.NOFOLLOW_LINKS)) {
        throw new RoadieException(ErrorCode.USAGE, a + " does not exist");
      }
      if (!names.add(topName(a))) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "two paths are both named '"
                + topName(a)
                + "'; back them up as separate targets or give their parent directory");
      }
      abs.add(a);
    }
    String defaultTarget =
        abs.get(0).toString() + (abs.size() > 1 ? " (+" + (abs.size() - 1) + ")" : "");
    progress.expectedBytes.set(sizeOf(abs));
    try (BackupWriter w = new BackupWriter(repo, progress)) {
      SnapshotRef parent = force ? null : parent(request.targetOr(defaultTarget));
      Map<String, Node> before = parent == null ? Map.of() : children(parent.snapshot().tree());
      List<Node> top = new ArrayList<>();
      for (Path a : abs) {
        Node n = node(w, a, topName(a), before.get(topName(a)));
        if (n != null) top.add(n);
      }
      top.sort(Comparator.comparing(Node::name));
      Id tree = w.writeTree(new Tree(top));
      return w.commit(
          request.draft(
              defaultTarget,
              abs.stream().map(Path::toString).toList(),
              tree,
              parent == null ? null : parent.id(),
              new FileMetadata(unchangedFiles, unchangedBytes)));
    } finally {
      parentTrees.values().forEach(f -> f.cancel(false));
    }
  }

  private static String topName(Path abs) {
    return abs.getFileName() == null ? "root" : FileNames.name(abs);
  }

  private Id backupStream(InputStream in, String name) throws IOException {
    try (BackupWriter w = new BackupWriter(repo, progress)) {
      progress.current = name;
      Content c = w.writeStream(in, ChunkerParams.FILE);
      progress.files.incrementAndGet();
      Node n =
          new Node(
              name,
              Node.STREAM,
              c.size(),
              null,
              null,
              null,
              null,
              null,
              c.chunksHex(),
              c.chunkListsHex(),
              null,
              null);
      Id tree = w.writeTree(new Tree(List.of(n)));
      return w.commit(request.draft(name, List.of("-"), tree, null, null));
    }
  }

  /**
   * The parent snapshot: the newest (by snapshot time) file snapshot of {@code target} written on
   * this backup's host, whose inodes are this machine's. Unreadable snapshots are passed over: a
   * parent only saves reading, it is never needed.
   */
  private SnapshotRef parent(String target) throws IOException {
    SnapshotRef best = null;
    for (SnapshotRef s : repo.snapshots(new ArrayList<>())) {
      if (FileSource.KIND.equals(s.snapshot().kind())
          && target.equals(s.snapshot().target())
          && request.host().equals(s.snapshot().host())
          && s.snapshot().tree() != null) {
        best = s; // oldest first: the last match is the newest
      }
    }
    return best;
  }

  /**
   * The entries of a parent directory by name, empty when its tree cannot be read. The trees of its
   * subdirectories are read ahead, on I/O threads, while this directory is walked.
   */
  private Map<String, Node> children(String subtree) {
    Tree t;
    try {
      CompletableFuture<Tree> ahead = parentTrees.remove(subtree);
      t = ahead != null ? ahead.join() : repo.readTree(Id.parse(subtree));
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
    Map<String, Node> out = new HashMap<>();
    for (Node n : t.nodes()) {
      out.put(n.name(), n);
      if (Node.DIR.equals(n.type()) && n.subtree() != null) {
        parentTrees.computeIfAbsent(
            n.subtree(),
            id ->
                CompletableFuture.supplyAsync(
                    () -> {
                      try {
                        return repo.readTree(Id.parse(id));
                      } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                    },
                    repo.io()));
      }
    }
    return out;
  }

  /** What one stat of an entry says. */
  private record Attrs(
      BasicFileAttributes basic,
      Integer mode,
      Integer uid,
      Integer gid,
      String ctime,
      Long inode) {}

  private static Attrs attrs(Path p) throws IOException {
    BasicFileAttributes basic;
    try {
      basic = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, p + " disappeared during the backup; run it again");
    }
    Map<String, Object> unix;
    try {
      unix = Files.readAttributes(p, "unix:mode,uid,gid,ctime,ino", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // Not a Unix file system: mode and owner come from the POSIX view if there is one; without a
      // ctime and inode every file is read.
      try {
        PosixFileAttributes px =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return new Attrs(basic, Node.modeOf(px.permissions()), null, null, null, null);
      } catch (UnsupportedOperationException | IllegalArgumentException e2) {
        return new Attrs(basic, null, null, null, null, null);
      }
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, p + " disappeared during the backup; run it again");
    }
    return new Attrs(
        basic,
        (Integer) unix.get("mode") & 0777,
        (Integer) unix.get("uid"),
        (Integer) unix.get("gid"),
        ((FileTime) unix.get("ctime")).toInstant().toString(),
        (Long) unix.get("ino"));
  }

  /**
   * The node of {@code p}; {@code before} is the entry of the same name and place in the parent, or
   * null.
   */
  private Node node(BackupWriter w, Path p, String name, Node before) throws IOException {
    Attrs a = attrs(p);
    String mtime = a.basic().lastModifiedTime().toInstant().toString();
    if (a.basic().isSymbolicLink()) {
      return new Node(
          name,
          Node.SYMLINK,
          null,
          a.mode(),
          mtime,
          a.uid(),
          a.gid(),
          FileNames.linkTarget(Files.readSymbolicLink(p)),
          null,
          null,
          null,
          null);
    }
    if (a.basic().isDirectory()) {
      Map<String, Node> earlier =
          before != null && Node.DIR.equals(before.type()) && before.subtree() != null
              ? children(before.subtree())
              : Map.of();
      List<Node> children = new ArrayList<>();
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        ds.forEach(entries::add);
      } catch (AccessDeniedException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "cannot read directory "
                + p
                + ": permission denied; "
                + "run roadie as a user who can read it, or leave it out");
      } catch (NoSuchFileException e) {
        throw new RoadieException(
            ErrorCode.FAILURE, p + " disappeared during the backup; run it again");
      }
      Map<Path, String> names = new HashMap<>();
      for (Path e : entries) names.put(e, FileNames.name(e));
      entries.sort(Comparator.comparing(names::get));
      for (Path e : entries) {
        String n = names.get(e);
        Node child = node(w, e, n, earlier.get(n));
        if (child != null) children.add(child);
      }
      Id sub = w.writeTree(new Tree(children));
      return new Node(
          name, Node.DIR, null, a.mode(), mtime, a.uid(), a.gid(), null, null, null, sub.hex(),
          null);
    }
    if (!a.basic().isRegularFile()) {
      warnings.add("skipped " + p + ": not a regular file, directory or symlink");
      return null;
    }
    progress.current = p.toString();
    Content c = unchanged(before, a, mtime) ? w.reuseContent(before) : null;
    if (c != null) {
      unchangedFiles++;
      unchangedBytes += c.size();
      progress.expectedBytes.addAndGet(-c.size());
    } else {
      // The native AES-GCM costs about as much CPU to load as an unchanged tree's whole backup:
      // it loads once the files to read add up to enough to earn it back, not at the start.
      toRead += a.basic().size();
      Providers.expect(toRead);
      try (InputStream in = Files.newInputStream(p)) {
        c = w.writeStream(in, ChunkerParams.FILE);
      } catch (AccessDeniedException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "cannot read "
                + p
                + ": permission denied; "
                + "run roadie as a user who can read it, or leave it out");
      }
    }
    progress.files.incrementAndGet();
    return new Node(
        name,
        Node.FILE,
        c.size(),
        a.mode(),
        mtime,
        a.uid(),
        a.gid(),
        null,
        c.chunksHex(),
        c.chunkListsHex(),
        null,
        null,
        a.ctime(),
        a.inode());
  }

  /** Whether the parent's node is this file as it was: same size, mtime, ctime and inode. */
  private static boolean unchanged(Node before, Attrs a, String mtime) {
    return before != null
        && Node.FILE.equals(before.type())
        && a.ctime() != null
        && a.inode() != null
        && Objects.equals(before.size(), a.basic().size())
        && mtime.equals(before.mtime())
        && a.ctime().equals(before.ctime())
        && a.inode().equals(before.inode());
  }

  private long sizeOf(List<Path> paths) {
    long[] total = {0};
    for (Path p : paths) {
      try {
        Files.walkFileTree(
            p,
            new java.nio.file.SimpleFileVisitor<>() {
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
