package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.BackendSettings;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How to reach a bucket that is backed up or restored to: options of its own, so that the bucket
 * and the repository (with --s3-endpoint, --profile and --s3-ca-file) can be on different servers
 * with different credentials.
 */
final class BucketOptions {
  @Option(
      names = "--bucket-endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint of an s3://BUCKET location, such as http://minio:9000 "
              + "(default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL, then AWS).")
  String endpoint;

  @Option(
      names = "--bucket-profile",
      paramLabel = "NAME",
      description =
          "AWS profile with the bucket's credentials and region (default: the AWS SDK's chain: "
              + "environment, $AWS_PROFILE, web identity, instance role).")
  String profile;

  @Option(
      names = "--bucket-ca-file",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authorities trusted for the bucket's https endpoint.")
  Path caFile;

  boolean given() {
    return endpoint != null || profile != null || caFile != null;
  }

  /** The name of a given option, for a message that it does not apply; null when none is given. */
  String givenName() {
    return endpoint != null
        ? "--bucket-endpoint"
        : profile != null ? "--bucket-profile" : caFile != null ? "--bucket-ca-file" : null;
  }

  /** The settings of the bucket at {@code location}, from these options and the environment. */
  BackendSettings settings(String location) {
    if (endpoint != null
        && location != null
        && location.startsWith("s3:")
        && !location.startsWith("s3://")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the bucket location "
              + location
              + " names its endpoint already: "
              + "leave out --bucket-endpoint, or use s3://BUCKET/PREFIX with --bucket-endpoint");
    }
    URI uri =
        endpoint != null
            ? BackendSettings.parseEndpoint(endpoint, "--bucket-endpoint")
            : environmentEndpoint();
    return new BackendSettings(uri, null, null, profile, caFile);
  }

  /**
   * The endpoint the AWS tools take from the environment: $AWS_ENDPOINT_URL_S3, else
   * $AWS_ENDPOINT_URL.
   */
  /**
   * The storage class named by {@code --storage-class} ({@code given}), in upper case as S3 spells
   * it; null when not given.
   */
  static String storageClass(String given) {
    if (given == null) return null;
    String c = given.strip().toUpperCase(java.util.Locale.ROOT);
    if (!c.matches("[A-Z0-9_]+")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--storage-class takes a storage class name such as STANDARD_IA, not '" + given + "'");
    }
    return c;
  }

  static URI environmentEndpoint() {
    for (String name : new String[] {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
      String value = System.getenv(name);
      if (value != null && !value.isBlank()) return BackendSettings.parseEndpoint(value, name);
    }
    return null;
  }
}
