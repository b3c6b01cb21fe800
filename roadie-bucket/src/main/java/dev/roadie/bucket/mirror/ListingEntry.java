package dev.roadie.bucket.mirror;

import java.time.Instant;
import java.util.Map;

/**
 * One object as a mirror's listing shows it: what any S3 listing gives, and on MinIO also the
 * object's user metadata, Content-Type and tags (its {@code metadata=true} listing extension).
 *
 * @param key the full key, prefix included
 * @param etag without quotes
 * @param metadata user metadata (lower-case names without {@code x-amz-meta-}) when the listing
 *     carries it, else null: ask the object itself ({@code HEAD})
 * @param contentType when the listing carries metadata, else null
 * @param tags when the listing carries them, else null
 */
record ListingEntry(
    String key,
    long size,
    String etag,
    Instant lastModified,
    Map<String, String> metadata,
    String contentType,
    Map<String, String> tags) {

  /** Whether the listing told this object's metadata (so no {@code HEAD} is needed for it). */
  boolean hasMetadata() {
    return metadata != null;
  }
}
