package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.DirectFileWriter;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Restores a snapshot's tree (or the part that {@code include} names) into a directory, or one file
 * or stream to an output stream. Every byte is verified against its blob id before it is written. A
 * file is written under a temporary name and renamed when complete, so a failed restore leaves no
 * file with wrong or partial content under a real name.
 */
final class FileRestore {
  private static final int FILES_IN_PARALLEL = 8;
  private final Repository repo;
  private final Progress progress;

  FileRestore(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /** A node found by path, with the path it was found at. */
  record Found(Node node, String path) {}

  /** Finds the node at {@code path} ("a/b/c") below the root tree; null path means the root. */
  Found find(Id root, String path) throws IOException {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return new Found(
          new Node("", Node.DIR, null, null, null, null, null, null, null, null, root.hex(), null),
          "");
    }
    String[] parts = path.replaceAll("^/+|/+$", "").split("/+");
    Tree tree = repo.readTree(root);
    Node cur = null;
    for (int i = 0; i < parts.length; i++) {
      cur = null;
      for (Node n : tree.nodes()) {
        if (n.name().equals(parts[i])) cur = n;
      }
      if (cur == null) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "the snapshot has no '"
                + String.join("/", List.of(parts).subList(0, i + 1))
                + "'; list its top level with 'roadie restore SNAPSHOT --target DIR' or check the path");
      }
      if (i < parts.length - 1) {
        if (cur.subtree() == null) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              "'"
                  + String.join("/", List.of(parts).subList(0, i + 1))
                  + "' is not a directory in the snapshot");
        }
        tree = repo.readTree(Id.parse(cur.subtree()));
      }
    }
    return new Found(cur, String.join("/", parts));
  }

  /** The one file or stream of a tree: for --stdout without --include. */
  Found single(Id root) throws IOException {
    List<Found> found = new ArrayList<>();
    collectFiles(repo.readTree(root), "", found, 2);
    if (found.size() != 1) {
      throw new RoadieException(
          ErrorCode.USAGE,
          found.isEmpty()
              ? "the snapshot holds no file or stream to write"
              : "the snapshot holds several files; name one with --include PATH");
    }
    return found.get(0);
  }

  private void collectFiles(Tree tree, String prefix, List<Found> out, int limit)
      throws IOException {
    for (Node n : tree.nodes()) {
      if (out.size() >= limit) return;
      String p = prefix.isEmpty() ? n.name() : prefix + "/" + n.name();
      if (n.hasContent()) out.add(new Found(n, p));
      else if (n.subtree() != null)
        collectFiles(repo.readTree(Id.parse(n.subtree())), p, out, limit);
    }
  }

  void toStream(Found f, OutputStream out) throws IOException {
    if (!f.node().hasContent()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + f.path()
              + "' is a "
              + f.node().type()
              + ", not a file or stream; "
              + "restore it with --target DIR");
    }
    try (ContentReader in = new ContentReader(repo, f.node(), f.path())) {
      byte[] block;
      while ((block = in.nextBlock()) != null) {
        out.write(block);
        progress.bytesRead.addAndGet(block.length);
      }
    }
    out.flush();
    progress.files.incrementAndGet();
  }

  /** An entry of the target directory whose type is in the way of the snapshot's entry there. */
  record Conflict(Path path, String found, String wanted) {
    @Override
    public String toString() {
      return path + " is a " + found + " where the snapshot has a " + wanted;
    }
  }

  /** Conflicts listed in a refusal; beyond this only their number. */
  private static final int LISTED = 10;

  /** Trees read while looking for conflicts, taken (once) by the restore that follows. */
  private final Map<Id, Tree> checked = new HashMap<>();

  /**
   * Restores {@code f} as {@code dir/<name>} (or its children into dir when it is the root). Before
   * anything is written, the entries already in {@code dir} are compared with the snapshot's: a
   * file of the same name is replaced (as documented), but an entry whose type is in the way
   * (anything but a directory where the snapshot has a directory, a directory where it has a file
   * or symlink) refuses the restore with the list of them, unless {@code force}, which removes them
   * first (a directory with everything in it; symlinks are removed, never followed).
   */
  void toDirectory(Found f, Path dir, boolean force) throws IOException {
    checkTarget(dir);
    List<Conflict> conflicts = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      if (f.path().isEmpty()) {
        checkChildren(Id.parse(f.node().subtree()), dir, conflicts);
      } else {
        check(f.node(), FileNames.child(dir, f.node().name()), conflicts);
      }
    }
    if (!conflicts.isEmpty() && !force) {
      StringBuilder b =
          new StringBuilder(
              dir
                  + ": "
                  + conflicts.size()
                  + (conflicts.size() == 1 ? " entry is" : " entries are")
                  + " in the way of the snapshot's; nothing was restored: ");
      for (int i = 0; i < Math.min(LISTED, conflicts.size()); i++) {
        b.append(i == 0 ? "" : "; ").append(conflicts.get(i));
      }
      if (conflicts.size() > LISTED)
        b.append("; and ").append(conflicts.size() - LISTED).append(" more");
      throw new RoadieException(
          ErrorCode.FAILURE,
          b
              + ". Move them away, or restore with --force to replace them "
              + "(a directory in the way is deleted with everything in it)");
    }
    for (Conflict c : conflicts) {
      delete(c.path());
    }
    Files.createDirectories(dir);
    List<Future<?>> files = new ArrayList<>();
    Semaphore slots = new Semaphore(FILES_IN_PARALLEL);
    try {
      if (f.path().isEmpty()) {
        restoreChildren(Id.parse(f.node().subtree()), dir, files, slots);
      } else {
        restoreNode(f.node(), FileNames.child(dir, f.node().name()), files, slots);
      }
      for (Future<?> fu : files) {
        fu.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      for (Future<?> fu : files) fu.cancel(true);
      Throwable c = e.getCause();
      if (c instanceof RoadieException r) throw r;
      if (c instanceof IOException io) throw io;
      throw new IOException(c);
    }
  }

  /**
   * The target (or the first of its ancestors that exists) must be a directory, or a symlink to
   * one.
   */
  private static void checkTarget(Path dir) {
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "cannot restore into "
                  + dir
                  + ": "
                  + (p.equals(dir.toAbsolutePath()) ? "it is" : p + " is")
                  + " a file, not a directory; name a directory (it is created if missing)");
        }
        return;
      }
      if (Files.isSymbolicLink(p)) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "cannot restore into "
                + dir
                + ": "
                + p
                + " is a symlink to "
                + "nothing; name a directory (it is created if missing)");
      }
    }
  }

  private static String typeOf(BasicFileAttributes a) {
    return a.isSymbolicLink()
        ? "symlink"
        : a.isDirectory() ? "directory" : a.isRegularFile() ? "file" : "special file";
  }

  private static String typeOf(Node n) {
    return Node.DIR.equals(n.type())
        ? "directory"
        : Node.SYMLINK.equals(n.type()) ? "symlink" : "file";
  }

  /**
   * Adds the entries in the way of {@code n} at {@code p}, and below it where both are directories.
   */
  private void check(Node n, Path p, List<Conflict> out) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return; // nothing there: nothing below it can be in the way either
    }
    boolean dirThere = a.isDirectory();
    boolean dirWanted = Node.DIR.equals(n.type());
    if (dirWanted != dirThere) {
      out.add(new Conflict(p, typeOf(a), typeOf(n)));
    } else if (dirWanted) {
      checkChildren(Id.parse(n.subtree()), p, out);
    }
  }

  private void checkChildren(Id treeId, Path dir, List<Conflict> out) throws IOException {
    Tree t = repo.readTree(treeId);
    checked.put(treeId, t);
    for (Node n : t.nodes()) {
      safeName(treeId, n);
      check(n, FileNames.child(dir, n.name()), out);
    }
  }

  private static void safeName(Id treeId, Node n) {
    if (n.name().isEmpty()
        || n.name().equals(".")
        || n.name().equals("..")
        || n.name().contains("/")) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "tree "
              + treeId.shortHex()
              + " has an unsafe entry name '"
              + FileNames.printable(n.name())
              + "'; refusing to write outside the target");
    }
  }

  /** Deletes {@code root} and everything below it; symlinks are removed, never followed. */
  private static void delete(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Files.delete(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) throw e;
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private void restoreChildren(Id treeId, Path dir, List<Future<?>> files, Semaphore slots)
      throws IOException, InterruptedException {
    Tree t = checked.remove(treeId);
    for (Node n : (t != null ? t : repo.readTree(treeId)).nodes()) {
      safeName(treeId, n);
      restoreNode(n, FileNames.child(dir, n.name()), files, slots);
    }
  }

  private void restoreNode(Node n, Path p, List<Future<?>> files, Semaphore slots)
      throws IOException, InterruptedException {
    switch (n.type()) {
      case Node.DIR -> {
        Files.createDirectories(p);
        restoreChildren(Id.parse(n.subtree()), p, files, slots);
        // Directory metadata is applied after its files, else writing them would change its mtime.
        List<Future<?>> mine = List.copyOf(files);
        files.add(
            repo.io()
                .submit(
                    () -> {
                      for (Future<?> f : mine) f.get();
                      applyMetadata(n, p);
                      return null;
                    }));
      }
      case Node.SYMLINK -> {
        Files.deleteIfExists(p);
        Files.createSymbolicLink(p, FileNames.linkPath(n.linkTarget()));
      }
      case Node.FILE, Node.STREAM -> {
        slots.acquire();
        files.add(
            repo.io()
                .submit(
                    () -> {
                      try {
                        restoreFile(n, p);
                      } finally {
                        slots.release();
                      }
                      return null;
                    }));
      }
      default ->
          throw new RoadieException(
              ErrorCode.INTEGRITY, "unknown node type '" + n.type() + "' for " + p);
    }
  }

  private void restoreFile(Node n, Path p) throws IOException {
    Path temp = p.resolveSibling(".roadie-restore-" + UUID.randomUUID());
    try {
      // Large files bypass the page cache (DirectFileWriter): much less kernel CPU per GiB.
      try (ContentReader in = new ContentReader(repo, n, p.toString());
          DirectFileWriter out = DirectFileWriter.create(temp, n.size() == null ? 0 : n.size())) {
        byte[] block;
        while ((block = in.nextBlock()) != null) {
          out.write(block, 0, block.length);
          progress.bytesRead.addAndGet(block.length);
        }
        out.finish(false);
      }
      applyMetadata(n, temp);
      try {
        Files.move(temp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, p, StandardCopyOption.REPLACE_EXISTING);
      }
      progress.files.incrementAndGet();
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void applyMetadata(Node n, Path p) throws IOException {
    if (n.mode() != null) {
      try {
        Files.setPosixFilePermissions(p, Node.permsOf(n.mode()));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
    }
    if (n.uid() != null && n.gid() != null && "root".equals(System.getProperty("user.name"))) {
      try {
        Files.setAttribute(p, "unix:uid", n.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", n.gid(), LinkOption.NOFOLLOW_LINKS);
      } catch (UnsupportedOperationException | IOException e) {
        // ownership is best effort, as with tar
      }
    }
    if (n.mtime() != null) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.parse(n.mtime())));
    }
  }
}
