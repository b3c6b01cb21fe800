package dev.roadie.bucket.mirror;

import java.time.Instant;
import java.util.Comparator;
import java.util.Map;

/**
 * One object as a listing shows it.
 *
 * @param key the full key, prefix included
 * @param etag without quotes
 * @param metadata user metadata (lower-case names without {@code x-amz-meta-}) when the listing
 *     carries it (MinIO's listing extension), else null: ask the object itself ({@code HEAD})
 * @param contentType when the listing carries metadata, else null
 * @param tags when the listing carries them, else null
 */
public record ListedObject(String key, long size, String etag, Instant lastModified, Map<String, String> metadata,
    String contentType, Map<String, String> tags) {

  /**
   * The order S3 lists keys in: by their UTF-8 bytes, which is code point order. String's own
   * order (UTF-16 units) differs for characters beyond U+FFFF against U+E000 to U+FFFF, and a merge
   * of two listings in a different order than the server's would see objects as missing.
   */
  public static final Comparator<String> KEY_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) return Integer.compare(ca, cb);
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  /** Whether the listing told this object's metadata (so no {@code HEAD} is needed for it). */
  public boolean hasMetadata() {
    return metadata != null;
  }
}
