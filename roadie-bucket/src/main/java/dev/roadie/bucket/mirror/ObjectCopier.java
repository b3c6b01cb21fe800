package dev.roadie.bucket.mirror;

import dev.roadie.bucket.Bucket;
import dev.roadie.bucket.ListedObject;
import dev.roadie.bucket.ObjectHeaders;
import dev.roadie.bucket.Sha256;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.Tagging;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * Copies one object from the source to the destination with its headers, user metadata and tags,
 * and records its SHA-256 and the source's identity ({@link MirrorMetadata}).
 *
 * <ul>
 *   <li>Up to {@value #SINGLE_PUT_MAX} bytes: read into memory, hashed, written with one PUT that
 *       carries the SHA-256 as its checksum, so the server refuses bytes other than those read.
 *   <li>Larger: streamed as a multipart upload (parts of at least {@value #MIN_PART} bytes), hashed
 *       on the way; the hash is added afterwards by a copy of the object onto itself that replaces
 *       its metadata (an upload's metadata is fixed when it starts). An object interrupted in
 *       between has no recorded hash, so the next pass copies it again.
 *   <li>Over {@value #COPY_OBJECT_MAX} bytes (beyond S3's limit for one copy request): read twice,
 *       first to hash it, then streamed with the hash known; both reads are of the same ETag.
 *   <li>Both sides on one server with the same credentials: roadie reads the object to hash it, and
 *       the server copies that version (CopyObject); no bytes are uploaded.
 * </ul>
 *
 * Memory stays within a budget shared by all copies: each buffer takes its size from it first.
 */
final class ObjectCopier {
  static final long SINGLE_PUT_MAX = 16L << 20;
  static final long MIN_PART = 8L << 20;
  static final long COPY_OBJECT_MAX = 5L << 30;
  private static final int MAX_PARTS = 10_000;
  private static final int MIB = 1 << 20;

  /** A source that keeps changing under every attempt is reported, not copied forever. */
  static final int ATTEMPTS = 3;

  /** The source object is gone (deleted after it was listed). */
  static final class SourceGone extends Exception {
    SourceGone() {
      super(null, null, false, false);
    }
  }

  /** The object changed between two requests that had to see the same version of it. */
  static final class Changed extends Exception {
    Changed() {
      super(null, null, false, false);
    }
  }

  private final MirrorSide source;
  private final MirrorSide destination;
  private final boolean serverSide;
  private final Semaphore memoryMiB;
  private final int budgetMiB;
  private final String storageClass;

  /**
   * @param serverSide let the server copy (both sides on one server, with the same credentials)
   * @param memoryBudget bytes that the buffers of all copies together may hold
   * @param storageClass the storage class of every copy, or null for the source object's
   */
  ObjectCopier(
      MirrorSide source,
      MirrorSide destination,
      boolean serverSide,
      long memoryBudget,
      String storageClass) {
    this.source = source;
    this.destination = destination;
    this.serverSide = serverSide;
    this.storageClass = storageClass;
    this.budgetMiB = (int) Math.max(SINGLE_PUT_MAX / MIB, memoryBudget / MIB);
    this.memoryMiB = new Semaphore(budgetMiB);
  }

  /**
   * Copies the source object {@code listed} as it is now and returns the bytes copied.
   *
   * @throws SourceGone when the object no longer exists at the source
   */
  long copy(ListingEntry listed) throws SourceGone, InterruptedException {
    String dstKey = destination.key(source.relative(listed.key()));
    for (int attempt = 1; ; attempt++) {
      try {
        if (serverSide && listed.size() <= COPY_OBJECT_MAX)
          return serverSideCopy(listed.key(), dstKey);
        return streamCopy(listed.key(), listed.size(), dstKey);
      } catch (Changed e) {
        if (attempt == ATTEMPTS) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              source.describe()
                  + ": "
                  + source.object(listed.key())
                  + " changed while it was copied, "
                  + ATTEMPTS
                  + " times; not copied");
        }
      }
    }
  }

  // --- server-side ----------------------------------------------------------------------------

  /**
   * Reads the source to hash it (its bytes go nowhere), then has the server copy that same version
   * (If-Match its ETag) with the hash in the copy's metadata: one write, and no upload.
   */
  private long serverSideCopy(String key, String dstKey) throws SourceGone, Changed {
    ObjectState s;
    byte[] sha;
    try (ResponseInputStream<GetObjectResponse> in = get(source, key, null)) {
      s = ObjectState.of(in.response());
      sha = digest(in);
    } catch (IOException e) {
      throw new RoadieException.Retriable(
          source.describe() + ": reading " + source.object(key) + " failed: " + e.getMessage(), e);
    }
    try {
      CopyObjectRequest.Builder b =
          CopyObjectRequest.builder()
              .sourceBucket(source.bucket())
              .sourceKey(key)
              .copySourceIfMatch(quote(s.etag()))
              .destinationBucket(destination.bucket())
              .destinationKey(dstKey)
              .metadataDirective(MetadataDirective.REPLACE)
              .taggingDirective(TaggingDirective.COPY);
      destination.requests().copyObject(replace(b, headers(s, sha)).build());
    } catch (SdkException e) {
      if (S3Failures.isPreconditionFailed(e)) throw new Changed();
      if (S3Failures.isNotFound(e)) throw new SourceGone();
      throw writeFailed("copy " + source.object(key) + " to", dstKey, s, e);
    }
    return s.size();
  }

  // --- streamed ---------------------------------------------------------------------------------

  private long streamCopy(String key, long listedSize, String dstKey)
      throws SourceGone, Changed, InterruptedException {
    byte[] knownSha = null;
    String ifMatch = null;
    if (listedSize > COPY_OBJECT_MAX) {
      ifMatch = head(key).etag();
      knownSha = hash(source, key, ifMatch);
    }
    try (ResponseInputStream<GetObjectResponse> in = get(source, key, ifMatch)) {
      ObjectState s = ObjectState.of(in.response());
      Tagging tags = tags(key, s.tagCount());
      if (s.size() <= SINGLE_PUT_MAX) {
        putSmall(in, s, tags, dstKey);
      } else if (knownSha == null) {
        Uploaded up = multipart(in, s, tags, dstKey, null);
        recordHash(dstKey, up.etag(), s, up.sha256());
      } else {
        multipart(in, s, tags, dstKey, knownSha);
      }
      return s.size();
    } catch (IOException e) {
      throw new RoadieException.Retriable(
          source.describe() + ": reading " + source.object(key) + " failed: " + e.getMessage(), e);
    }
  }

  private void putSmall(InputStream in, ObjectState s, Tagging tags, String dstKey)
      throws IOException, InterruptedException {
    int size = (int) s.size();
    int mib = reserve(size);
    try {
      byte[] data = in.readNBytes(size);
      if (data.length != size)
        throw new IOException("the body ended after " + data.length + " of " + size + " bytes");
      byte[] sha = Sha256.digest().digest(data);
      PutObjectRequest.Builder b =
          headers(s, sha)
              .applyTo(PutObjectRequest.builder())
              .bucket(destination.bucket())
              .key(dstKey)
              .contentLength((long) size)
              .checksumSHA256(Base64.getEncoder().encodeToString(sha));
      if (tags != null) b.tagging(tags);
      try {
        destination.s3().putObject(b.build(), body(data, size));
      } catch (SdkException e) {
        throw writeFailed("write", dstKey, s, e);
      }
    } finally {
      memoryMiB.release(mib);
    }
  }

  private record Uploaded(String etag, byte[] sha256) {}

  /**
   * Streams {@code in} as a multipart upload. With {@code knownSha} the metadata carries it, and
   * bytes that hash differently abort the upload.
   */
  private Uploaded multipart(
      InputStream in, ObjectState s, Tagging tags, String dstKey, byte[] knownSha)
      throws IOException, InterruptedException, Changed {
    long size = s.size();
    long partSize = Math.max(MIN_PART, ((size + MAX_PARTS - 1) / MAX_PARTS + MIB - 1) / MIB * MIB);
    CreateMultipartUploadRequest.Builder cb =
        headers(s, knownSha)
            .applyTo(CreateMultipartUploadRequest.builder())
            .bucket(destination.bucket())
            .key(dstKey);
    if (tags != null) cb.tagging(tags);
    String uploadId;
    try {
      uploadId = destination.s3().createMultipartUpload(cb.build()).uploadId();
    } catch (SdkException e) {
      throw writeFailed("write", dstKey, s, e);
    }
    boolean done = false;
    int mib = reserve(partSize);
    try {
      MessageDigest md = Sha256.digest();
      List<CompletedPart> parts = new ArrayList<>();
      byte[] buf = new byte[(int) partSize];
      long sent = 0;
      for (int n = 1; sent < size; n++) {
        int len = (int) Math.min(partSize, size - sent);
        int got = in.readNBytes(buf, 0, len);
        if (got != len)
          throw new IOException("the body ended after " + (sent + got) + " of " + size + " bytes");
        md.update(buf, 0, len);
        int part = n;
        try {
          String etag =
              destination
                  .s3()
                  .uploadPart(
                      r ->
                          r.bucket(destination.bucket())
                              .key(dstKey)
                              .uploadId(uploadId)
                              .partNumber(part)
                              .contentLength((long) len),
                      body(buf, len))
                  .eTag();
          parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
        } catch (SdkException e) {
          throw S3Failures.of(destination, "write", dstKey, e);
        }
        sent += len;
      }
      byte[] sha = md.digest();
      if (knownSha != null && !MessageDigest.isEqual(sha, knownSha)) throw new Changed();
      String etag;
      try {
        etag =
            destination
                .s3()
                .completeMultipartUpload(
                    r ->
                        r.bucket(destination.bucket())
                            .key(dstKey)
                            .uploadId(uploadId)
                            .multipartUpload(u -> u.parts(parts)))
                .eTag();
      } catch (SdkException e) {
        throw S3Failures.of(destination, "write", dstKey, e);
      }
      done = true;
      return new Uploaded(ListedObject.unquote(etag), sha);
    } finally {
      memoryMiB.release(mib);
      if (!done) abort(dstKey, uploadId);
    }
  }

  private void abort(String dstKey, String uploadId) {
    try {
      destination
          .s3()
          .abortMultipartUpload(r -> r.bucket(destination.bucket()).key(dstKey).uploadId(uploadId));
    } catch (SdkException e) {
      // The upload stays invisible; a bucket lifecycle rule for incomplete uploads removes its
      // parts.
    }
  }

  /**
   * Adds the SHA-256 to the metadata of {@code dstKey} (of ETag {@code etag}, just written) by
   * copying it onto itself: the source's headers given again, its tags kept.
   */
  private void recordHash(String dstKey, String etag, ObjectState s, byte[] sha) {
    CopyObjectRequest.Builder b =
        CopyObjectRequest.builder()
            .sourceBucket(destination.bucket())
            .sourceKey(dstKey)
            .copySourceIfMatch(quote(etag))
            .destinationBucket(destination.bucket())
            .destinationKey(dstKey)
            .metadataDirective(MetadataDirective.REPLACE)
            .taggingDirective(TaggingDirective.COPY);
    try {
      destination.requests().copyObject(replace(b, headers(s, sha)).build());
    } catch (SdkException e) {
      throw writeFailed("record the SHA-256 of", dstKey, s, e);
    }
  }

  /** The destination refused the storage class of a copy. */
  static final class StorageClassRefused extends RoadieException {
    StorageClassRefused(String message, Throwable cause) {
      super(ErrorCode.FAILURE, message, cause);
    }
  }

  /**
   * Whether {@code e} is a refusal that every further copy of a pass would meet: the destination
   * does not offer the storage class given for all copies.
   */
  boolean refusesEveryCopy(RoadieException e) {
    return storageClass != null && e instanceof StorageClassRefused;
  }

  /**
   * The failure of a write ({@code what}) of {@code dstKey}, a copy of the object in state {@code
   * s}.
   */
  private RoadieException writeFailed(String what, String dstKey, ObjectState s, SdkException e) {
    String refusal = Bucket.storageClassRefusal(e, headers(s, null));
    if (refusal == null) return S3Failures.of(destination, what, dstKey, e);
    return new StorageClassRefused(
        destination.describe()
            + ": "
            + refusal
            + ", so "
            + destination.object(dstKey)
            + " was not written"
            + (storageClass != null ? "" : " (the class is the source object's)")
            + ": give --storage-class a class it offers ("
            + Bucket.STORAGE_CLASSES_OF_MINIO
            + ")",
        e);
  }

  /** The headers of a copy of the object in state {@code s}, in the storage class asked for. */
  private ObjectHeaders headers(ObjectState s, byte[] sha) {
    ObjectHeaders h = s.copyHeaders(sha);
    return storageClass == null ? h : h.withStorageClass(storageClass);
  }

  /** A copy that replaces the metadata (MetadataDirective REPLACE) gives every header again. */
  private static CopyObjectRequest.Builder replace(CopyObjectRequest.Builder b, ObjectHeaders h) {
    b.contentType(h.contentType())
        .cacheControl(h.cacheControl())
        .contentDisposition(h.contentDisposition())
        .contentEncoding(h.contentEncoding())
        .contentLanguage(h.contentLanguage())
        .expires(h.expiresInstant())
        .websiteRedirectLocation(h.websiteRedirect())
        .metadata(h.metadata());
    if (h.storageClass() != null) b.storageClass(h.storageClass());
    return b;
  }

  // --- reading ----------------------------------------------------------------------------------

  private ObjectState head(String key) throws SourceGone {
    try {
      return ObjectState.of(source.requests().headObject(source.bucket(), key, null));
    } catch (SdkException e) {
      if (S3Failures.isNotFound(e)) throw new SourceGone();
      throw S3Failures.of(source, "read", key, e);
    }
  }

  private static ResponseInputStream<GetObjectResponse> get(
      MirrorSide side, String key, String ifMatch) throws SourceGone, Changed {
    try {
      return side.requests().get(side.bucket(), key, null, ifMatch == null ? null : quote(ifMatch));
    } catch (SdkException e) {
      if (S3Failures.isNotFound(e)) throw new SourceGone();
      if (S3Failures.isPreconditionFailed(e)) throw new Changed();
      throw S3Failures.of(side, "read", key, e);
    }
  }

  /** Sets the tags of {@code dstKey} at the destination to {@code tags} (none: removes them). */
  void putTags(String dstKey, Map<String, String> tags) {
    if (tags.isEmpty()) {
      destination.s3().deleteObjectTagging(r -> r.bucket(destination.bucket()).key(dstKey));
      return;
    }
    destination
        .s3()
        .putObjectTagging(
            r -> r.bucket(destination.bucket()).key(dstKey).tagging(Bucket.tagging(tags)));
  }

  private Tagging tags(String key, int count) throws SourceGone {
    if (count == 0) return null;
    try {
      return Tagging.builder()
          .tagSet(source.s3().getObjectTagging(r -> r.bucket(source.bucket()).key(key)).tagSet())
          .build();
    } catch (SdkException e) {
      if (S3Failures.isNotFound(e)) throw new SourceGone();
      throw S3Failures.of(source, "read the tags of", key, e);
    }
  }

  /**
   * The SHA-256 of {@code key} on {@code side}, read as a stream; of ETag {@code etag} when not
   * null.
   */
  byte[] hash(MirrorSide side, String key, String etag) throws SourceGone, Changed {
    try (InputStream in = get(side, key, etag)) {
      return digest(in);
    } catch (IOException e) {
      throw new RoadieException.Retriable(
          side.describe() + ": reading " + side.object(key) + " failed: " + e.getMessage(), e);
    }
  }

  private static byte[] digest(InputStream in) throws IOException {
    MessageDigest md = Sha256.digest();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    return md.digest();
  }

  /** Takes {@code bytes} (rounded up to MiB, at most the whole budget) from the memory budget. */
  private int reserve(long bytes) throws InterruptedException {
    int mib = (int) Math.min(budgetMiB, Math.max(1, (bytes + MIB - 1) / MIB));
    memoryMiB.acquire(mib);
    return mib;
  }

  /**
   * The first {@code len} bytes of {@code data}, not copied (RequestBody.fromBytes would), readable
   * again for a retry.
   */
  private static RequestBody body(byte[] data, int len) {
    return RequestBody.fromContentProvider(
        () -> new ByteArrayInputStream(data, 0, len), len, "application/octet-stream");
  }

  private static String quote(String etag) {
    return "\"" + etag + "\"";
  }
}
