package dev.roadie.s3;

import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;
import dev.roadie.core.backend.BackendSettings;

/**
 * {@code s3://BUCKET/PREFIX} and {@code s3:http(s)://HOST[:PORT]/BUCKET/PREFIX} ({@link
 * S3Location}): an S3-compatible object store, configured by the repository's {@link
 * BackendSettings}.
 */
public final class S3BackendProvider implements BackendProvider {
  @Override
  public boolean handles(String location) {
    return S3Location.isS3(location);
  }

  @Override
  public Backend open(String location, BackendSettings settings) {
    S3Location loc = S3Location.parse(location);
    return new S3Backend(loc, S3Settings.of(loc, settings));
  }
}
