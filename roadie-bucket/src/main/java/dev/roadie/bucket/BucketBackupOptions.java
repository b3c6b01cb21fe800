package dev.roadie.bucket;

import dev.roadie.core.source.BackupRequest;

/**
 * What a {@code bucket} backup reads.
 *
 * @param location the bucket and prefix, with how to reach them
 * @param allVersions every version and delete marker (ListObjectVersions), not only the current
 *     objects
 * @param force read every object, also those the parent snapshot shows unchanged
 * @param prepared the bucket already opened and being listed ({@link PreparedBucket}), or null
 */
public record BucketBackupOptions(
    BucketLocation location, boolean allVersions, boolean force, PreparedBucket prepared)
    implements BackupRequest.Options {
  public BucketBackupOptions {
    if (location == null) throw new IllegalArgumentException("a bucket backup needs a location");
    if (prepared != null && !prepared.matches(location, allVersions)) {
      throw new IllegalArgumentException("the prepared bucket is another location or mode");
    }
  }

  public BucketBackupOptions(BucketLocation location, boolean allVersions, boolean force) {
    this(location, allVersions, force, null);
  }
}
