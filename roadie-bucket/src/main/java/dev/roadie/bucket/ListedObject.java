package dev.roadie.bucket;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a bucket listing: an object, or with versions one version or delete marker.
 *
 * @param key the full key
 * @param size bytes; 0 for a delete marker
 * @param etag the ETag without quotes; null for a delete marker
 * @param lastModified as the listing gives it (to the millisecond on AWS and MinIO)
 * @param storageClass null for STANDARD
 * @param versionId null when listed without versions; "null" for the version written while
 *     versioning was off or suspended
 * @param latest whether this is the current version (always true without versions)
 * @param deleteMarker whether this entry is a delete marker
 * @param tags the object's tags where the listing carries them (MinIO's listing with metadata),
 *     else null: not known from the listing
 */
public record ListedObject(
    String key,
    long size,
    String etag,
    Instant lastModified,
    String storageClass,
    String versionId,
    boolean latest,
    boolean deleteMarker,
    Map<String, String> tags) {

  /** An entry of a listing that does not carry tags. */
  public ListedObject(
      String key,
      long size,
      String etag,
      Instant lastModified,
      String storageClass,
      String versionId,
      boolean latest,
      boolean deleteMarker) {
    this(key, size, etag, lastModified, storageClass, versionId, latest, deleteMarker, null);
  }

  /** {@code etag} without the quotes S3 puts around it. */
  public static String unquote(String etag) {
    if (etag == null) return null;
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }

  /**
   * Whether an ETag is that of a multipart upload ({@code md5-N}), which is no hash of the content.
   */
  public static boolean isMultipartEtag(String etag) {
    return etag != null && etag.contains("-");
  }

  /** The object as messages name it: its key, with the version when there is one. */
  public String describe() {
    return "'" + key + "'" + (versionId != null ? " (version " + versionId + ")" : "");
  }
}
