package dev.roadie.bucket.mirror;

import dev.roadie.bucket.Keys;
import dev.roadie.bucket.ListedObject;
import dev.roadie.bucket.ListingXml;
import dev.roadie.bucket.Times;
import dev.roadie.bucket.XmlPull;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Lists one side's objects under its prefix, in key order, a page at a time (memory stays flat for
 * any number of keys). On MinIO the listing carries each object's user metadata and tags (its
 * {@code metadata=true} extension of ListObjectsV2), which spares a HEAD per object when comparing;
 * elsewhere the objects come without them ({@link ListingEntry#metadata} null).
 */
final class BucketLister {
  private static final int ATTEMPTS = 6;
  private final MirrorSide side;
  private final SignedHttp http;

  /** Cleared for good once the server ignores or refuses the extension. */
  private volatile boolean extension;

  /** Whether to ask for metadata now (pages fetched from now on). */
  private volatile boolean withMetadata;

  BucketLister(MirrorSide side) {
    this(side, true);
  }

  /** With {@code extension} false, lists as on any S3 server (no metadata in the listing). */
  BucketLister(MirrorSide side, boolean extension) {
    this(side, extension, true);
  }

  /**
   * @param extension whether MinIO's listing with metadata may be used
   * @param withMetadata whether to use it from the start; else plain until {@link #preferMetadata}
   */
  BucketLister(MirrorSide side, boolean extension, boolean withMetadata) {
    this.side = side;
    this.http = extension ? SignedHttp.of(side) : null;
    this.extension = http != null;
    this.withMetadata = withMetadata;
  }

  /**
   * Asks for metadata in the pages fetched from now on (of this and later listings), where the
   * server offers it: for a caller that finds itself asking most objects for it one by one.
   */
  void preferMetadata() {
    withMetadata = true;
  }

  MirrorSide side() {
    return side;
  }

  /**
   * The objects under the side's prefix, in S3's key order ({@link Keys}); pages are fetched on a
   * virtual thread a page ahead of the reader, so that both sides of a mirror list at once. Close
   * it when not read to the end.
   */
  Listing list() {
    return new Listing(true);
  }

  /** A listing of no objects (of a bucket that does not exist). */
  Listing empty() {
    return new Listing(false);
  }

  /** An iteration of the listing. */
  final class Listing implements Iterator<ListingEntry>, AutoCloseable {
    private static final Object END = new Object();
    private final BlockingQueue<Object> pages = new ArrayBlockingQueue<>(1);
    private final Thread producer;
    private Iterator<ListingEntry> page = java.util.Collections.emptyIterator();
    private boolean ended;
    private String previous;

    private Listing(boolean list) {
      producer = list ? Thread.ofVirtual().name("mirror-listing").start(this::produce) : null;
      ended = !list;
    }

    private void produce() {
      String token = null;
      String lastKey = null;
      boolean metadataPages = false;
      try {
        while (true) {
          Page p = null;
          if (extension && withMetadata) {
            // Switched from plain pages: go on after the last key listed (tokens are the server's
            // own).
            if (!metadataPages) token = null;
            metadataPages = true;
            p = fetchWithMetadata(token, lastKey);
            if (p == null) {
              // Not understood here: go on without metadata, after the last key already listed.
              extension = false;
              token = null;
            }
          }
          if (p == null) p = fetchPlain(token, lastKey);
          if (!p.objects.isEmpty()) lastKey = p.objects.getLast().key();
          pages.put(p.objects);
          if (p.next == null) break;
          token = p.next;
        }
        pages.put(END);
      } catch (InterruptedException e) {
        // closed by the reader
      } catch (RuntimeException e) {
        try {
          pages.put(e);
        } catch (InterruptedException ignored) {
          // closed by the reader
        }
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean hasNext() {
      while (!page.hasNext() && !ended) {
        Object o;
        try {
          o = pages.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new RoadieException.Retriable(side.describe() + ": interrupted while listing", e);
        }
        if (o == END) {
          ended = true;
        } else if (o instanceof RuntimeException e) {
          ended = true;
          throw e;
        } else {
          page = ((List<ListingEntry>) o).iterator();
        }
      }
      return page.hasNext();
    }

    @Override
    public ListingEntry next() {
      if (!hasNext()) throw new NoSuchElementException();
      ListingEntry o = page.next();
      // Mirror and check merge two listings by key: one out of order would look like missing
      // objects.
      if (previous != null && Keys.ORDER.compare(previous, o.key()) >= 0) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            side.describe()
                + ": the server listed '"
                + o.key()
                + "' after '"
                + previous
                + "', out of S3's key order; a mirror cannot compare such listings");
      }
      previous = o.key();
      return o;
    }

    @Override
    public void close() {
      if (producer != null) producer.interrupt();
    }
  }

  private Page fetchPlain(String token, String startAfter) {
    ListingXml.Page p;
    try {
      p = side.requests().listObjects(side.bucket(), side.prefix(), token, startAfter);
    } catch (SdkException e) {
      throw S3Failures.of(side, "list", "", e);
    }
    List<ListingEntry> objects = new java.util.ArrayList<>(p.objects().size());
    for (ListedObject o : p.objects()) {
      objects.add(
          new ListingEntry(o.key(), o.size(), o.etag(), o.lastModified(), null, null, null));
    }
    return new Page(objects, p.next());
  }

  private record Page(List<ListingEntry> objects, String next) {}

  /** One page of MinIO's listing with metadata, or null when the server does not give metadata. */
  private Page fetchWithMetadata(String token, String startAfter) throws InterruptedException {
    Map<String, List<String>> q = new LinkedHashMap<>();
    q.put("list-type", List.of("2"));
    q.put("metadata", List.of("true"));
    q.put("encoding-type", List.of("url"));
    q.put("max-keys", List.of("1000"));
    if (!side.prefix().isEmpty()) q.put("prefix", List.of(side.prefix()));
    if (token != null) {
      q.put("continuation-token", List.of(token));
    } else if (startAfter != null) {
      q.put("start-after", List.of(startAfter));
    }
    for (int attempt = 1; ; attempt++) {
      try (SignedHttp.Response r = get(q)) {
        if (r.status == 200) {
          try {
            return parse(r.body.readAllBytes());
          } catch (IOException | XmlPull.XmlException e) {
            throw software.amazon.awssdk.core.exception.SdkClientException.builder()
                .message("listing response unreadable: " + e.getMessage())
                .cause(e)
                .build();
          }
        }
        if (r.status == 400 || r.status == 501 || r.status == 405) return null;
        throw error(r.status, r.errorText());
      } catch (SdkException e) {
        if (!S3Failures.isTransient(e) || attempt == ATTEMPTS)
          throw S3Failures.of(side, "list", "", e);
        Thread.sleep(Math.min(5000, 100L << attempt));
      }
    }
  }

  private SignedHttp.Response get(Map<String, List<String>> query) {
    try {
      return http.get(query, Duration.ofSeconds(60));
    } catch (java.net.SocketTimeoutException e) {
      throw software.amazon.awssdk.core.exception.SdkClientException.builder()
          .message("no answer to a listing in 60 s")
          .cause(e)
          .build();
    }
  }

  /** An S3 error response as the SDK's exception, so that it is told like the SDK's own. */
  static S3Exception error(int status, String body) {
    String code = element(body, "Code");
    String message = element(body, "Message");
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .awsErrorDetails(
                AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
            .message(message != null ? message : "HTTP " + status)
            .build();
  }

  private static String element(String xml, String name) {
    int i = xml.indexOf("<" + name + ">");
    int j = xml.indexOf("</" + name + ">");
    return i >= 0 && j > i ? xml.substring(i + name.length() + 2, j) : null;
  }

  private Page parse(byte[] body) throws XmlPull.XmlException {
    XmlPull x = new XmlPull(body);
    List<ListingEntry> objects = new java.util.ArrayList<>();
    String next = null;
    boolean truncated = false;
    boolean sawMetadata = false;
    x.root("ListBucketResult");
    while (x.nextChild()) {
      switch (x.localName()) {
        case "IsTruncated" -> truncated = "true".equals(x.text().strip());
        case "NextContinuationToken" -> next = x.text();
        case "Contents" -> {
          Entry e = contents(x);
          sawMetadata |= e.sawMetadata;
          objects.add(e.object);
        }
        default -> x.skip();
      }
    }
    if (!objects.isEmpty() && !sawMetadata) return null;
    return new Page(objects, truncated ? next : null);
  }

  private record Entry(ListingEntry object, boolean sawMetadata) {}

  private static Entry contents(XmlPull x) throws XmlPull.XmlException {
    String key = null;
    String etag = "";
    long size = 0;
    Instant modified = Instant.EPOCH;
    Map<String, String> metadata = new TreeMap<>();
    String contentType = null;
    Map<String, String> tags = new TreeMap<>();
    boolean saw = false;
    while (x.nextChild()) {
      switch (x.localName()) {
        case "Key" -> key = URLDecoder.decode(x.text(), StandardCharsets.UTF_8);
        case "ETag" -> etag = ListedObject.unquote(x.text());
        case "Size" -> size = Long.parseLong(x.text().strip());
        case "LastModified" -> modified = Times.iso8601(x.text().strip());
        case "UserTags" -> {
          saw = true;
          tags = ListingXml.tags(x.text());
        }
        case "Internal" -> {
          saw = true;
          x.skip();
        }
        case "UserMetadata" -> {
          saw = true;
          while (x.nextChild()) {
            String name = x.localName().toLowerCase(Locale.ROOT);
            String value = x.text();
            if (name.startsWith("x-amz-meta-")) {
              metadata.put(name.substring("x-amz-meta-".length()), value);
            } else if (name.equals("content-type")) {
              contentType = value;
            }
          }
        }
        default -> x.skip();
      }
    }
    if (key == null) throw new XmlPull.XmlException("an object without a key in the listing");
    return new Entry(new ListingEntry(key, size, etag, modified, metadata, contentType, tags), saw);
  }
}
