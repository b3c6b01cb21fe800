package dev.roadie.bucket.mirror;

import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import dev.roadie.testkit.MinioServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Clients and mirror sides for a test's MinIO. */
final class Minio {
  private Minio() {}

  static S3Settings settings(URI endpoint, String region, String accessKey, String secretKey) {
    return S3Settings.of(
        endpoint,
        region,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
  }

  static S3Settings settings(MinioServer minio) {
    return settings(minio.endpoint(), minio.region(), minio.accessKey(), minio.secretKey());
  }

  /** A plain client (no retries), for setting up and looking at buckets. */
  static S3Client client(MinioServer minio) {
    return S3Client.builder()
        .endpointOverride(minio.endpoint())
        .forcePathStyle(true)
        .region(Region.of(minio.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
        .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)))
        .build();
  }

  static MirrorSide side(String role, MinioServer minio, String location) {
    return MirrorSide.open(role, S3Location.parse(location), settings(minio));
  }

  static void put(S3Client s3, String bucket, String key, String text) {
    s3.putObject(
        b -> b.bucket(bucket).key(key), RequestBody.fromString(text, StandardCharsets.UTF_8));
  }

  static String get(S3Client s3, String bucket, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }
}
