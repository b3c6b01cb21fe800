package dev.roadie.core.snapshot;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One entry of a {@link Tree}. {@code type} is {@code file}, {@code dir}, {@code symlink} or {@code
 * stream} (a named byte stream from a source: a table's data, an RDB file, stdin). The content of a
 * file or stream is either inline ({@code content}: data blob ids in order) or, for long ones,
 * {@code contentLists}: ids of metadata blobs that each hold up to 8192 data blob ids. A
 * directory's children are the tree {@code subtree}. Ids are 64 hex digits.
 *
 * <p>{@code ctime} (the inode's change time, ISO-8601) and {@code inode} are recorded for files
 * read from a file system: with size and {@code mtime} they tell the next backup of the same target
 * on the same host that a file is unchanged, so its content is taken from this node without reading
 * it (docs/repository-format.md §12). Null for other nodes and in older snapshots.
 */
public record Node(
    String name,
    String type,
    Long size,
    Integer mode,
    String mtime,
    Integer uid,
    Integer gid,
    String linkTarget,
    List<String> content,
    List<String> contentLists,
    String subtree,
    Map<String, Object> meta,
    String ctime,
    Long inode) {

  public static final String FILE = "file";
  public static final String DIR = "dir";
  public static final String SYMLINK = "symlink";
  public static final String STREAM = "stream";

  /** A node without {@code ctime} and {@code inode}: every node but a file system's files. */
  public Node(
      String name,
      String type,
      Long size,
      Integer mode,
      String mtime,
      Integer uid,
      Integer gid,
      String linkTarget,
      List<String> content,
      List<String> contentLists,
      String subtree,
      Map<String, Object> meta) {
    this(
        name,
        type,
        size,
        mode,
        mtime,
        uid,
        gid,
        linkTarget,
        content,
        contentLists,
        subtree,
        meta,
        null,
        null);
  }

  public boolean hasContent() {
    return FILE.equals(type) || STREAM.equals(type);
  }

  /** The Unix mode bits (0777 at most) of {@code perms}, as {@link #mode()} records them. */
  public static int modeOf(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) m |= bit(p);
    return m;
  }

  /** The permissions that Unix mode bits {@code mode} stand for. */
  public static Set<PosixFilePermission> permsOf(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & bit(p)) != 0) s.add(p);
    }
    return s;
  }

  private static int bit(PosixFilePermission p) {
    return switch (p) {
      case OWNER_READ -> 0400;
      case OWNER_WRITE -> 0200;
      case OWNER_EXECUTE -> 0100;
      case GROUP_READ -> 040;
      case GROUP_WRITE -> 020;
      case GROUP_EXECUTE -> 010;
      case OTHERS_READ -> 04;
      case OTHERS_WRITE -> 02;
      case OTHERS_EXECUTE -> 01;
    };
  }
}
