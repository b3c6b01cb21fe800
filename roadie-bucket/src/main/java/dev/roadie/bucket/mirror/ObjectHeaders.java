package dev.roadie.bucket.mirror;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * What a mirror copies of an object besides its bytes: the system headers a client sets, user
 * metadata, and the number of tags; plus the object's identity (ETag, time, size) as its GET or
 * HEAD told it. Not copied: storage class, server-side encryption, object lock settings (the
 * destination bucket's defaults apply).
 *
 * @param metadata user metadata, names in lower case without {@code x-amz-meta-}
 */
record ObjectHeaders(String etag, Instant lastModified, long size, String contentType, String cacheControl,
    String contentDisposition, String contentEncoding, String contentLanguage, Instant expires,
    String websiteRedirectLocation, Map<String, String> metadata, int tagCount) {

  static ObjectHeaders of(GetObjectResponse r) {
    return new ObjectHeaders(unquote(r.eTag()), r.lastModified(), r.contentLength() == null ? -1 : r.contentLength(),
        r.contentType(), r.cacheControl(), r.contentDisposition(), r.contentEncoding(), r.contentLanguage(),
        r.expires(), r.websiteRedirectLocation(), lower(r.metadata()), r.tagCount() == null ? 0 : r.tagCount());
  }

  static ObjectHeaders of(HeadObjectResponse r) {
    return new ObjectHeaders(unquote(r.eTag()), r.lastModified(), r.contentLength() == null ? -1 : r.contentLength(),
        r.contentType(), r.cacheControl(), r.contentDisposition(), r.contentEncoding(), r.contentLanguage(),
        r.expires(), r.websiteRedirectLocation(), lower(r.metadata()), tagCount(r));
  }

  private static int tagCount(HeadObjectResponse r) {
    // HEAD has no field for it in the SDK's model; the header is there on AWS and MinIO.
    return r.sdkHttpResponse().firstMatchingHeader("x-amz-tagging-count").map(Integer::parseInt).orElse(0);
  }

  static String unquote(String etag) {
    if (etag == null) return "";
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
  }

  static Map<String, String> lower(Map<String, String> m) {
    Map<String, String> out = new TreeMap<>();
    if (m != null) m.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  /** The user metadata of a copy: the source's without roadie's own entries, plus {@code roadie}. */
  Map<String, String> copyMetadata(Map<String, String> roadie) {
    Map<String, String> out = new TreeMap<>(MirrorMetadata.withoutRoadie(metadata));
    out.putAll(roadie);
    return out;
  }

  void applyTo(PutObjectRequest.Builder b, Map<String, String> roadie) {
    b.contentType(contentType).cacheControl(cacheControl).contentDisposition(contentDisposition)
        .contentEncoding(contentEncoding).contentLanguage(contentLanguage).expires(expires)
        .websiteRedirectLocation(websiteRedirectLocation).metadata(copyMetadata(roadie));
  }

  void applyTo(CreateMultipartUploadRequest.Builder b, Map<String, String> roadie) {
    b.contentType(contentType).cacheControl(cacheControl).contentDisposition(contentDisposition)
        .contentEncoding(contentEncoding).contentLanguage(contentLanguage).expires(expires)
        .websiteRedirectLocation(websiteRedirectLocation).metadata(copyMetadata(roadie));
  }

  /** For a copy that replaces the metadata (MetadataDirective REPLACE): every header given again. */
  void applyTo(CopyObjectRequest.Builder b, Map<String, String> roadie) {
    b.contentType(contentType).cacheControl(cacheControl).contentDisposition(contentDisposition)
        .contentEncoding(contentEncoding).contentLanguage(contentLanguage).expires(expires)
        .websiteRedirectLocation(websiteRedirectLocation).metadata(copyMetadata(roadie));
  }
}
