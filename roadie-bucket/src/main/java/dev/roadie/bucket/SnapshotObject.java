package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Content;
import dev.roadie.core.snapshot.Node;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One object (or version, or delete marker) as a bucket snapshot records it, and its tree node
 * (docs/repository-format.md, "Bucket snapshots"): a {@code file} node named by the key relative to
 * the backed-up prefix, {@code size}, {@code mtime} = Last-Modified, the content's chunks, and
 * {@code meta} with the ETag, roadie's SHA-256, the version, the headers, user metadata and tags; a
 * delete marker is a {@code delete-marker} node without content.
 *
 * @param name the key relative to the backed-up prefix
 * @param partSize the first part's length of an object uploaded in parts (to write it again with
 *     the same ETag), else null
 * @param partSizes every part's length, in order, when the parts are not all as long as the first
 *     (but the last, which is no longer), else null
 */
public record SnapshotObject(
    String name,
    boolean deleteMarker,
    long size,
    String etag,
    Instant lastModified,
    String versionId,
    boolean latest,
    String sha256,
    ObjectHeaders headers,
    Map<String, String> tags,
    Long partSize,
    List<Long> partSizes) {

  /** The node type of a delete marker. */
  public static final String DELETE_MARKER = "delete-marker";

  public SnapshotObject {
    headers = headers == null ? ObjectHeaders.NONE : headers;
    tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
    partSizes = partSizes == null ? null : List.copyOf(partSizes);
  }

  /**
   * Whether this is the object a plain listing shows now: the current version, not a delete marker.
   */
  public boolean current() {
    return latest && !deleteMarker;
  }

  /** The object as messages name it. */
  public String describe() {
    return "'" + name + "'" + (versionId != null ? " (version " + versionId + ")" : "");
  }

  /** The node recording this object, with {@code content} (null for a delete marker). */
  public Node toNode(Content content) {
    Map<String, Object> meta = meta();
    String mtime = lastModified.toString();
    if (deleteMarker) {
      return new Node(
          name, DELETE_MARKER, null, null, mtime, null, null, null, null, null, null, meta);
    }
    return new Node(
        name,
        Node.FILE,
        size,
        null,
        mtime,
        null,
        null,
        null,
        content.chunksHex(),
        content.chunkListsHex(),
        null,
        meta);
  }

  /**
   * The node's {@code meta}: ETag, SHA-256, version, headers, part sizes, user metadata and tags
   * (absent ones left out).
   */
  public Map<String, Object> meta() {
    Map<String, Object> meta = new LinkedHashMap<>();
    put(meta, "etag", etag);
    put(meta, "sha256", sha256);
    put(meta, "versionId", versionId);
    if (versionId != null) meta.put("latest", latest);
    put(meta, "contentType", headers.contentType());
    put(meta, "cacheControl", headers.cacheControl());
    put(meta, "contentDisposition", headers.contentDisposition());
    put(meta, "contentEncoding", headers.contentEncoding());
    put(meta, "contentLanguage", headers.contentLanguage());
    put(meta, "expires", headers.expires());
    put(meta, "storageClass", headers.storageClass());
    put(meta, "websiteRedirect", headers.websiteRedirect());
    put(meta, "partSize", partSize);
    put(meta, "partSizes", partSizes);
    if (!headers.metadata().isEmpty()) meta.put("metadata", headers.metadata());
    if (!tags.isEmpty()) meta.put("tags", tags);
    return meta;
  }

  /**
   * This object with {@code latest} set as given (a version's place changes when a newer one is
   * written).
   */
  public SnapshotObject withLatest(boolean latest) {
    return with(latest, tags);
  }

  /** This object with {@code tags} (a change of tags alone changes neither ETag nor time). */
  public SnapshotObject withTags(Map<String, String> tags) {
    return with(latest, tags);
  }

  private SnapshotObject with(boolean latest, Map<String, String> tags) {
    return new SnapshotObject(
        name,
        deleteMarker,
        size,
        etag,
        lastModified,
        versionId,
        latest,
        sha256,
        headers,
        tags,
        partSize,
        partSizes);
  }

  private static void put(Map<String, Object> meta, String key, Object value) {
    if (value != null) meta.put(key, value);
  }

  /** The object a node of a bucket snapshot records; a node of another shape is damage. */
  public static SnapshotObject of(Node n) {
    boolean marker = DELETE_MARKER.equals(n.type());
    if (!marker && !Node.FILE.equals(n.type())) {
      throw bad(n, "is a " + n.type() + " node, not an object");
    }
    Map<String, Object> m = n.meta() == null ? Map.of() : n.meta();
    Instant modified;
    try {
      // As Instant.parse, faster: a backup reads one per object of its parent.
      modified = Times.iso8601(n.mtime());
    } catch (RuntimeException e) {
      throw bad(n, "has no valid last-modified time");
    }
    if (!marker && (n.size() == null || n.size() < 0)) throw bad(n, "has no size");
    ObjectHeaders headers =
        new ObjectHeaders(
            str(m, "contentType"),
            str(m, "cacheControl"),
            str(m, "contentDisposition"),
            str(m, "contentEncoding"),
            str(m, "contentLanguage"),
            str(m, "expires"),
            str(m, "storageClass"),
            str(m, "websiteRedirect"),
            strings(n, m, "metadata"));
    Object part = m.get("partSize");
    Long partSize = part instanceof Number p ? p.longValue() : null;
    List<Long> partSizes = longs(m.get("partSizes"));
    return new SnapshotObject(
        n.name(),
        marker,
        marker ? 0 : n.size(),
        str(m, "etag"),
        modified,
        str(m, "versionId"),
        !Boolean.FALSE.equals(m.get("latest")),
        str(m, "sha256"),
        headers,
        strings(n, m, "tags"),
        partSize,
        partSizes);
  }

  /** A list of whole numbers, or null when {@code v} is none (absent or malformed: not needed). */
  private static List<Long> longs(Object v) {
    if (!(v instanceof List<?> list) || list.isEmpty()) return null;
    List<Long> out = new ArrayList<>(list.size());
    for (Object x : list) {
      if (!(x instanceof Number number)) return null;
      out.add(number.longValue());
    }
    return out;
  }

  private static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : v.toString();
  }

  private static Map<String, String> strings(Node n, Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) return Map.of();
    if (!(v instanceof Map<?, ?> map)) throw bad(n, "has a malformed " + key);
    Map<String, String> out = new TreeMap<>();
    map.forEach((k, x) -> out.put(String.valueOf(k), String.valueOf(x)));
    return out;
  }

  private static RoadieException bad(Node n, String what) {
    return new RoadieException(
        ErrorCode.INTEGRITY, "bucket snapshot entry '" + n.name() + "' " + what);
  }
}
