package dev.roadie.bucket.mirror;

import dev.roadie.bucket.Sha256;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The user metadata roadie writes on every object it copies, and the rule that decides from it
 * whether a destination object still holds what its source holds, without reading either:
 *
 * <ul>
 *   <li>{@value Sha256#METADATA_KEY}: the SHA-256 of the bytes, computed by roadie while it copied
 *       them (or, for a copy the server made itself, the server's SHA-256 checksum of the copy);
 *   <li>{@value #SOURCE_ETAG} and {@value #SOURCE_MTIME}: the source object's ETag and
 *       last-modified time (whole seconds since 1970) at the moment it was read.
 * </ul>
 *
 * A destination object is current when its size equals the source's and the source's ETag and time
 * (as listed now) equal the recorded ones: S3 gives every write a new last-modified time and a new
 * ETag for new bytes, so a rewritten source, even with bytes of the same size, no longer matches. A
 * destination object without these entries (written by someone else) is not trusted.
 */
final class MirrorMetadata {
  static final String SHA256 = Sha256.METADATA_KEY;
  static final String SOURCE_ETAG = "roadie-source-etag";
  static final String SOURCE_MTIME = "roadie-source-mtime";

  private MirrorMetadata() {}

  /**
   * The user metadata of a copy of the source object {@code etag}/{@code lastModified} whose own is
   * {@code metadata}: that, without roadie's entries the source may carry (being a mirror itself),
   * plus this copy's ({@code sha256} null: not known yet).
   */
  static Map<String, String> forCopy(
      Map<String, String> metadata, byte[] sha256, String etag, Instant lastModified) {
    Map<String, String> m = withoutRoadie(lower(metadata));
    if (sha256 != null) m.put(SHA256, Sha256.hex(sha256));
    m.put(SOURCE_ETAG, etag);
    m.put(SOURCE_MTIME, Long.toString(lastModified.getEpochSecond()));
    return m;
  }

  /** User metadata with its names in lower case (as S3 compares them). */
  static Map<String, String> lower(Map<String, String> metadata) {
    Map<String, String> out = new TreeMap<>();
    if (metadata != null) metadata.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  /**
   * {@code metadata} without roadie's entries (a source that is itself a mirror carries them too).
   */
  static Map<String, String> withoutRoadie(Map<String, String> metadata) {
    Map<String, String> m = new TreeMap<>(metadata);
    m.remove(SHA256);
    m.remove(SOURCE_ETAG);
    m.remove(SOURCE_MTIME);
    return m;
  }

  /** RFC 2047 encoded words: {@code =?charset?Q-or-B?text?=}. */
  private static final Pattern ENCODED_WORD =
      Pattern.compile("=\\?([^?\\s]+)\\?([QqBb])\\?([^?\\s]*)\\?=");

  /**
   * User metadata with each value as the text it stands for ({@link #decodedValue}), so that the
   * same value compares equal whether a server shows it as stored or RFC 2047-encoded.
   */
  static Map<String, String> decoded(Map<String, String> metadata) {
    Map<String, String> m = new TreeMap<>();
    metadata.forEach((k, v) -> m.put(k, decodedValue(v)));
    return m;
  }

  /**
   * {@code value} with its RFC 2047 encoded words decoded. S3 servers send a user metadata value
   * that is not ASCII so encoded in HEAD and GET (MinIO keeps the UTF-8 it was given and lists it
   * so with its metadata listing; a copy made from a HEAD keeps the encoded form). White space
   * between two encoded words is dropped, as RFC 2047 says. A word that does not decode (an unknown
   * charset, bad Base64) is left as it is.
   */
  static String decodedValue(String value) {
    if (value == null || !value.contains("=?")) return value;
    Matcher w = ENCODED_WORD.matcher(value);
    StringBuilder out = new StringBuilder();
    int end = 0;
    boolean lastWasWord = false;
    while (w.find()) {
      String between = value.substring(end, w.start());
      String text = decodeWord(w.group(1), w.group(2), w.group(3));
      if (text == null) {
        out.append(between).append(w.group());
        lastWasWord = false;
      } else {
        if (!(lastWasWord && between.isBlank())) out.append(between);
        out.append(text);
        lastWasWord = true;
      }
      end = w.end();
    }
    return out.append(value, end, value.length()).toString();
  }

  private static String decodeWord(String charset, String encoding, String text) {
    try {
      Charset cs = Charset.forName(charset.split("\\*")[0]);
      byte[] bytes;
      if (encoding.equalsIgnoreCase("B")) {
        bytes = Base64.getDecoder().decode(text);
      } else {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
          char c = text.charAt(i);
          if (c == '_') {
            b.write(' ');
          } else if (c == '=' && i + 2 < text.length()) {
            b.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
            i += 2;
          } else if (c == '=' || c > 0x7e) {
            return null;
          } else {
            b.write(c);
          }
        }
        bytes = b.toByteArray();
      }
      return new String(bytes, cs);
    } catch (IllegalArgumentException e) {
      // An unknown or illegal charset name, bad Base64, a bad escape.
      return null;
    }
  }

  /** The recorded SHA-256, or null when there is none or it is malformed. */
  static String sha256(Map<String, String> metadata) {
    String s = metadata.get(SHA256);
    return s != null && s.matches("[0-9a-f]{64}") ? s : null;
  }

  /**
   * A single-part upload's ETag: the MD5 of the bytes, 32 hex digits (multipart ones end in -N).
   */
  private static final Pattern MD5_ETAG = Pattern.compile("[0-9a-fA-F]{32}");

  /**
   * Whether the destination object ({@code dst}, as listed) holds the source object's bytes by the
   * listings alone, with no request for either: sizes equal, ETags equal and of a single-part
   * upload's form (the MD5 of the content; a server-side copy keeps it), and the destination
   * written after the source. The time keeps an overwrite of the source with other bytes of the
   * same MD5 (a made collision), or with new metadata only, from passing: it is newer than the
   * copy. False means "ask the recorded identity" ({@link #staleReason}), never "differs". See
   * docs/decisions/0020-mirror-trusts-equal-md5-etags.md.
   */
  static boolean sameByEtag(ListingEntry src, ListingEntry dst) {
    return src.size() == dst.size()
        && src.etag() != null
        && src.etag().equalsIgnoreCase(dst.etag())
        && MD5_ETAG.matcher(src.etag()).matches()
        && src.lastModified() != null
        && dst.lastModified() != null
        && dst.lastModified().isAfter(src.lastModified());
  }

  /**
   * Whether the source object was written after the destination's (its copy or another tool's
   * write): then the destination is stale for certain, whatever it records. The listings' times
   * have milliseconds where the recorded source time has seconds, so this also catches a change of
   * the source's metadata alone within the second of its previous write.
   */
  static boolean writtenAfter(ListingEntry src, ListingEntry dst) {
    return src.lastModified() != null
        && dst.lastModified() != null
        && src.lastModified().isAfter(dst.lastModified());
  }

  /**
   * Why the destination object ({@code dstSize}, {@code dstMetadata}) does not hold what the source
   * object holds now, or null when its recorded identity says it does.
   */
  static String staleReason(ListingEntry source, long dstSize, Map<String, String> dstMetadata) {
    if (source.size() != dstSize) return "size differs";
    if (sha256(dstMetadata) == null) return "no content hash recorded at the destination";
    if (!source.etag().equals(dstMetadata.get(SOURCE_ETAG))
        || !Long.toString(source.lastModified().getEpochSecond())
            .equals(dstMetadata.get(SOURCE_MTIME))) {
      return "changed at the source";
    }
    return null;
  }
}
