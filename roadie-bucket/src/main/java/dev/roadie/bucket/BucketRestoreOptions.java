package dev.roadie.bucket;

import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.VerifyRequest;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * How a {@code bucket} snapshot is restored, and which part of it a verification compares.
 *
 * @param settings how to reach a destination bucket (its endpoint when the location names none,
 *     profile, region, CA file); null: the defaults (AWS, the SDK's credentials chain)
 * @param credentials fixed credentials for the destination bucket instead of a profile or the
 *     chain; null: none
 * @param include a glob over object names (keys relative to the backed-up prefix): restore only
 *     what matches ({@link KeyPattern}); null: everything
 * @param deleteExtra delete objects under the destination prefix that the snapshot does not have
 *     (among those {@code include} matches); without it they are left and counted
 * @param storageClass the storage class of every restored object instead of the recorded one (for a
 *     server that does not offer the original's); null: as recorded
 */
public record BucketRestoreOptions(
    BackendSettings settings,
    AwsCredentialsProvider credentials,
    String include,
    boolean deleteExtra,
    String storageClass)
    implements RestoreRequest.Options, VerifyRequest.Options {
  public static final BucketRestoreOptions DEFAULTS =
      new BucketRestoreOptions(null, null, null, false, null);

  public BucketRestoreOptions {
    if (include != null) KeyPattern.compile(include);
  }

  /** The destination bucket location {@code text} with these settings. */
  BucketLocation location(String text) {
    return BucketLocation.parse(text, settings, credentials);
  }

  /** The headers {@code s} is restored with: as recorded, in {@link #storageClass} when given. */
  ObjectHeaders headers(SnapshotObject s) {
    return storageClass == null ? s.headers() : s.headers().withStorageClass(storageClass);
  }

  KeyPattern pattern() {
    return include == null ? KeyPattern.ALL : KeyPattern.compile(include);
  }
}
