package dev.roadie.core.backend;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How to reach one repository's storage, besides its location: given per repository, so that one
 * process can hold two repositories on two endpoints with different credentials. Every field is
 * optional (null: the backend's default), and a backend ignores what does not concern it (a local
 * directory uses none). Backends never read the environment for these; the caller (the command
 * line) builds them from its options and the environment, once.
 *
 * @param endpoint the storage service's URL ({@code http} or {@code https}, no credentials, no
 *     path), used when the location names none; null: the backend's default (AWS for S3)
 * @param pathStyle whether buckets are addressed as the first segment of the path ({@code
 *     http://host/BUCKET/KEY}) instead of as a host name; null: the backend decides (S3: path-style
 *     with an endpoint, virtual-hosted on AWS)
 * @param region the storage region; null: from the credentials profile or the backend's default
 * @param profile a named credentials profile (S3: a profile of the shared AWS config and
 *     credentials files); null: the backend's default credentials chain
 * @param caFile a PEM file of the certificate authorities to trust for TLS instead of the JVM's
 *     trust store (a private CA); null: the JVM's trust store
 * @param signPayload whether request bodies are signed (S3: the SDK's aws-chunked signing on
 *     plain-http endpoints, for a server that refuses unsigned bodies); false: bodies go unsigned,
 *     authenticated by roadie's own encryption
 * @param sse server-side encryption the storage is asked to apply to every object written; null:
 *     none asked (the bucket's default applies)
 */
public record BackendSettings(
    URI endpoint,
    Boolean pathStyle,
    String region,
    String profile,
    Path caFile,
    boolean signPayload,
    ServerSideEncryption sse) {
  /** Nothing set: every backend's defaults. */
  public static final BackendSettings DEFAULTS = new BackendSettings(null, null, null, null, null);

  /** Bodies unsigned. */
  public BackendSettings(
      URI endpoint, Boolean pathStyle, String region, String profile, Path caFile) {
    this(endpoint, pathStyle, region, profile, caFile, false, null);
  }

  /** No server-side encryption asked for. */
  public BackendSettings(
      URI endpoint,
      Boolean pathStyle,
      String region,
      String profile,
      Path caFile,
      boolean signPayload) {
    this(endpoint, pathStyle, region, profile, caFile, signPayload, null);
  }

  public BackendSettings {
    if (endpoint != null) checkEndpoint(endpoint, "storage endpoint");
    if (region != null && !region.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new RoadieException(
          ErrorCode.USAGE, "invalid region '" + region + "': lower-case letters, digits and '-'");
    }
    if (profile != null && (profile.isBlank() || !profile.strip().equals(profile))) {
      throw new RoadieException(ErrorCode.USAGE, "invalid profile name '" + profile + "'");
    }
    if (caFile != null && !Files.isRegularFile(caFile)) {
      throw new RoadieException(
          ErrorCode.USAGE, "the CA file " + caFile + " does not exist or is not a file");
    }
    if (caFile != null && !Files.isReadable(caFile)) {
      throw new RoadieException(ErrorCode.USAGE, "the CA file " + caFile + " is not readable");
    }
  }

  /**
   * An endpoint given as text; {@code from} names where it came from (an option or a variable) in
   * the error for a bad one.
   */
  public static URI parseEndpoint(String text, String from) {
    URI uri;
    try {
      uri = new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          from
              + ": the endpoint must be an http:// or https:// URL such as "
              + "http://minio:9000 ("
              + e.getReason()
              + ")");
    }
    checkEndpoint(uri, from);
    return URI.create(
        uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + uri.getRawAuthority());
  }

  private static void checkEndpoint(URI uri, String from) {
    boolean web =
        "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
    if (!web || uri.getHost() == null || uri.getRawUserInfo() != null) {
      // The URL is not echoed: it may hold credentials.
      throw new RoadieException(
          ErrorCode.USAGE,
          from
              + ": the endpoint must be an http:// or https:// URL such as "
              + "http://minio:9000, with a host name and no credentials in it");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/"))
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          from
              + ": the endpoint is the server's address only, "
              + "scheme://HOST[:PORT], without a path or query (the bucket goes in the repository location)");
    }
  }
}
