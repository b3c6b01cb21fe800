package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.s3.LazyS3Client;
import dev.roadie.s3.S3Clients;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.Tagging;

/**
 * One bucket location opened with its own client: listing, reading and writing objects with their
 * headers and tags, and errors that name the bucket and the object and say what to do. Thread-safe;
 * close it to release its connections.
 */
public final class Bucket implements AutoCloseable {
  /** The largest object one PUT may write (S3's limit); larger ones go in parts. */
  public static final long MAX_SINGLE_PUT = 5L << 30;

  /** Part size of a multipart upload whose original part size is unknown. */
  public static final int DEFAULT_PART_SIZE = 16 << 20;

  /** S3's smallest part (but the last) and most parts of one upload. */
  static final int MIN_PART_SIZE = 5 << 20;

  static final int MAX_PARTS = 10_000;

  /** A recorded part longer than this is not reproduced: its buffer would cost too much memory. */
  static final int MAX_BUFFERED_PART = 256 << 20;

  /** Multipart uploads at once, each holding one part in memory. */
  private static final int MULTIPART_UPLOADS = 4;

  static {
    dropCancelledResponseTimers();
  }

  /**
   * The AWS SDK arms a 60-second timer for every object response it opens (to abort a stream nobody
   * reads) and cancels it at the first read; its scheduler keeps cancelled timers, and each the
   * response it would abort, until they fall due. At hundreds of GETs a second that holds tens of
   * thousands of finished responses in memory. Cancelled timers are dropped at once instead (best
   * effort: should the SDK's internals change, nothing changes but memory).
   */
  private static void dropCancelledResponseTimers() {
    try {
      Class<?> c =
          Class.forName("software.amazon.awssdk.core.ResponseInputStream$TimeoutScheduler");
      java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
      f.setAccessible(true);
      if (f.get(null) instanceof java.util.concurrent.ScheduledThreadPoolExecutor e) {
        e.setRemoveOnCancelPolicy(true);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Memory only.
    }
  }

  private final BucketLocation where;
  private final LazyS3Client client;
  private final ObjectRequests requests;
  private final Semaphore multipartSlots = new Semaphore(MULTIPART_UPLOADS);

  private Bucket(BucketLocation where, LazyS3Client client) {
    this.where = where;
    this.client = client;
    this.requests = ObjectRequests.of(client);
  }

  public static Bucket open(BucketLocation where) {
    return new Bucket(where, new LazyS3Client(where.settings()));
  }

  public BucketLocation location() {
    return where;
  }

  /**
   * The client, for requests this class does not make (the caller translates errors with {@link
   * #fail}).
   */
  public S3Client client() {
    return client.get();
  }

  /**
   * Whether the bucket exists; fails on anything but yes or no (credentials, permissions, network).
   * S3 answers it only to those who may list the bucket (s3:ListBucket).
   */
  public boolean exists() {
    try {
      requests.headBucket(where.bucket());
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) return false;
      if (e.statusCode() != 403) throw fail("list the bucket", null, e);
    } catch (SdkException e) {
      throw fail("reach the bucket", null, e);
    }
    // A HEAD response has no body to say why it was refused (wrong credentials or no permission):
    // a listing says.
    try {
      requests.probeList(where.bucket(), where.prefix());
      return true;
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
      if ("NoSuchBucket".equals(code)) return false;
      throw fail("list the bucket", null, e);
    } catch (SdkException e) {
      throw fail("list the bucket", null, e);
    }
  }

  /** Fails with a message naming the bucket unless it exists and these credentials may list it. */
  public void checkReadable() {
    if (!exists()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          where
              + ": the bucket "
              + where.bucket()
              + " does not exist"
              + where()
              + "; check the name and the endpoint");
    }
    try {
      requests.probeList(where.bucket(), where.prefix());
    } catch (SdkException e) {
      throw fail("list the bucket", null, e);
    }
  }

  /** Creates the bucket unless it exists; returns whether it did. */
  public boolean createIfMissing() {
    if (exists()) return false;
    try {
      client().createBucket(b -> b.bucket(where.bucket()));
      return true;
    } catch (BucketAlreadyOwnedByYouException e) {
      return false;
    } catch (SdkException e) {
      throw fail("create the bucket", null, e);
    }
  }

  /**
   * Every object under the prefix in key order, or with {@code versions} every version and delete
   * marker (per key newest first); read ahead page by page while the caller works.
   */
  public ObjectListing list(boolean versions) {
    return new ObjectListing(this, versions, false);
  }

  /**
   * {@link #list}, with the objects' tags where the server's listing carries them (MinIO's listing
   * with metadata; {@link ListedObject#tags}).
   */
  public ObjectListing listWithTags(boolean versions) {
    return new ObjectListing(this, versions, true);
  }

  /** The GETs of object content and listing pages. */
  ObjectRequests requests() {
    return requests;
  }

  /** An object's bytes being read, with the headers of the response. Close it. */
  public record Download(GetObjectResponse response, ResponseInputStream<GetObjectResponse> stream)
      implements AutoCloseable {
    public ObjectHeaders headers() {
      return ObjectHeaders.of(response);
    }

    /**
     * Ends the read: a stream read to its end gives its connection back to the pool; one abandoned
     * part-way is aborted (its connection dropped, rather than the rest of the body read).
     */
    @Override
    public void close() {
      try {
        if (stream.read() >= 0) stream.abort();
      } catch (IOException | RuntimeException e) {
        stream.abort();
      }
      try {
        stream.close();
      } catch (IOException | RuntimeException e) {
        // Closing a read that failed or was abandoned: nothing more to do.
      }
    }
  }

  /**
   * Starts reading {@code key} (its version {@code versionId} when not null), only if its ETag is
   * still {@code etag} when that is given.
   *
   * @throws ObjectUnavailableException when the object changed (412) or is gone (404)
   */
  public Download get(String key, String versionId, String etag) throws ObjectUnavailableException {
    try {
      ResponseInputStream<GetObjectResponse> in =
          requests.get(where.bucket(), key, versionId, etag == null ? null : "\"" + etag + "\"");
      return new Download(in.response(), in);
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        throw new ObjectUnavailableException(
            describe(key, versionId) + " changed since it was listed", false);
      }
      if (isGone(e))
        throw new ObjectUnavailableException(describe(key, versionId) + " was deleted", true);
      throw fail("read", describe(key, versionId), e);
    } catch (SdkException e) {
      throw fail("read", describe(key, versionId), e);
    }
  }

  /** The object's headers now, or null when it is gone. */
  public HeadObjectResponse head(String key, String versionId) {
    try {
      return requests.headObject(where.bucket(), key, versionId);
    } catch (S3Exception e) {
      if (isGone(e)) return null;
      throw fail("read the headers of", describe(key, versionId), e);
    } catch (SdkException e) {
      throw fail("read the headers of", describe(key, versionId), e);
    }
  }

  /**
   * The length of each part of an object written in parts, in order, or null when it was written in
   * one piece, is gone, is no longer the object of ETag {@code etag} (without quotes), or the
   * server does not answer for parts. One HEAD per part (S3's {@code partNumber}, asked with {@code
   * If-Match}): the first tells the number of parts, each its part's length.
   */
  public List<Long> partSizes(String key, String versionId, String etag) {
    try {
      HeadObjectResponse first = headPart(key, versionId, etag, 1);
      Integer count = first.partsCount();
      if (count == null || count < 1 || first.contentLength() == null) return null;
      List<Long> sizes = new ArrayList<>(count);
      sizes.add(first.contentLength());
      for (int part = 2; part <= count; part++) {
        Long length = headPart(key, versionId, etag, part).contentLength();
        if (length == null) return null;
        sizes.add(length);
      }
      return sizes;
    } catch (S3Exception e) {
      if (isGone(e) || e.statusCode() == 400 || e.statusCode() == 412 || e.statusCode() == 416)
        return null;
      throw fail("read the parts of", describe(key, versionId), e);
    } catch (SdkException e) {
      throw fail("read the parts of", describe(key, versionId), e);
    }
  }

  private HeadObjectResponse headPart(String key, String versionId, String etag, int part) {
    return client()
        .headObject(
            b ->
                b.bucket(where.bucket())
                    .key(key)
                    .versionId(versionId)
                    .ifMatch('"' + etag + '"')
                    .partNumber(part));
  }

  /** The object's tags, sorted by key; empty when it has none. */
  public Map<String, String> tags(String key, String versionId) throws ObjectUnavailableException {
    try {
      Map<String, String> tags = new TreeMap<>();
      for (Tag t :
          client()
              .getObjectTagging(b -> b.bucket(where.bucket()).key(key).versionId(versionId))
              .tagSet()) {
        tags.put(t.key(), t.value());
      }
      return tags;
    } catch (S3Exception e) {
      if (isGone(e))
        throw new ObjectUnavailableException(describe(key, versionId) + " was deleted", true);
      throw fail("read the tags of", describe(key, versionId), e);
    } catch (SdkException e) {
      throw fail("read the tags of", describe(key, versionId), e);
    }
  }

  /** Replaces the object's tags ({@code tags} empty: removes them). */
  public void putTags(String key, Map<String, String> tags) {
    try {
      if (tags.isEmpty()) {
        client().deleteObjectTagging(b -> b.bucket(where.bucket()).key(key));
      } else {
        client().putObjectTagging(b -> b.bucket(where.bucket()).key(key).tagging(tagging(tags)));
      }
    } catch (SdkException e) {
      throw fail("write the tags of", describe(key, null), e);
    }
  }

  /** Deletes the object (a delete marker on a versioned bucket). */
  public void delete(String key) {
    try {
      requests.deleteObject(where.bucket(), key);
    } catch (SdkException e) {
      throw fail("delete", describe(key, null), e);
    }
  }

  /**
   * Writes {@code size} bytes from {@code content} as {@code key} with {@code headers} and {@code
   * tags}: in one request (streamed; {@code content} is opened again for a retry) when {@code
   * parts} is null and the size allows, else as a multipart upload in {@code parts} (the
   * original's, so that the ETag comes out the same) or, when null, in parts of {@link
   * #DEFAULT_PART_SIZE}. A multipart upload that fails is aborted: the object is written whole or
   * not at all. Returns the new ETag (without quotes).
   */
  public String put(
      String key,
      long size,
      Supplier<InputStream> content,
      ObjectHeaders headers,
      Map<String, String> tags,
      PartLayout parts)
      throws IOException {
    if (parts == null && size <= MAX_SINGLE_PUT) {
      PutObjectRequest.Builder b =
          headers
              .applyTo(PutObjectRequest.builder().bucket(where.bucket()).key(key))
              .contentLength(size);
      if (!tags.isEmpty()) b.tagging(tagging(tags));
      ContentStreamProvider body = content::get;
      try {
        String type = headers.contentType() != null ? headers.contentType() : "binary/octet-stream";
        return ListedObject.unquote(
            client()
                .putObject(b.build(), RequestBody.fromContentProvider(body, size, type))
                .eTag());
      } catch (SdkException e) {
        throw writeFailed(key, headers, e);
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return putInParts(
        key, size, content, headers, tags, parts != null ? parts : PartLayout.of(size, null, null));
  }

  private String putInParts(
      String key,
      long size,
      Supplier<InputStream> content,
      ObjectHeaders headers,
      Map<String, String> tags,
      PartLayout layout)
      throws IOException {
    if (layout.total() != size) {
      throw new IllegalArgumentException(
          "parts of " + layout.total() + " bytes for an object of " + size);
    }
    try {
      multipartSlots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    String uploadId = null;
    try (InputStream in = content.get()) {
      var create =
          headers.applyTo(
              software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest.builder()
                  .bucket(where.bucket())
                  .key(key));
      if (!tags.isEmpty()) create.tagging(tagging(tags));
      uploadId = client().createMultipartUpload(create.build()).uploadId();
      String id = uploadId;
      List<CompletedPart> parts = new ArrayList<>();
      byte[] buf = new byte[layout.largest()];
      long done = 0;
      for (int i = 0; i < layout.count(); i++) {
        int len = layout.size(i);
        int n = in.readNBytes(buf, 0, len);
        if (n < len) {
          throw new IOException(
              describe(key, null)
                  + ": the content ended after "
                  + (done + n)
                  + " of "
                  + size
                  + " bytes");
        }
        int part = i + 1;
        String etag =
            client()
                .uploadPart(
                    b ->
                        b.bucket(where.bucket())
                            .key(key)
                            .uploadId(id)
                            .partNumber(part)
                            .contentLength((long) len),
                    RequestBody.fromContentProvider(
                        () -> new ByteArrayInputStream(buf, 0, len),
                        len,
                        "application/octet-stream"))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
        done += len;
      }
      String etag =
          client()
              .completeMultipartUpload(
                  b ->
                      b.bucket(where.bucket())
                          .key(key)
                          .uploadId(id)
                          .multipartUpload(m -> m.parts(parts)))
              .eTag();
      uploadId = null;
      return ListedObject.unquote(etag);
    } catch (SdkException e) {
      throw writeFailed(key, headers, e);
    } finally {
      if (uploadId != null) abort(key, uploadId);
      multipartSlots.release();
    }
  }

  /** Abandons an unfinished multipart upload, so that no parts are left behind (best effort). */
  private void abort(String key, String uploadId) {
    try {
      client().abortMultipartUpload(b -> b.bucket(where.bucket()).key(key).uploadId(uploadId));
    } catch (SdkException e) {
      // The upload stays invisible; a lifecycle rule for incomplete uploads removes its parts.
    }
  }

  /** The S3 tag set of {@code tags}. */
  public static Tagging tagging(Map<String, String> tags) {
    List<Tag> set = new ArrayList<>();
    tags.forEach((k, v) -> set.add(Tag.builder().key(k).value(v).build()));
    return Tagging.builder().tagSet(set).build();
  }

  /** An object as messages name it: its key in quotes, and its version if any. */
  static String describe(String key, String versionId) {
    return "object '" + key + "'" + (versionId != null ? " (version " + versionId + ")" : "");
  }

  private static boolean isGone(S3Exception e) {
    String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
    return e.statusCode() == 404 && !"NoSuchBucket".equals(code);
  }

  private String where() {
    return where.endpoint() != null && where.location().endpoint() == null
        ? " at " + where.endpoint()
        : "";
  }

  /** The failure of a write of {@code key} with {@code headers}. */
  private RoadieException writeFailed(String key, ObjectHeaders headers, SdkException e) {
    String refusal = storageClassRefusal(e, headers);
    if (refusal == null) return fail("write", describe(key, null), e);
    return new RoadieException(
        ErrorCode.FAILURE,
        where
            + ": "
            + refusal
            + ", so "
            + describe(key, null)
            + " was not written: restore with --storage-class and a class it offers ("
            + STORAGE_CLASSES_OF_MINIO
            + ")",
        e);
  }

  /** Said where a server refuses a storage class. */
  public static final String STORAGE_CLASSES_OF_MINIO =
      "MinIO offers STANDARD and REDUCED_REDUNDANCY";

  /**
   * "the server does not offer storage class CLASS (HTTP 400 InvalidStorageClass: …)" when {@code
   * e} is a write's refusal of the storage class of {@code headers}; else null.
   */
  public static String storageClassRefusal(SdkException e, ObjectHeaders headers) {
    if (!(e instanceof S3Exception s)
        || s.awsErrorDetails() == null
        || !"InvalidStorageClass".equals(s.awsErrorDetails().errorCode())) return null;
    String message = s.awsErrorDetails().errorMessage();
    return "the server does not offer storage class "
        + (headers.storageClass() == null ? "STANDARD" : headers.storageClass())
        + " (HTTP "
        + s.statusCode()
        + " InvalidStorageClass"
        + (message != null ? ": " + message : "")
        + ")";
  }

  /**
   * A clear error for a failed request, naming the bucket and the object (null: the bucket itself);
   * never credentials. Transient failures (5xx, throttling, network) that outlasted the client's
   * retries are {@link RoadieException.Retriable}.
   */
  public RoadieException fail(String op, String object, SdkException e) {
    String what = op + " " + (object == null ? "" : object);
    what = what.strip();
    String prefix = where + ": ";
    if (e instanceof S3Exception s) {
      int status = s.statusCode();
      String code = s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode() : null;
      String msg = s.awsErrorDetails() != null ? s.awsErrorDetails().errorMessage() : null;
      String detail =
          "HTTP " + status + (code != null ? " " + code : "") + (msg != null ? ": " + msg : "");
      if ("NoSuchBucket".equals(code)) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "the bucket "
                + where.bucket()
                + " does not exist"
                + where()
                + "; check the name and the endpoint",
            e);
      }
      if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "S3 refused the credentials to "
                + what
                + where()
                + " ("
                + detail
                + "): check them ("
                + credentialsSource()
                + ")",
            e);
      }
      if (status == 403) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "S3 refused to "
                + what
                + where()
                + " ("
                + detail
                + "): these credentials ("
                + credentialsSource()
                + ") lack the permission; check the user's or "
                + "the bucket's policy",
            e);
      }
      if (status >= 500 || status == 429) {
        return new RoadieException.Retriable(
            prefix
                + "could not "
                + what
                + where()
                + " after "
                + S3Clients.MAX_ATTEMPTS
                + " attempts ("
                + detail
                + "); try again later",
            e);
      }
      return new RoadieException(
          ErrorCode.FAILURE, prefix + "could not " + what + where() + " (" + detail + ")", e);
    }
    String m = String.valueOf(e.getMessage());
    if (m.contains("Unable to load credentials")
        || m.contains("Unable to load an identity")
        || m.contains("credentials for profile")
        || m.contains("Profile file contained no credentials")) {
      if (where.settings().profile() != null) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "the AWS profile '"
                + where.settings().profile()
                + "' gives no usable credentials: give it aws_access_key_id and aws_secret_access_key, or a role, "
                + "in the shared credentials or config file",
            e);
      }
      return new RoadieException(
          ErrorCode.FAILURE,
          prefix
              + "no AWS credentials found for the bucket: set "
              + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or --bucket-profile NAME",
          e);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String cause = root == e || root.getMessage() == null ? m : root.getMessage();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return new RoadieException(
            ErrorCode.FAILURE,
            prefix
                + "could not "
                + what
                + where()
                + ": TLS failed ("
                + cause
                + "); for a server with a private CA give its certificate (PEM) with --bucket-ca-file FILE",
            e);
      }
    }
    return new RoadieException.Retriable(
        prefix
            + "could not "
            + what
            + where()
            + " after up to "
            + S3Clients.MAX_ATTEMPTS
            + " attempts: "
            + cause
            + " (is the endpoint reachable?)",
        e);
  }

  /** Where the credentials came from, for messages: never the credentials themselves. */
  private String credentialsSource() {
    if (where.settings().profile() != null)
      return "the profile '" + where.settings().profile() + "'";
    if (where.settings().credentials() != null) return "the credentials given";
    return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE";
  }

  @Override
  public void close() {
    client.close();
  }
}
