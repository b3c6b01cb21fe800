package dev.roadie.core.snapshot;

import java.util.List;
import java.util.Map;

/**
 * One entry of a {@link Tree}. {@code type} is {@code file}, {@code dir}, {@code symlink} or
 * {@code stream} (a named byte stream from a source: a table's data, an RDB file, stdin). The
 * content of a file or stream is either inline ({@code content}: data blob ids in order) or, for
 * long ones, {@code contentLists}: ids of metadata blobs that each hold up to 8192 data blob ids.
 * A directory's children are the tree {@code subtree}. Ids are 64 hex digits.
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
    Map<String, Object> meta) {

  public static final String FILE = "file";
  public static final String DIR = "dir";
  public static final String SYMLINK = "symlink";
  public static final String STREAM = "stream";

  public boolean hasContent() {
    return FILE.equals(type) || STREAM.equals(type);
  }
}
