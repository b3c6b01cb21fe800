package dev.roadie.core.browse;

import java.util.Map;

/**
 * One thing a snapshot holds, as listings show it (docs/commands.md, "ls"): a file, directory,
 * stream, table, database, object or object version.
 *
 * @param path where it lies in the snapshot, segments joined by '/' without a leading '/' (a bucket
 *     prefix ends with '/'); exactly as stored, whatever bytes the name has
 * @param type {@code file}, {@code dir}, {@code symlink}, {@code stream}, {@code table}, {@code
 *     database}, {@code object}, {@code delete-marker} or {@code prefix}
 * @param size bytes of content, null where there is none
 * @param mode Unix permission bits, null where the source records none
 * @param mtime modification time (ISO-8601) as the source recorded it, or null
 * @param content an identity of the content: equal for equal bytes stored alike (a hash of the ids
 *     of its chunks, which are keyed hashes of the bytes); for a directory, its tree's id. Null
 *     where there is no content
 * @param version the object version (bucket snapshots with versions), else null
 * @param current false for what a plain listing does not show: an object's older versions and
 *     delete markers
 * @param details what the kind adds: rows of a table, keys of a database, namespace and kind of a
 *     Kubernetes object, an object's ETag and headers, a file's owner
 */
public record Entry(
    String path,
    String type,
    Long size,
    Integer mode,
    String mtime,
    String content,
    String version,
    boolean current,
    Map<String, Object> details) {

  public static final String DIR = "dir";
  public static final String PREFIX = "prefix";

  public Entry {
    details =
        details == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
  }

  /** The last segment of the path (a prefix keeps its trailing '/'). */
  public String name() {
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return path.substring(p.lastIndexOf('/') + 1);
  }

  /**
   * The entry as {@code ls --json} and the dashboard show it (a stable contract, docs/commands.md
   * "ls --json"): these fields in this order, absent ones left out, the mode as 4 octal digits.
   */
  public Map<String, Object> json() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("path", path);
    m.put("name", name());
    m.put("type", type);
    if (size != null) m.put("size", size);
    if (mode != null) m.put("mode", String.format("%04o", mode));
    if (mtime != null) m.put("mtime", mtime);
    if (content != null) m.put("content", content);
    if (version != null) m.put("version", version);
    m.put("current", current);
    m.put("details", details);
    return m;
  }

  /** Whether other entries lie below this one. */
  public boolean container() {
    return DIR.equals(type) || PREFIX.equals(type);
  }
}
