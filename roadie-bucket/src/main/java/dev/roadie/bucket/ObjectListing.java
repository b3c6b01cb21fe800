package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The objects under a bucket location's prefix, streamed: pages of up to 1,000 entries are fetched
 * on a virtual thread a few pages ahead of the reader, so memory stays flat for any number of keys.
 * On an S3-compatible endpoint the pages are fetched by the direct signed GET and read by {@link
 * ListingXml}; elsewhere by the SDK's client. Keys come in S3's order, by UTF-8 bytes ({@link
 * Keys}); with versions, each key's versions and delete markers newest first. A server that lists
 * out of order is refused, since callers merge listings by key.
 */
public final class ObjectListing implements Iterator<ListedObject>, AutoCloseable {
  private static final int PAGES_AHEAD = 2;
  private static final Object END = new Object();

  /** Within one key: newest first; the current version first among equals. */
  private static final Comparator<ListedObject> ORDER =
      Comparator.comparing(ListedObject::key, Keys.ORDER)
          .thenComparing(ListedObject::lastModified, Comparator.reverseOrder())
          .thenComparing(o -> !o.latest());

  private final Bucket bucket;
  private final boolean versions;
  private final BlockingQueue<Object> pages = new ArrayBlockingQueue<>(PAGES_AHEAD);
  private final Thread producer;
  private volatile boolean closed;
  private Iterator<ListedObject> page = List.<ListedObject>of().iterator();
  private boolean ended;
  private ListedObject previous;
  private long listed;

  ObjectListing(Bucket bucket, boolean versions) {
    this.bucket = bucket;
    this.versions = versions;
    this.producer = Thread.ofVirtual().name("bucket-listing").start(this::produce);
  }

  /** Entries handed out so far. */
  public long listed() {
    return listed;
  }

  private void produce() {
    try {
      if (versions) listVersions();
      else listObjects();
      put(END);
    } catch (InterruptedException e) {
      // closed by the reader
    } catch (RuntimeException e) {
      try {
        put(e);
      } catch (InterruptedException ignored) {
        // closed by the reader
      }
    }
  }

  private void put(Object o) throws InterruptedException {
    if (!closed) pages.put(o);
  }

  private void listObjects() throws InterruptedException {
    BucketLocation where = bucket.location();
    String token = null;
    do {
      Map<String, String> q = query("list-type", "2");
      if (token != null) q.put("continuation-token", token);
      List<ListedObject> out;
      try {
        byte[] lean = bucket.listPage(q);
        if (lean != null) {
          ListingXml.Page p = ListingXml.objects(lean);
          out = p.objects();
          token = p.next();
        } else {
          String t = token;
          ListObjectsV2Response r =
              bucket
                  .client()
                  .listObjectsV2(
                      b -> b.bucket(where.bucket()).prefix(where.prefix()).continuationToken(t));
          out = new ArrayList<>(r.contents().size());
          for (S3Object o : r.contents()) {
            out.add(
                new ListedObject(
                    o.key(),
                    o.size() == null ? 0 : o.size(),
                    ListedObject.unquote(o.eTag()),
                    o.lastModified(),
                    standardIsNull(o.storageClassAsString()),
                    null,
                    true,
                    false));
          }
          token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        }
      } catch (SdkException e) {
        throw bucket.fail("list the bucket", null, e);
      }
      put(out);
    } while (token != null && !closed);
  }

  private void listVersions() throws InterruptedException {
    BucketLocation where = bucket.location();
    String keyMarker = null;
    String versionMarker = null;
    do {
      Map<String, String> q = query("versions", "");
      if (keyMarker != null) q.put("key-marker", keyMarker);
      if (versionMarker != null) q.put("version-id-marker", versionMarker);
      List<ListedObject> out;
      try {
        byte[] lean = bucket.listPage(q);
        if (lean != null) {
          ListingXml.Page p = ListingXml.versions(lean);
          out = new ArrayList<>(p.objects());
          keyMarker = p.next();
          versionMarker = p.nextVersion();
        } else {
          String k = keyMarker;
          String v = versionMarker;
          ListObjectVersionsResponse r =
              bucket
                  .client()
                  .listObjectVersions(
                      b ->
                          b.bucket(where.bucket())
                              .prefix(where.prefix())
                              .keyMarker(k)
                              .versionIdMarker(v));
          out = new ArrayList<>(r.versions().size() + r.deleteMarkers().size());
          for (ObjectVersion o : r.versions()) {
            out.add(
                new ListedObject(
                    o.key(),
                    o.size() == null ? 0 : o.size(),
                    ListedObject.unquote(o.eTag()),
                    o.lastModified(),
                    standardIsNull(o.storageClassAsString()),
                    o.versionId(),
                    Boolean.TRUE.equals(o.isLatest()),
                    false));
          }
          for (DeleteMarkerEntry d : r.deleteMarkers()) {
            out.add(
                new ListedObject(
                    d.key(),
                    0,
                    null,
                    d.lastModified(),
                    null,
                    d.versionId(),
                    Boolean.TRUE.equals(d.isLatest()),
                    true));
          }
          boolean more = Boolean.TRUE.equals(r.isTruncated());
          keyMarker = more ? r.nextKeyMarker() : null;
          versionMarker = more ? r.nextVersionIdMarker() : null;
        }
      } catch (SdkException e) {
        throw bucket.fail("list the versions in the bucket", null, e);
      }
      // The SDK's response lists versions and delete markers apart; S3 orders them together.
      out.sort(ORDER);
      put(out);
    } while (keyMarker != null && !closed);
  }

  /**
   * The query of a listing request: {@code name=value} first (the kind of listing), then the
   * prefix, keys percent-encoded in the response.
   */
  private Map<String, String> query(String name, String value) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put(name, value);
    q.put("encoding-type", "url");
    String prefix = bucket.location().prefix();
    if (!prefix.isEmpty()) q.put("prefix", prefix);
    return q;
  }

  private static String standardIsNull(String storageClass) {
    return storageClass == null || "STANDARD".equals(storageClass) ? null : storageClass;
  }

  @Override
  @SuppressWarnings("unchecked")
  public boolean hasNext() {
    while (!page.hasNext()) {
      if (ended) return false;
      Object next;
      try {
        next = pages.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RoadieException(
            ErrorCode.FAILURE, "interrupted while listing " + bucket.location());
      }
      if (next == END) {
        ended = true;
        return false;
      }
      if (next instanceof RuntimeException e) {
        ended = true;
        throw e;
      }
      page = ((List<ListedObject>) next).iterator();
    }
    return true;
  }

  @Override
  public ListedObject next() {
    if (!hasNext()) throw new NoSuchElementException();
    ListedObject o = page.next();
    if (previous != null) {
      int c = Keys.compare(previous.key(), o.key());
      if (c > 0 || (c == 0 && !versions)) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            bucket.location()
                + ": the server listed '"
                + o.key()
                + "' after '"
                + previous.key()
                + "', not in S3's key order (UTF-8 bytes); roadie compares listings "
                + "by key and cannot work with this server");
      }
    }
    previous = o;
    listed++;
    return o;
  }

  @Override
  public void close() {
    closed = true;
    producer.interrupt();
    pages.clear();
  }
}
