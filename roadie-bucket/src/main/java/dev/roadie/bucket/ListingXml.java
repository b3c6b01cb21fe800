package dev.roadie.bucket;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Reads the pages of S3's ListObjectsV2 and ListObjectVersions, asked for with {@code
 * encoding-type=url} (keys and markers percent-encoded, so that any key survives XML), into the
 * same values the SDK's client gives: read with {@link XmlPull} straight from the bytes, where the
 * SDK builds a document tree and a model object per entry, which at thousands of keys cost more
 * than roadie's own work on the listing.
 *
 * <p>Pages of MinIO's listing with metadata ({@code metadata=true}) also carry each object's user
 * metadata and tags; of these the tags are read ({@link ListedObject#tags}).
 */
public final class ListingXml {
  private ListingXml() {}

  /**
   * A page: its entries in the server's order, and where the next page starts (null at the end):
   * the continuation token of ListObjectsV2, or the key and version-id markers of
   * ListObjectVersions.
   */
  public record Page(List<ListedObject> objects, String next, String nextVersion) {}

  /** A ListObjectsV2 page. */
  public static Page objects(byte[] body) {
    return parse(body, false);
  }

  /**
   * A ListObjectVersions page: versions and delete markers as the server listed them (in two kinds
   * of element, which S3 interleaves in key order).
   */
  public static Page versions(byte[] body) {
    return parse(body, true);
  }

  private static Page parse(byte[] body, boolean versions) {
    try {
      XmlPull x = new XmlPull(body);
      List<ListedObject> out = new ArrayList<>();
      boolean truncated = false;
      boolean encoded = false;
      String next = null;
      String nextVersion = null;
      x.root(versions ? "ListVersionsResult" : "ListBucketResult");
      while (x.nextChild()) {
        switch (x.localName()) {
          case "IsTruncated" -> truncated = "true".equals(x.text().strip());
          case "EncodingType" -> encoded = "url".equals(x.text().strip());
          case "NextContinuationToken", "NextKeyMarker" -> next = x.text();
          case "NextVersionIdMarker" -> nextVersion = x.text();
          case "Contents", "Version", "DeleteMarker" -> out.add(entry(x, x.localName()));
          default -> x.skip();
        }
      }
      if (encoded) out = decoded(out);
      if (!truncated) return new Page(out, null, null);
      if (next == null || next.isEmpty()) {
        throw new XmlPull.XmlException(
            "a truncated page without "
                + (versions ? "a next key marker" : "a continuation token"));
      }
      // A continuation token is the server's own; a key marker is a key, encoded as keys are.
      if (encoded && versions) next = decode(next);
      return new Page(out, next, nextVersion);
    } catch (XmlPull.XmlException | RuntimeException e) {
      throw unreadable(e);
    }
  }

  /** One Contents, Version or DeleteMarker element, read to its end. */
  private static ListedObject entry(XmlPull x, String element) throws XmlPull.XmlException {
    String key = null;
    long size = 0;
    String etag = null;
    Instant modified = null;
    String storageClass = null;
    String versionId = null;
    boolean latest = element.equals("Contents");
    // With MinIO's metadata, every object has its UserMetadata (Content-Type at least), and
    // UserTags only when it has tags.
    boolean withMetadata = false;
    Map<String, String> tags = null;
    while (x.nextChild()) {
      switch (x.localName()) {
        case "UserMetadata" -> {
          withMetadata = true;
          x.skip();
        }
        case "UserTags" -> tags = tags(x.text());
        case "Key" -> key = x.text();
        case "Size" -> size = Long.parseLong(x.text().strip());
        case "ETag" -> etag = ListedObject.unquote(x.text());
        case "LastModified" -> modified = Times.iso8601(x.text().strip());
        case "StorageClass" -> storageClass = x.text();
        case "VersionId" -> versionId = x.text();
        case "IsLatest" -> latest = "true".equals(x.text().strip());
        default -> x.skip();
      }
    }
    if (key == null) throw new XmlPull.XmlException("a listing entry without a key");
    boolean marker = element.equals("DeleteMarker");
    return new ListedObject(
        key,
        marker ? 0 : size,
        marker ? null : etag,
        modified,
        marker || storageClass == null || "STANDARD".equals(storageClass) ? null : storageClass,
        element.equals("Contents") ? null : versionId,
        latest,
        marker,
        marker || !withMetadata ? null : tags != null ? tags : Map.of());
  }

  private static final byte[] NEXT_TOKEN =
      "<NextContinuationToken>".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] CONTENTS = "<Contents>".getBytes(StandardCharsets.US_ASCII);

  /**
   * The continuation token of a ListObjectsV2 page when it comes before the page's entries (as
   * MinIO sends it), found without reading the page; else null, also when it needs decoding (an
   * entity): for a caller that asks for the next page before reading this one. Only a hint: {@link
   * #objects} is what tells the token, and whether the page is truncated. No key can hold the
   * element's tag, since XML escapes every '<' of a text.
   */
  public static String nextToken(byte[] body) {
    for (int i = 0; i < body.length; i++) {
      if (body[i] != '<') continue;
      if (at(body, i, CONTENTS)) return null;
      if (!at(body, i, NEXT_TOKEN)) continue;
      int from = i + NEXT_TOKEN.length;
      for (int j = from; j < body.length; j++) {
        byte b = body[j];
        if (b == '<') {
          return j == from ? null : new String(body, from, j - from, StandardCharsets.UTF_8);
        }
        if (b == '&') return null;
      }
      return null;
    }
    return null;
  }

  private static boolean at(byte[] body, int i, byte[] what) {
    if (i + what.length > body.length) return false;
    for (int j = 0; j < what.length; j++) {
      if (body[i + j] != what[j]) return false;
    }
    return true;
  }

  /** Tags as MinIO lists them, a query string ({@code a=1&b=x+y}, form-encoded), sorted by key. */
  public static Map<String, String> tags(String text) {
    Map<String, String> tags = new TreeMap<>();
    if (text == null || text.isBlank()) return tags;
    for (String pair : text.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      tags.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return tags;
  }

  /**
   * The entries with their keys decoded: the server applied {@code encoding-type=url} (it says so
   * in the page's EncodingType, as the SDK checks; one that ignores the parameter sends keys as
   * they are, and decoding those would change keys holding '%' or '+').
   */
  private static List<ListedObject> decoded(List<ListedObject> entries) {
    List<ListedObject> out = new ArrayList<>(entries.size());
    for (ListedObject o : entries) {
      String key = decode(o.key());
      out.add(
          key == o.key()
              ? o
              : new ListedObject(
                  key,
                  o.size(),
                  o.etag(),
                  o.lastModified(),
                  o.storageClass(),
                  o.versionId(),
                  o.latest(),
                  o.deleteMarker(),
                  o.tags()));
    }
    return out;
  }

  /**
   * A percent-encoded key or marker: a space as {@code +} (a plus sign itself comes as %2B); {@code
   * s} itself when it holds neither.
   */
  static String decode(String s) {
    return s.indexOf('%') < 0 && s.indexOf('+') < 0
        ? s
        : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static SdkClientException unreadable(Exception e) {
    return SdkClientException.builder()
        .message("listing response unreadable: " + e.getMessage())
        .cause(e)
        .build();
  }
}
