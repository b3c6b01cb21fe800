package dev.roadie.core.backend;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Opens a backend for a repository location. Providers are found with {@link ServiceLoader}; each
 * claims the locations it {@link #handles}. A plain path or {@code file://} URL is a local
 * directory.
 */
public interface BackendProvider {

  boolean handles(String location);

  /**
   * A backend for {@code location}, configured by {@code settings} alone (never by the environment
   * or system properties), so that backends opened with different settings do not affect each
   * other.
   */
  Backend open(String location, BackendSettings settings);

  /** The provider that claims {@code location}, or null for a local directory. */
  static BackendProvider find(String location) {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      if (p.handles(location)) return p;
    }
    return null;
  }

  static Backend forLocation(String location, BackendSettings settings) {
    if (location == null || location.isBlank()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no repository given: pass --repo LOCATION or set "
              + "ROADIE_REPOSITORY (a directory, s3://BUCKET/PREFIX or s3:http(s)://HOST[:PORT]/BUCKET/PREFIX)");
    }
    BackendProvider p = find(location);
    if (p != null) {
      return p.open(location, settings);
    }
    if (location.startsWith("file://")) {
      return new LocalBackend(Path.of(location.substring("file://".length())));
    }
    int colon = location.indexOf("://");
    if (colon > 0) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "repository "
              + location.substring(0, colon + 3)
              + "… is not supported by this build: use a local directory path or file:// URL");
    }
    return new LocalBackend(Path.of(location));
  }
}
