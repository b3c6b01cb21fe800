package dev.roadie.bucket;

import java.io.ByteArrayInputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.utils.DateUtils;

/**
 * Reads the pages of S3's ListObjectsV2 and ListObjectVersions, asked for with {@code
 * encoding-type=url} (keys and markers percent-encoded, so that any key survives XML), into the
 * same values the SDK's client gives: read with a streaming parser, where the SDK builds a document
 * tree and a model object per entry, which at thousands of keys cost more than roadie's own work on
 * the listing.
 */
public final class ListingXml {
  private static final XMLInputFactory XML = XMLInputFactory.newFactory();

  static {
    XML.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    XML.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
  }

  private ListingXml() {}

  /**
   * A page: its entries in the server's order, and where the next page starts (null at the end):
   * the continuation token of ListObjectsV2, or the key and version-id markers of
   * ListObjectVersions.
   */
  public record Page(List<ListedObject> objects, String next, String nextVersion) {}

  /** A ListObjectsV2 page. */
  public static Page objects(byte[] body) {
    try {
      XMLStreamReader x = XML.createXMLStreamReader(new ByteArrayInputStream(body), "UTF-8");
      try {
        List<ListedObject> out = new ArrayList<>();
        boolean truncated = false;
        boolean encoded = false;
        String next = null;
        while (x.hasNext()) {
          if (x.next() != XMLStreamReader.START_ELEMENT) continue;
          switch (x.getLocalName()) {
            case "IsTruncated" -> truncated = "true".equals(x.getElementText().strip());
            case "EncodingType" -> encoded = "url".equals(x.getElementText().strip());
            case "NextContinuationToken" -> next = x.getElementText();
            case "Contents" -> out.add(entry(x, "Contents"));
            default -> {}
          }
        }
        if (encoded) out = decoded(out);
        if (truncated && (next == null || next.isEmpty()))
          throw new XMLStreamException("a truncated page without a continuation token");
        return new Page(out, truncated ? next : null, null);
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      throw unreadable(e);
    }
  }

  /**
   * A ListObjectVersions page: versions and delete markers as the server listed them (in two kinds
   * of element, which S3 interleaves in key order).
   */
  public static Page versions(byte[] body) {
    try {
      XMLStreamReader x = XML.createXMLStreamReader(new ByteArrayInputStream(body), "UTF-8");
      try {
        List<ListedObject> out = new ArrayList<>();
        boolean truncated = false;
        boolean encoded = false;
        String nextKey = null;
        String nextVersion = null;
        while (x.hasNext()) {
          if (x.next() != XMLStreamReader.START_ELEMENT) continue;
          switch (x.getLocalName()) {
            case "IsTruncated" -> truncated = "true".equals(x.getElementText().strip());
            case "EncodingType" -> encoded = "url".equals(x.getElementText().strip());
            case "NextKeyMarker" -> nextKey = x.getElementText();
            case "NextVersionIdMarker" -> nextVersion = x.getElementText();
            case "Version" -> out.add(entry(x, "Version"));
            case "DeleteMarker" -> out.add(entry(x, "DeleteMarker"));
            default -> {}
          }
        }
        if (encoded) {
          out = decoded(out);
          if (nextKey != null) nextKey = decode(nextKey);
        }
        if (truncated && (nextKey == null || nextKey.isEmpty()))
          throw new XMLStreamException("a truncated page without a next key marker");
        return truncated ? new Page(out, nextKey, nextVersion) : new Page(out, null, null);
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      throw unreadable(e);
    }
  }

  /** One Contents, Version or DeleteMarker element, read to its end. */
  private static ListedObject entry(XMLStreamReader x, String element) throws XMLStreamException {
    String key = null;
    long size = 0;
    String etag = null;
    Instant modified = null;
    String storageClass = null;
    String versionId = null;
    boolean latest = element.equals("Contents");
    while (x.hasNext()) {
      int ev = x.next();
      if (ev == XMLStreamReader.END_ELEMENT && x.getLocalName().equals(element)) break;
      if (ev != XMLStreamReader.START_ELEMENT) continue;
      switch (x.getLocalName()) {
        case "Key" -> key = x.getElementText();
        case "Size" -> size = Long.parseLong(x.getElementText().strip());
        case "ETag" -> etag = ListedObject.unquote(x.getElementText());
        case "LastModified" -> modified = instant(x.getElementText().strip());
        case "StorageClass" -> storageClass = x.getElementText();
        case "VersionId" -> versionId = x.getElementText();
        case "IsLatest" -> latest = "true".equals(x.getElementText().strip());
        default -> skip(x);
      }
    }
    if (key == null) throw new XMLStreamException("a listing entry without a key");
    boolean marker = element.equals("DeleteMarker");
    return new ListedObject(
        key,
        marker ? 0 : size,
        marker ? null : etag,
        modified,
        marker || storageClass == null || "STANDARD".equals(storageClass) ? null : storageClass,
        element.equals("Contents") ? null : versionId,
        latest,
        marker);
  }

  /** Skips the element just started (an Owner, a checksum algorithm, ...), with its children. */
  private static void skip(XMLStreamReader x) throws XMLStreamException {
    int depth = 1;
    while (depth > 0 && x.hasNext()) {
      int ev = x.next();
      if (ev == XMLStreamReader.START_ELEMENT) depth++;
      else if (ev == XMLStreamReader.END_ELEMENT) depth--;
    }
  }

  /**
   * The entries with their keys decoded: the server applied {@code encoding-type=url} (it says so
   * in the page's EncodingType, as the SDK checks; one that ignores the parameter sends keys as
   * they are, and decoding those would change keys holding '%' or '+').
   */
  private static List<ListedObject> decoded(List<ListedObject> entries) {
    List<ListedObject> out = new ArrayList<>(entries.size());
    for (ListedObject o : entries) {
      out.add(
          new ListedObject(
              decode(o.key()),
              o.size(),
              o.etag(),
              o.lastModified(),
              o.storageClass(),
              o.versionId(),
              o.latest(),
              o.deleteMarker()));
    }
    return out;
  }

  /** A percent-encoded key or marker: a space as {@code +} (a plus sign itself comes as %2B). */
  static String decode(String s) {
    return s.indexOf('%') < 0 && s.indexOf('+') < 0
        ? s
        : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /**
   * An ISO 8601 time as the SDK reads a listing's LastModified ({@link
   * DateUtils#parseIso8601Date}): the form servers send ({@code 2026-12-07T03:30:01.123Z}, any
   * number of fraction digits) is read here directly, at a fraction of the formatter's cost; any
   * other form goes to the SDK's parser.
   */
  public static Instant instant(String v) {
    int n = v.length();
    if (n >= 20
        && v.charAt(4) == '-'
        && v.charAt(7) == '-'
        && v.charAt(10) == 'T'
        && v.charAt(13) == ':'
        && v.charAt(16) == ':'
        && v.charAt(n - 1) == 'Z') {
      int year = digits(v, 0, 4);
      int month = digits(v, 5, 2);
      int day = digits(v, 8, 2);
      int hour = digits(v, 11, 2);
      int minute = digits(v, 14, 2);
      int second = digits(v, 17, 2);
      int nanos = 0;
      boolean ok = year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0;
      if (ok && n > 20) {
        // A fraction: '.', 1 to 9 digits, then the Z.
        int digits = n - 21;
        ok = v.charAt(19) == '.' && digits >= 1 && digits <= 9;
        if (ok) {
          nanos = digits(v, 20, digits);
          ok = nanos >= 0;
          for (int i = digits; ok && i < 9; i++) nanos *= 10;
        }
      } else if (ok) {
        ok = n == 20;
      }
      if (ok) {
        try {
          return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
              .toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
          // not a date: the SDK's parser decides
        }
      }
    }
    return DateUtils.parseIso8601Date(v);
  }

  /** The {@code n} decimal digits at {@code at}, or -1. */
  private static int digits(String s, int at, int n) {
    int v = 0;
    for (int i = at; i < at + n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static SdkClientException unreadable(Exception e) {
    return SdkClientException.builder()
        .message("listing response unreadable: " + e.getMessage())
        .cause(e)
        .build();
  }
}
