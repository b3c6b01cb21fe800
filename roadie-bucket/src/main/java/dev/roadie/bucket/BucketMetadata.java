package dev.roadie.bucket;

import dev.roadie.core.source.SourceMetadata;
import java.util.List;

/**
 * The {@code source} object of a {@code bucket} snapshot.
 *
 * @param location the bucket location backed up, as {@code
 *     s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]} or {@code s3://BUCKET[/PREFIX]} on AWS (never
 *     credentials)
 * @param bucket the bucket
 * @param prefix the key prefix ("" or ending with '/'); object names in the snapshot are relative
 *     to it
 * @param allVersions whether every version and delete marker was backed up
 * @param objects the current objects (without versions: every object)
 * @param bytes their total size
 * @param versions object versions recorded, the current ones included (without versions: {@code
 *     objects})
 * @param deleteMarkers delete markers recorded (0 without versions)
 * @param unchangedObjects entries taken from the parent snapshot without reading them (same key,
 *     version, size, ETag and last-modified time)
 * @param unchangedBytes their size
 * @param skippedCount entries the backup could not capture; the snapshot is incomplete when above 0
 * @param skipped the first {@value BucketBackup#SKIPPED_RECORDED} of them, with why
 */
public record BucketMetadata(
    String location,
    String bucket,
    String prefix,
    Boolean allVersions,
    Long objects,
    Long bytes,
    Long versions,
    Long deleteMarkers,
    Long unchangedObjects,
    Long unchangedBytes,
    Long skippedCount,
    List<Skipped> skipped)
    implements SourceMetadata {

  /** An object the backup could not capture: it changed or disappeared while it was read. */
  public record Skipped(String key, String versionId, String reason) {
    public String describe() {
      return "'"
          + key
          + "'"
          + (versionId != null ? " (version " + versionId + ")" : "")
          + ": "
          + reason;
    }
  }

  public long skippedOrZero() {
    return skippedCount == null ? 0 : skippedCount;
  }

  public boolean versioned() {
    return Boolean.TRUE.equals(allVersions);
  }
}
