package dev.roadie.bucket.mirror;

import dev.roadie.bucket.ObjectRequests;
import dev.roadie.s3.LazyS3Client;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import java.util.Objects;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One side of a mirror: a bucket and key prefix, how to reach it, and its S3 client.
 *
 * @param role "source" or "destination", for messages
 * @param client the SDK's client, made when first needed
 * @param requests the requests sent directly where they can be, with {@code client} elsewhere
 * @param ownsClient whether closing this side closes {@code client} (false: another side's)
 */
public record MirrorSide(
    String role,
    S3Location location,
    S3Settings settings,
    LazyS3Client client,
    ObjectRequests requests,
    boolean ownsClient)
    implements AutoCloseable {

  public static MirrorSide open(String role, S3Location location, S3Settings settings) {
    LazyS3Client client = new LazyS3Client(settings);
    return new MirrorSide(role, location, settings, client, ObjectRequests.of(client), true);
  }

  /** The SDK's client (made now if not yet), for the requests not sent directly. */
  public S3Client s3() {
    return client.get();
  }

  /**
   * Opens a side that uses {@code other}'s client when both are reached with the same settings: one
   * client to start and one connection pool, rather than two alike. {@code other} must stay open
   * while this side is used.
   */
  public static MirrorSide open(
      String role, S3Location location, S3Settings settings, MirrorSide other) {
    if (!other.settings.equals(settings)) return open(role, location, settings);
    return new MirrorSide(role, location, settings, other.client, other.requests, false);
  }

  public String bucket() {
    return location.bucket();
  }

  public String prefix() {
    return location.prefix();
  }

  /** The key on this side of {@code relative}, a key relative to the prefix. */
  public String key(String relative) {
    return location.prefix() + relative;
  }

  /** {@code key} relative to this side's prefix. */
  public String relative(String key) {
    return key.substring(location.prefix().length());
  }

  /**
   * "source s3://bucket/prefix" (and the endpoint when the location does not name it), for
   * messages.
   */
  public String describe() {
    String where =
        location.endpoint() == null && settings.endpoint() != null
            ? " at " + settings.endpoint()
            : "";
    return role + " " + location + where;
  }

  /** "s3://bucket/key", for messages about one object. */
  public String object(String key) {
    return "s3://" + bucket() + "/" + key;
  }

  /**
   * Whether {@code other} is reached at the same server with the same credentials, so that the
   * server can copy between them itself ({@code CopyObject}).
   */
  public boolean sameServiceAs(MirrorSide other) {
    return Objects.equals(settings.endpoint(), other.settings.endpoint())
        && Objects.equals(settings.profile(), other.settings.profile())
        && Objects.equals(settings.credentials(), other.settings.credentials())
        && Objects.equals(settings.caFile(), other.settings.caFile());
  }

  @Override
  public void close() {
    if (ownsClient) client.close();
  }
}
