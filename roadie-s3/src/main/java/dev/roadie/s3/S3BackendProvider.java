package dev.roadie.s3;

import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;

/** {@code s3://BUCKET/PREFIX}: an S3-compatible object store, configured by {@link S3Settings#fromEnvironment}. */
public final class S3BackendProvider implements BackendProvider {
  @Override
  public boolean handles(String location) {
    return location.startsWith(S3Location.SCHEME);
  }

  @Override
  public Backend open(String location) {
    return new S3Backend(S3Location.parse(location), S3Settings.fromEnvironment());
  }
}
