package dev.roadie.core.backend;

import dev.roadie.core.FileFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A repository in a local directory. Writes go to a temporary file in the target directory, are
 * fsynced, renamed into place and the directory fsynced: a crash leaves either no object or the
 * whole object under its real name, and at most a stray {@code .tmp-*} file that listings skip.
 *
 * <p>Large objects (packs) are written with direct I/O ({@code O_DIRECT}) where the file system
 * allows it: copying them into the page cache and flushing it costs kernel CPU that the backup
 * needs, and a backup's packs are not read again soon, so caching them only evicts data that other
 * programs use (docs/decisions/0006-direct-io-for-large-writes.md). Where direct I/O is refused
 * (tmpfs, some network file systems), writes fall back to the page cache for good.
 *
 * <p>File-system failures are thrown as {@link FileFailure}s that name the repository, the object
 * and the reason, and for a permission failure the directory that refused and how to give the user
 * access: one local repository is often written by several users (backups by root, archive_command
 * by postgres).
 */
public final class LocalBackend implements Backend {
  private static final String TEMP_PREFIX = ".tmp-";
  private final Path root;

  public LocalBackend(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public String location() {
    return root.toString();
  }

  private Path pathOf(ObjectName name) {
    return root.resolve(name.path());
  }

  /** The failure of {@code action} on this repository, explained. */
  private IOException failure(String action, IOException e) {
    return FileFailure.of("repository " + location(), action, e, root);
  }

  @Override
  public void write(ObjectName name, ByteBuffer data, boolean exclusive) throws IOException {
    try {
      writeFile(name, data, exclusive);
    } catch (ObjectExistsException e) {
      throw e;
    } catch (IOException e) {
      throw failure("write " + name.path(), e);
    }
  }

  private void writeFile(ObjectName name, ByteBuffer data, boolean exclusive) throws IOException {
    Path target = pathOf(name);
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) createDirectories(dir);
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      try (DirectFileWriter w = DirectFileWriter.create(temp, data.remaining())) {
        w.write(data.duplicate());
        w.finish(true);
      }
      if (exclusive) {
        // A hard link fails when the target exists, which makes the create-new check atomic.
        try {
          Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
          throw new ObjectExistsException(name, location());
        } catch (UnsupportedOperationException e) {
          if (Files.exists(target)) {
            throw new ObjectExistsException(name, location());
          }
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
      } else {
        try {
          Files.move(
              temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      fsyncDirectory(dir);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // The failure that brought us here (a read-only file system refuses even this) is the one
        // to report; a stray temporary file is skipped by listings.
      }
    }
  }

  /**
   * Creates the missing directories up to {@code dir}, each given the owner and group of the
   * repository's root. Several users write into one local repository (a backup run by root or a
   * backup user, archive_command run by postgres): a directory created by one of them with the
   * default mode would shut the others out of it (a side object's group directory, first created by
   * a backup, then written by a command the database server runs). Only a process allowed to change
   * owners (root) changes anything; for others the attempt fails quietly and nothing changes.
   */
  private void createDirectories(Path dir) throws IOException {
    Path cur = root;
    for (Path part : root.relativize(dir)) {
      cur = cur.resolve(part);
      if (Files.isDirectory(cur)) continue;
      try {
        Files.createDirectories(cur);
      } catch (FileAlreadyExistsException e) {
        continue;
      }
      try {
        PosixFileAttributes rootAttrs = Files.readAttributes(root, PosixFileAttributes.class);
        PosixFileAttributeView view = Files.getFileAttributeView(cur, PosixFileAttributeView.class);
        if (!view.readAttributes().owner().equals(rootAttrs.owner()))
          view.setOwner(rootAttrs.owner());
        if (!view.readAttributes().group().equals(rootAttrs.group()))
          view.setGroup(rootAttrs.group());
      } catch (IOException | UnsupportedOperationException | SecurityException e) {
        // Not root, or not a POSIX file system: the directory keeps the creator's owner.
      }
    }
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory for fsync; the rename is then as durable as they
      // allow.
    }
  }

  @Override
  public byte[] read(ObjectName name) throws IOException {
    try {
      return Files.readAllBytes(pathOf(name));
    } catch (NoSuchFileException e) {
      throw new NoSuchObjectException(name, location());
    } catch (IOException e) {
      throw failure("read " + name.path(), e);
    }
  }

  @Override
  public byte[] readRange(ObjectName name, long offset, int length) throws IOException {
    byte[] out = new byte[length];
    long pos = offset;
    try (FileChannel ch = FileChannel.open(pathOf(name), StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.wrap(out);
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) break;
        pos += n;
      }
    } catch (NoSuchFileException e) {
      throw new NoSuchObjectException(name, location());
    } catch (IOException e) {
      throw failure("read " + name.path(), e);
    }
    if (pos < offset + length) {
      throw new IOException(
          location()
              + ": object "
              + name.path()
              + " is shorter than "
              + (offset + length)
              + " bytes (read past its end at "
              + pos
              + ")");
    }
    return out;
  }

  @Override
  public long size(ObjectName name) throws IOException {
    try {
      return Files.size(pathOf(name));
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      throw failure("read " + name.path(), e);
    }
  }

  @Override
  public List<ObjectInfo> list(ObjectKind kind) throws IOException {
    List<ObjectInfo> out = new ArrayList<>();
    if (kind == ObjectKind.CONFIG) {
      long size = size(ObjectName.CONFIG);
      if (size >= 0) {
        try {
          out.add(
              new ObjectInfo(
                  ObjectName.CONFIG,
                  size,
                  Files.getLastModifiedTime(pathOf(ObjectName.CONFIG)).toInstant()));
        } catch (IOException e) {
          throw failure("read config", e);
        }
      }
      return out;
    }
    if (kind == ObjectKind.SIDE) {
      // Every area: the root's directories that are not one of the repository's own.
      List<Path> areas = new ArrayList<>();
      try (Stream<Path> dirs = Files.list(root)) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          String area = d.getFileName().toString();
          if (Files.isDirectory(d)
              && AREA.matcher(area).matches()
              && !ObjectName.isKindDirectory(area)) areas.add(d);
        }
      } catch (NoSuchFileException e) {
        return out;
      } catch (IOException e) {
        throw failure("list the repository's directories", e);
      }
      for (Path d : areas) out.addAll(listUnder(kind, d, 2));
      return out;
    }
    return listUnder(kind, root.resolve(kind.directory()), kind == ObjectKind.PACK ? 2 : 1);
  }

  private static final java.util.regex.Pattern AREA =
      java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,31}");
  private static final java.util.regex.Pattern GROUP =
      java.util.regex.Pattern.compile("[0-9A-Za-z][0-9A-Za-z._-]{0,127}");

  /**
   * Side objects are listed from their area's directory, or their group's when the prefix names
   * one.
   */
  @Override
  public List<ObjectInfo> list(ObjectKind kind, String idPrefix) throws IOException {
    String[] parts = idPrefix.split("/", -1);
    if (kind != ObjectKind.SIDE
        || parts.length < 2
        || !AREA.matcher(parts[0]).matches()
        || ObjectName.isKindDirectory(parts[0])) {
      return Backend.super.list(kind, idPrefix);
    }
    Path area = root.resolve(parts[0]);
    boolean oneGroup = parts.length >= 3 && GROUP.matcher(parts[1]).matches();
    List<ObjectInfo> out = new ArrayList<>();
    for (ObjectInfo i :
        oneGroup ? listUnder(kind, area.resolve(parts[1]), 1) : listUnder(kind, area, 2)) {
      if (i.name().id().startsWith(idPrefix)) out.add(i);
    }
    return out;
  }

  private List<ObjectInfo> listUnder(ObjectKind kind, Path dir, int depth) throws IOException {
    try {
      return walk(kind, dir, depth);
    } catch (UncheckedIOException e) {
      throw failure("list " + root.relativize(dir), e.getCause());
    } catch (IOException e) {
      throw failure("list " + root.relativize(dir), e);
    }
  }

  private List<ObjectInfo> walk(ObjectKind kind, Path dir, int depth) throws IOException {
    List<ObjectInfo> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(dir, depth)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String file = p.getFileName().toString();
        if (file.startsWith(TEMP_PREFIX) || p.equals(dir)) {
          continue;
        }
        BasicFileAttributes attrs;
        try {
          attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
          continue; // deleted while listing
        }
        if (!attrs.isRegularFile()) {
          continue;
        }
        ObjectName name;
        try {
          name = ObjectName.of(kind, kind == ObjectKind.SIDE ? sideId(p) : file);
        } catch (IllegalArgumentException e) {
          continue; // not one of ours
        }
        out.add(new ObjectInfo(name, attrs.size(), attrs.lastModifiedTime().toInstant()));
      }
    }
    return out;
  }

  /**
   * A side object's id from its path: area/group/name below the root (anything else is not one).
   */
  private String sideId(Path p) {
    Path rel = root.relativize(p);
    if (rel.getNameCount() != 3) return "";
    return rel.getName(0) + "/" + rel.getName(1) + "/" + rel.getName(2);
  }

  @Override
  public void delete(ObjectName name) throws IOException {
    try {
      Files.deleteIfExists(pathOf(name));
    } catch (IOException e) {
      throw failure("delete " + name.path(), e);
    }
  }
}
