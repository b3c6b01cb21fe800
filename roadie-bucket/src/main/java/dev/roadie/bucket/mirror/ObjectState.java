package dev.roadie.bucket.mirror;

import dev.roadie.bucket.ListedObject;
import dev.roadie.bucket.ObjectHeaders;
import java.time.Instant;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * An object as one GET or HEAD told it: its identity (ETag, time, size), the headers a copy carries
 * over, and how many tags it has.
 */
record ObjectState(
    String etag, Instant lastModified, long size, ObjectHeaders headers, int tagCount) {

  static ObjectState of(GetObjectResponse r) {
    return new ObjectState(
        ListedObject.unquote(r.eTag()),
        r.lastModified(),
        r.contentLength() == null ? -1 : r.contentLength(),
        ObjectHeaders.of(r),
        r.tagCount() == null ? 0 : r.tagCount());
  }

  static ObjectState of(HeadObjectResponse r) {
    // The SDK's HEAD response has no field for the tag count; AWS and MinIO send the header.
    int tags =
        r.sdkHttpResponse()
            .firstMatchingHeader("x-amz-tagging-count")
            .map(Integer::parseInt)
            .orElse(0);
    return new ObjectState(
        ListedObject.unquote(r.eTag()),
        r.lastModified(),
        r.contentLength() == null ? -1 : r.contentLength(),
        ObjectHeaders.of(r),
        tags);
  }

  /**
   * The headers of a copy: these, with roadie's entries ({@link MirrorMetadata}) for this state and
   * {@code sha256}.
   */
  ObjectHeaders copyHeaders(byte[] sha256) {
    return headers.withMetadata(
        MirrorMetadata.forCopy(headers.metadata(), sha256, etag, lastModified));
  }
}
