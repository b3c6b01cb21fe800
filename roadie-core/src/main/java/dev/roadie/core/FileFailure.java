package dev.roadie.core;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * A failed file-system operation, told as a person needs it: what failed, why, and what to do.
 *
 * <p>java.nio reports the commonest failures (permission denied, no such file) as exceptions whose
 * message is only the path, and others ({@code No space left on device} from a write) with no path
 * at all. {@link #of} wraps such an exception with the operation and its object; {@link #describe}
 * renders any of them fully. A permission failure names the directory or file that stops the
 * current user and how to give access; a read-only or full file system says so.
 */
public final class FileFailure extends IOException {
  private FileFailure(String message, IOException cause) {
    super(message, cause);
  }

  /**
   * Wraps {@code e}, thrown while trying to {@code action} (e.g. "write leases/3fa2…"), in a
   * message prefixed with {@code context} (e.g. the repository's location). {@code accessRoot},
   * when not null, is the tree a permission failure is fixed on as a whole (a repository); else the
   * advice names just the file or directory that refused access.
   */
  public static IOException of(String context, String action, IOException e, Path accessRoot) {
    if (e instanceof FileFailure) return e;
    Path file =
        e instanceof FileSystemException fs && fs.getFile() != null ? Path.of(fs.getFile()) : null;
    StringBuilder b = new StringBuilder();
    if (context != null) b.append(context).append(": ");
    b.append("cannot ").append(action).append(": ").append(reason(e));
    if (e instanceof AccessDeniedException) {
      Blocker who = blocker(file, writing(action));
      if (who != null) b.append(": ").append(who);
      b.append("; ").append(accessRoot != null ? accessAdvice(accessRoot) : accessAdvice(who));
    } else {
      String hint = hint(e, file != null ? file : accessRoot);
      if (file != null && !isTemporary(file)) b.append(" (").append(file).append(')');
      if (hint != null) b.append("; ").append(hint);
    }
    return new FileFailure(b.toString(), e);
  }

  /**
   * The whole story of a file-system exception that reached the top unexplained: its file (and
   * other file), why it failed, and for common causes what to do. Other I/O exceptions: their
   * message.
   */
  public static String describe(IOException e) {
    if (e instanceof FileFailure || !(e instanceof FileSystemException fs)) {
      String m = e.getMessage();
      return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
    StringBuilder b = new StringBuilder();
    if (fs.getFile() != null) b.append(fs.getFile());
    if (fs.getOtherFile() != null) b.append(" -> ").append(fs.getOtherFile());
    b.append(b.isEmpty() ? "" : ": ").append(reason(e));
    Path file = fs.getFile() != null ? Path.of(fs.getFile()) : null;
    if (e instanceof AccessDeniedException) {
      // Whether reading or writing was meant is unknown here: a readable file was being written.
      Blocker who = blocker(file, file != null && Files.isReadable(file));
      if (who != null) b.append(": ").append(who);
      b.append("; ").append(accessAdvice(who));
    } else {
      String hint = hint(e, file);
      if (hint != null) b.append("; ").append(hint);
    }
    return b.toString();
  }

  /** Why it failed, in the words of strerror(3), lower case. */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NoSuchFileException) return "no such file or directory";
    if (e instanceof FileAlreadyExistsException) return "it already exists";
    if (e instanceof NotDirectoryException) return "not a directory";
    if (e instanceof DirectoryNotEmptyException) return "directory not empty";
    if (e instanceof FileSystemLoopException) return "a loop of symbolic links";
    String r = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
    if (r == null || r.isBlank()) return e.getClass().getSimpleName();
    return r.length() > 1
            && Character.isUpperCase(r.charAt(0))
            && Character.isLowerCase(r.charAt(1))
        ? Character.toLowerCase(r.charAt(0)) + r.substring(1)
        : r;
  }

  /** What to do about a failure other than permission denied, when there is a usual answer. */
  private static String hint(IOException e, Path where) {
    String r = reason(e).toLowerCase(Locale.ROOT);
    String dir = where == null ? "it" : where.toString();
    if (r.contains("read-only file system")) {
      return "the file system holding "
          + dir
          + " is mounted read-only: remount it read-write, or use another location";
    }
    if (r.contains("no space left") || r.contains("quota exceeded")) {
      return "free space there (df -h "
          + (where == null ? "DIR" : existing(where))
          + ") or use a larger disk";
    }
    if (e instanceof NotDirectoryException || r.equals("not a directory")) {
      Path file = where == null ? null : firstNonDirectory(where);
      return file != null
          ? file + " is a file, where a directory is expected: check the path"
          : "check the path";
    }
    return null;
  }

  private static boolean writing(String action) {
    return !action.startsWith("read") && !action.startsWith("list") && !action.startsWith("open");
  }

  private static boolean isTemporary(Path file) {
    return file.getFileName() != null && file.getFileName().toString().startsWith(".tmp-");
  }

  /**
   * What stops the current user: it may not {@code cannot} {@code path} and needs {@code needs} on
   * it.
   */
  record Blocker(Path path, String cannot, String needs) {
    @Override
    public String toString() {
      return "user " + user() + " may not " + cannot + " " + path + attributes(path);
    }
  }

  /**
   * Which directory or file refuses the current user: the first directory on the way that it may
   * not enter, else the file it may not read or write, else the directory it may not create files
   * in. Null when nothing explains it (root, ACLs, a FUSE file system).
   */
  static Blocker blocker(Path file, boolean write) {
    if (file == null) return null;
    Path abs = file.toAbsolutePath().normalize();
    Path cur = abs.getRoot();
    Path parent = abs.getParent();
    if (parent != null) {
      for (Path part : abs.getRoot().relativize(parent)) {
        if (part.toString().isEmpty()) break;
        cur = cur.resolve(part);
        if (Files.isDirectory(cur) && !Files.isExecutable(cur))
          return new Blocker(cur, "enter", "X");
      }
    }
    if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
      if (write && !Files.isWritable(abs)) return new Blocker(abs, "write", "rw");
      if (!write && !Files.isReadable(abs)) return new Blocker(abs, "read", "r");
      if (Files.isDirectory(abs) && !Files.isExecutable(abs)) return new Blocker(abs, "enter", "X");
    } else if (parent != null && Files.isDirectory(parent) && !Files.isWritable(parent)) {
      return new Blocker(parent, "create files in", "rwx");
    }
    return null;
  }

  /** How to give the current user access to a whole tree (a repository) that others use too. */
  private static String accessAdvice(Path root) {
    String user = user();
    return "give user "
        + user
        + " access to "
        + root
        + ": chown -R "
        + user
        + " "
        + root
        + " (or, keeping the owner, "
        + "setfacl -R -m u:"
        + user
        + ":rwX -m d:u:"
        + user
        + ":rwX "
        + root
        + ")";
  }

  /** How to give the current user access to the one file or directory that stops it. */
  private static String accessAdvice(Blocker b) {
    String user = user();
    if (b == null) return "check the permissions (and ACLs) of the path for user " + user;
    return "give user "
        + user
        + " access (setfacl -m u:"
        + user
        + ":"
        + b.needs()
        + " "
        + b.path()
        + ", or chown/chmod), or run roadie as a user that has it";
  }

  private static String attributes(Path p) {
    try {
      PosixFileAttributes a =
          Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return " (owned by "
          + a.owner().getName()
          + ":"
          + a.group().getName()
          + ", mode "
          + PosixFilePermissions.toString(a.permissions())
          + ")";
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return "";
    }
  }

  /** The nearest existing ancestor (for df). */
  private static Path existing(Path p) {
    Path cur = p.toAbsolutePath().normalize();
    while (cur.getParent() != null && !Files.exists(cur)) cur = cur.getParent();
    return cur;
  }

  /** The first component of a path that exists and is not a directory, if any but the last. */
  private static Path firstNonDirectory(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    Path cur = abs.getRoot();
    for (Path part : abs.getRoot().relativize(abs)) {
      cur = cur.resolve(part);
      if (cur.equals(abs)) break;
      if (Files.exists(cur) && !Files.isDirectory(cur)) return cur;
    }
    return null;
  }

  private static String user() {
    return System.getProperty("user.name", "?");
  }
}
