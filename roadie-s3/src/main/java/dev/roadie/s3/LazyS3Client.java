package dev.roadie.s3;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The S3 client of {@link S3Settings}, made on first use; its region and credentials are known at
 * once. A command whose requests all go the direct way (the bucket commands' GETs, HEADs, copies
 * and deletes against an S3-compatible endpoint) never pays for building the SDK's client, a large
 * share of a short command's CPU. A missing profile is refused here, when the settings are opened,
 * as {@link S3Clients#create} refuses it.
 */
public final class LazyS3Client implements AutoCloseable {
  private final S3Settings settings;
  private final Region region;
  private final AwsCredentialsProvider credentials;
  private S3Client client;
  private boolean closed;

  public LazyS3Client(S3Settings settings) {
    this.settings = settings;
    this.region = S3Clients.region(settings);
    this.credentials = S3Clients.credentials(settings);
  }

  public S3Settings settings() {
    return settings;
  }

  /** The region the requests are signed for. */
  public Region region() {
    return region;
  }

  /** The credentials of every request, the client's too. */
  public AwsCredentialsProvider credentials() {
    return credentials;
  }

  /** The client, made now if it was not yet. */
  public synchronized S3Client get() {
    if (closed) throw new IllegalStateException("the S3 client was closed");
    if (client == null) client = S3Clients.create(settings, region, credentials);
    return client;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (client != null) client.close();
    if (credentials instanceof SdkAutoCloseable c) c.close();
  }
}
