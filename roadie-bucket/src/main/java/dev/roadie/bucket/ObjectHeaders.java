package dev.roadie.bucket;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * What S3 keeps with an object besides its bytes and tags: the system headers a writer sets
 * (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires),
 * the storage class (null for STANDARD), the website redirect, and the user metadata ({@code
 * x-amz-meta-*}, keys in lower case as S3 returns them, sorted). Null fields are absent.
 *
 * @param expires the Expires header as the server sent it (an HTTP date)
 */
public record ObjectHeaders(
    String contentType,
    String cacheControl,
    String contentDisposition,
    String contentEncoding,
    String contentLanguage,
    String expires,
    String storageClass,
    String websiteRedirect,
    Map<String, String> metadata) {

  public static final ObjectHeaders NONE =
      new ObjectHeaders(null, null, null, null, null, null, null, null, Map.of());

  public ObjectHeaders {
    metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadata));
    storageClass = "STANDARD".equals(storageClass) ? null : storageClass;
  }

  public static ObjectHeaders of(GetObjectResponse r) {
    return new ObjectHeaders(
        r.contentType(),
        r.cacheControl(),
        r.contentDisposition(),
        r.contentEncoding(),
        r.contentLanguage(),
        r.expiresString(),
        r.storageClassAsString(),
        r.websiteRedirectLocation(),
        r.metadata());
  }

  public static ObjectHeaders of(HeadObjectResponse r) {
    return new ObjectHeaders(
        r.contentType(),
        r.cacheControl(),
        r.contentDisposition(),
        r.contentEncoding(),
        r.contentLanguage(),
        r.expiresString(),
        r.storageClassAsString(),
        r.websiteRedirectLocation(),
        r.metadata());
  }

  /** These headers with the user metadata {@code metadata} instead. */
  public ObjectHeaders withMetadata(Map<String, String> metadata) {
    return new ObjectHeaders(
        contentType,
        cacheControl,
        contentDisposition,
        contentEncoding,
        contentLanguage,
        expires,
        storageClass,
        websiteRedirect,
        metadata);
  }

  /**
   * These headers with the storage class {@code storageClass} instead (null: the server's default).
   */
  public ObjectHeaders withStorageClass(String storageClass) {
    return new ObjectHeaders(
        contentType,
        cacheControl,
        contentDisposition,
        contentEncoding,
        contentLanguage,
        expires,
        storageClass,
        websiteRedirect,
        metadata);
  }

  /**
   * These headers without roadie's content hash in the user metadata ({@link Sha256#METADATA_KEY}).
   */
  public ObjectHeaders withoutSha256() {
    if (!metadata.containsKey(Sha256.METADATA_KEY)) return this;
    Map<String, String> m = new TreeMap<>(metadata);
    m.remove(Sha256.METADATA_KEY);
    return withMetadata(m);
  }

  /** Roadie's content hash from the user metadata, or null. */
  public String sha256() {
    return metadata.get(Sha256.METADATA_KEY);
  }

  /**
   * The Expires header as an instant, or null when absent or not an HTTP date (then it is not
   * written).
   */
  public Instant expiresInstant() {
    if (expires == null || expires.isBlank()) return null;
    try {
      return DateTimeFormatter.RFC_1123_DATE_TIME.parse(expires, Instant::from);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Whether {@code other} is the same as these headers as a server keeps them: the same fields, the
   * Expires header as the same instant, and the user metadata apart from roadie's content hash.
   * Content-Type is compared only when both have one (a server fills in its default).
   */
  public boolean sameAs(ObjectHeaders other) {
    return (contentType == null
            || other.contentType == null
            || contentType.equals(other.contentType))
        && Objects.equals(cacheControl, other.cacheControl)
        && Objects.equals(contentDisposition, other.contentDisposition)
        && Objects.equals(contentEncoding, other.contentEncoding)
        && Objects.equals(contentLanguage, other.contentLanguage)
        && Objects.equals(expiresInstant(), other.expiresInstant())
        && Objects.equals(storageClass, other.storageClass)
        && Objects.equals(websiteRedirect, other.websiteRedirect)
        && withoutSha256().metadata.equals(other.withoutSha256().metadata);
  }

  /** Sets these headers on a single-request upload. */
  public PutObjectRequest.Builder applyTo(PutObjectRequest.Builder b) {
    b.contentType(contentType)
        .cacheControl(cacheControl)
        .contentDisposition(contentDisposition)
        .contentEncoding(contentEncoding)
        .contentLanguage(contentLanguage)
        .expires(expiresInstant())
        .websiteRedirectLocation(websiteRedirect)
        .metadata(metadata);
    if (storageClass != null) b.storageClass(storageClass);
    return b;
  }

  /** Sets these headers on a multipart upload. */
  public CreateMultipartUploadRequest.Builder applyTo(CreateMultipartUploadRequest.Builder b) {
    b.contentType(contentType)
        .cacheControl(cacheControl)
        .contentDisposition(contentDisposition)
        .contentEncoding(contentEncoding)
        .contentLanguage(contentLanguage)
        .expires(expiresInstant())
        .websiteRedirectLocation(websiteRedirect)
        .metadata(metadata);
    if (storageClass != null) b.storageClass(storageClass);
    return b;
  }

  /** An instant as an HTTP date, as servers send Expires. */
  public static String httpDate(Instant t) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(t.atOffset(ZoneOffset.UTC));
  }
}
