package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The objects under a bucket location's prefix, streamed: pages of up to 1,000 entries are fetched
 * on a virtual thread up to {@value #PAGES_AHEAD} pages ahead of the reader, so memory stays flat
 * for any number of keys. The pages come from {@link ObjectRequests#listObjects} and {@link
 * ObjectRequests#listVersions}. Keys come in S3's order, by UTF-8 bytes ({@link Keys}); with
 * versions, each key's versions and delete markers newest first. A server that lists out of order
 * is refused, since callers merge listings by key.
 *
 * <p>Asked for tags, it asks for MinIO's listing with metadata (which carries them) where requests
 * go direct to an S3-compatible server; a server that ignores or refuses that gets plain pages from
 * then on, whose entries have no tags ({@link ListedObject#tags} null).
 */
public final class ObjectListing implements Iterator<ListedObject>, AutoCloseable {
  /**
   * Pages fetched ahead of the reader: enough for the listing to go on while a backup opens the
   * repository and finds its parent ({@link PreparedBucket}), a few MiB at most.
   */
  private static final int PAGES_AHEAD = 16;

  private static final Object END = new Object();

  /** Within one key: newest first; the current version first among equals. */
  private static final Comparator<ListedObject> ORDER =
      Comparator.comparing(ListedObject::key, Keys.ORDER)
          .thenComparing(ListedObject::lastModified, Comparator.reverseOrder())
          .thenComparing(o -> !o.latest());

  private final Bucket bucket;
  private final boolean versions;
  private volatile boolean withTags;
  private final BlockingQueue<Object> pages = new ArrayBlockingQueue<>(PAGES_AHEAD);
  private final Thread producer;
  private volatile boolean closed;
  private Iterator<ListedObject> page = List.<ListedObject>of().iterator();
  private boolean ended;
  private ListedObject previous;
  private long listed;

  ObjectListing(Bucket bucket, boolean versions, boolean withTags) {
    this.bucket = bucket;
    this.versions = versions;
    this.withTags = withTags && bucket.requests().listsDirect(bucket.location().bucket());
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
    if (bucket.requests().listsDirect(where.bucket())) {
      listObjectsAhead();
      return;
    }
    String token = null;
    do {
      String from = token;
      ListingXml.Page p =
          ask(
              "list the bucket",
              () -> bucket.requests().listObjects(where.bucket(), where.prefix(), from, null));
      put(p.objects());
      token = p.next();
    } while (token != null && !closed);
  }

  private void listVersions() throws InterruptedException {
    BucketLocation where = bucket.location();
    String keyMarker = null;
    String versionMarker = null;
    do {
      String key = keyMarker;
      String version = versionMarker;
      ListingXml.Page p =
          ask(
              "list the versions in the bucket",
              () ->
                  bucket
                      .requests()
                      .listVersions(where.bucket(), where.prefix(), key, version, withTags));
      checkTags(p);
      // The SDK's response lists versions and delete markers apart; S3 orders them together.
      List<ListedObject> out = new ArrayList<>(p.objects());
      out.sort(ORDER);
      put(out);
      keyMarker = p.next();
      versionMarker = p.nextVersion();
    } while (keyMarker != null && !closed);
  }

  /**
   * The listing where requests go direct: each page is asked for as soon as the page before has
   * told its continuation token, which MinIO sends at the start of a page, so that the server lists
   * the next page while this one is read (the reading of a page of 1,000 entries took 40-50 ms
   * between requests otherwise). One page ahead at most; a token that the page, read whole, does
   * not confirm is not used.
   */
  private void listObjectsAhead() throws InterruptedException {
    String token = null;
    CompletableFuture<byte[]> ahead = null;
    String aheadToken = null;
    try {
      do {
        byte[] body = token != null && token.equals(aheadToken) ? await(ahead) : body(token);
        ahead = null;
        aheadToken = ListingXml.nextToken(body);
        if (aheadToken != null) {
          String next = aheadToken;
          ahead =
              CompletableFuture.supplyAsync(
                  () -> body(next), r -> Thread.ofVirtual().name("bucket-listing-ahead").start(r));
        }
        ListingXml.Page p;
        try {
          p = ListingXml.objects(body);
        } catch (SdkException e) {
          throw bucket.fail("list the bucket", null, e);
        }
        checkTags(p);
        put(p.objects());
        token = p.next();
      } while (token != null && !closed);
    } finally {
      if (ahead != null) ahead.cancel(true);
    }
  }

  /** One page's body. */
  private byte[] body(String token) {
    BucketLocation where = bucket.location();
    return ask(
        "list the bucket",
        () ->
            bucket
                .requests()
                .listObjectsBody(where.bucket(), where.prefix(), token, null, withTags));
  }

  private static byte[] await(CompletableFuture<byte[]> f) throws InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * The answer to {@code request} (which reads {@link #withTags}); a server that refuses the
   * listing with metadata (HTTP 400, 405 or 501) is asked again without it.
   */
  private <T> T ask(String what, Supplier<T> request) {
    while (true) {
      try {
        return request.get();
      } catch (SdkException e) {
        if (!(withTags
            && e instanceof S3Exception s
            && (s.statusCode() == 400 || s.statusCode() == 405 || s.statusCode() == 501))) {
          throw bucket.fail(what, null, e);
        }
        withTags = false;
      }
    }
  }

  /**
   * Stops asking for tags once a page's objects come without them (a server that ignores the
   * parameter: its tokens and markers are those of plain pages, so the listing goes on from them).
   */
  private void checkTags(ListingXml.Page p) {
    if (!withTags) return;
    for (ListedObject o : p.objects()) {
      if (!o.deleteMarker()) {
        if (o.tags() == null) withTags = false;
        return;
      }
    }
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
