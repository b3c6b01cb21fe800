package dev.roadie.bucket.mirror;

import dev.roadie.bucket.Keys;
import dev.roadie.bucket.ListedObject;
import dev.roadie.bucket.mirror.MirrorReport.Kind;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CreateBucketConfiguration;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One mirror pass from a source bucket (or prefix) to a destination, or a read-only check of the
 * two. Both sides are listed in key order and merged; objects only in the source are copied,
 * objects on both sides are compared by {@link MirrorMetadata}'s rule (no object is read for that)
 * and copied again when they differ, objects only in the destination are deleted with {@code
 * delete} once the source's listing is complete, and kept (reported) otherwise.
 */
public final class BucketMirror {
  /**
   * @param delete remove destination objects the source does not have
   * @param allowEmptySource with {@code delete}, also when the source lists nothing at all (else
   *     refused: a mistyped prefix must not empty the destination)
   * @param parallel objects copied or compared at once
   * @param memoryBudget bytes that the buffers of all copies together may hold
   * @param tags list both sides with their tags where the server offers it (MinIO), so that a
   *     change of tags alone, which changes neither ETag nor time, is found and mirrored
   * @param storageClass the storage class of every object the mirror writes, or null for the source
   *     object's own (objects already current are not rewritten for it)
   */
  public record Options(
      boolean delete,
      boolean allowEmptySource,
      int parallel,
      long memoryBudget,
      boolean tags,
      String storageClass) {
    public Options {
      if (parallel < 1 || parallel > 256) {
        throw new RoadieException(
            ErrorCode.USAGE, "--parallel must be from 1 to 256, not " + parallel);
      }
    }

    public Options(boolean delete, boolean allowEmptySource, int parallel, long memoryBudget) {
      this(delete, allowEmptySource, parallel, memoryBudget, false, null);
    }

    public static Options defaults(boolean delete) {
      return new Options(delete, false, 16, 256L << 20);
    }
  }

  /** Told of every object as it is done (from several threads at once). */
  public interface Listener {
    void done(Kind kind, String key, String reason, long bytes);
  }

  private final MirrorSide source;
  private final MirrorSide destination;
  private final Options options;

  /**
   * A mirror lists the source plainly: the rule needs only its ETags, times and sizes, and MinIO's
   * listing with metadata costs more (the server reads and sends every object's metadata; a pass
   * over 10,000 unchanged objects took 40% longer with both sides so listed). With {@link
   * Options#tags}, and for a check, which compares metadata and tags too, it lists the source with
   * them where offered.
   */
  private final BucketLister sourceLister;

  /**
   * A mirror lists the destination plainly too, since equal single-part ETags settle most objects
   * ({@link MirrorMetadata#sameByEtag}); once {@value #HEADS_BEFORE_METADATA} objects had to be
   * asked for their metadata one by one (multipart or encrypted objects, whose ETags are no MD5),
   * it asks for the listing with metadata where the server offers it; with {@link Options#tags}
   * (and for a check) from the start.
   */
  private final BucketLister destinationLister;

  private final BucketLister sourceCheckLister;
  private final BucketLister destinationCheckLister;
  static final int HEADS_BEFORE_METADATA = 100;
  private final AtomicInteger destinationHeads = new AtomicInteger();
  private final ObjectCopier copier;
  private final Listener listener;
  private volatile boolean cancelled;
  private final boolean extensions;

  public BucketMirror(
      MirrorSide source, MirrorSide destination, Options options, Listener listener) {
    this(source, destination, options, listener, source.sameServiceAs(destination), true);
  }

  /**
   * With {@code serverSide} false, bytes pass through roadie even where the server could copy them;
   * with {@code listingExtension} false, both sides are treated as S3 servers without MinIO's
   * extensions (listings without metadata, no notifications).
   */
  BucketMirror(
      MirrorSide source,
      MirrorSide destination,
      Options options,
      Listener listener,
      boolean serverSide,
      boolean listingExtension) {
    this.source = source;
    this.destination = destination;
    this.options = options;
    this.extensions = listingExtension;
    this.sourceCheckLister = new BucketLister(source, listingExtension);
    this.destinationCheckLister = new BucketLister(destination, listingExtension);
    this.sourceLister = options.tags() ? sourceCheckLister : new BucketLister(source, false);
    this.destinationLister =
        options.tags()
            ? destinationCheckLister
            : new BucketLister(destination, listingExtension, false);
    this.copier =
        new ObjectCopier(
            source, destination, serverSide, options.memoryBudget(), options.storageClass());
    this.listener = listener;
  }

  public MirrorSide source() {
    return source;
  }

  public MirrorSide destination() {
    return destination;
  }

  /** The source's change notifications, where its server offers them. */
  BucketEvents sourceEvents() {
    return new BucketEvents(source, extensions);
  }

  /** Makes the destination bucket when it does not exist; true when it made it. */
  public boolean createDestinationBucket() {
    try {
      destination.requests().headBucket(destination.bucket());
      return false;
    } catch (S3Exception e) {
      // 403 (a HEAD's answer has no body to say why): refused credentials, or a user who may write
      // but not look the bucket up. The listing and the writes that follow tell which.
      if (e.statusCode() == 403) return false;
      if (e.statusCode() != 404) throw S3Failures.of(destination, "look up", "", e);
    } catch (SdkException e) {
      throw S3Failures.of(destination, "look up", "", e);
    }
    requireSourceBucket();
    try {
      Region region = destination.client().region();
      destination
          .s3()
          .createBucket(
              r -> {
                r.bucket(destination.bucket());
                if (destination.settings().endpoint() == null && !Region.US_EAST_1.equals(region)) {
                  r.createBucketConfiguration(
                      CreateBucketConfiguration.builder().locationConstraint(region.id()).build());
                }
              });
      return true;
    } catch (BucketAlreadyOwnedByYouException e) {
      return false;
    } catch (SdkException e) {
      throw S3Failures.of(destination, "create the bucket", "", e);
    }
  }

  /**
   * Refuses a source bucket that does not exist, before a destination bucket is made for it (a
   * mistyped source would leave an empty bucket behind). Other answers (a 403 to a user who may
   * list but not look the bucket up) are left to the listing, which says what is wrong.
   */
  private void requireSourceBucket() {
    try {
      source.requests().headBucket(source.bucket());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) throw S3Failures.noSuchBucket(source, e);
    } catch (SdkException e) {
      throw S3Failures.of(source, "look up", "", e);
    }
  }

  /**
   * Ends a pass in progress (from another thread): no object is started after this, the copies in
   * hand finish, nothing is deleted, and the pass's report says it stopped.
   */
  public void cancel() {
    cancelled = true;
  }

  /** One pass: copies what differs, deletes extras with {@link Options#delete}. */
  public MirrorReport mirror() throws InterruptedException {
    return pass(false);
  }

  /** Compares the two sides and changes nothing. */
  public MirrorReport check() throws InterruptedException {
    return pass(true);
  }

  private MirrorReport pass(boolean check) throws InterruptedException {
    MirrorReport report = new MirrorReport();
    Listener out = reporting(report);
    List<String> extras = new ArrayList<>();
    long sourceObjects = 0;
    Slots slots = new Slots(options.parallel());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        BucketLister.Listing src = (check ? sourceCheckLister : sourceLister).list();
        BucketLister.Listing dst = check ? destinationOrEmpty() : destinationLister.list()) {
      try {
        ListingEntry s = next(src);
        ListingEntry d = next(dst);
        while ((s != null || d != null) && !report.stopped()) {
          if (cancelled) {
            report.stop("stopped");
            break;
          }
          int order =
              s == null
                  ? 1
                  : d == null
                      ? -1
                      : Keys.ORDER.compare(source.relative(s.key()), destination.relative(d.key()));
          if (order < 0) {
            sourceObjects++;
            ListingEntry only = s;
            submit(
                pool,
                slots,
                report,
                only.key(),
                () -> {
                  if (check) {
                    out.done(Kind.MISSING, source.relative(only.key()), null, 0);
                  } else {
                    copy(only, Kind.COPIED, "new", out);
                  }
                });
            s = next(src);
          } else if (order > 0) {
            extras.add(destination.relative(d.key()));
            d = next(dst);
          } else if (!check && current(s, d) && !tagsDiffer(s, d)) {
            // Settled by the listings alone: no request, so no task to wait for a slot.
            sourceObjects++;
            out.done(Kind.UNCHANGED, source.relative(s.key()), null, 0);
            s = next(src);
            d = next(dst);
          } else {
            sourceObjects++;
            ListingEntry a = s;
            ListingEntry b = d;
            submit(
                pool,
                slots,
                report,
                a.key(),
                () -> {
                  if (check) {
                    compare(a, b, out);
                  } else {
                    update(a, b, out);
                  }
                });
            s = next(src);
            d = next(dst);
          }
        }
      } catch (RoadieException.Retriable e) {
        // A listing that cannot go on: what was started finishes, nothing is deleted.
        report.stop(e.getMessage());
      } catch (RuntimeException | InterruptedException e) {
        pool.shutdownNow();
        throw e;
      }
    }
    if (cancelled && !report.stopped()) report.stop("stopped");
    if (report.stopped()) return report;
    if (check || !options.delete()) {
      for (String key : extras) out.done(Kind.EXTRA, key, check ? null : "kept (no --delete)", 0);
    } else {
      if (sourceObjects == 0 && !extras.isEmpty() && !options.allowEmptySource()) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            source.describe()
                + " lists no objects: refusing to delete the "
                + extras.size()
                + " objects of the "
                + destination.describe()
                + " (a wrong prefix or bucket?); "
                + "if the source is meant to be empty, pass --allow-empty-source");
      }
      deleteAll(extras, out);
    }
    return report;
  }

  private Listener reporting(MirrorReport report) {
    return (kind, key, reason, bytes) -> {
      report.add(kind, key, reason, bytes);
      listener.done(kind, key, reason, bytes);
    };
  }

  /**
   * Brings one object (a key relative to the prefixes) up to date, as a pass would: copied when the
   * destination lacks it or holds another version, deleted (with {@link Options#delete}) when the
   * source no longer has it. For a watch, told of a change by a notification.
   *
   * @throws RoadieException.Retriable when a side is out of reach
   */
  public void sync(String relative, MirrorReport report) throws InterruptedException {
    Listener out = reporting(report);
    String key = source.key(relative);
    String dstKey = destination.key(relative);
    try {
      HeadObjectResponse s = headOrNull(source, key);
      if (s == null) {
        if (options.delete() && headOrNull(destination, dstKey) != null) delete(relative, out);
        return;
      }
      ListingEntry listed =
          new ListingEntry(
              key,
              s.contentLength(),
              ListedObject.unquote(s.eTag()),
              s.lastModified(),
              null,
              null,
              null);
      HeadObjectResponse d = headOrNull(destination, dstKey);
      if (d == null) {
        copy(listed, Kind.COPIED, "new", out);
        return;
      }
      String reason =
          MirrorMetadata.staleReason(listed, d.contentLength(), MirrorMetadata.lower(d.metadata()));
      if (reason != null) {
        copy(listed, Kind.UPDATED, reason, out);
        return;
      }
      // A notification may be of tags alone (MinIO's s3:ObjectCreated:PutTagging).
      retag(key, dstKey, tagCount(s), tagCount(d), out);
    } catch (RoadieException.Retriable e) {
      throw e;
    } catch (RoadieException e) {
      out.done(Kind.FAILED, relative, e.getMessage(), 0);
    }
  }

  private BucketLister.Listing destinationOrEmpty() {
    // A check of a destination that does not exist yet finds every object missing.
    try {
      destination.requests().headBucket(destination.bucket());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) return destinationCheckLister.empty();
    } catch (SdkException e) {
      throw S3Failures.of(destination, "look up", "", e);
    }
    return destinationCheckLister.list();
  }

  private static ListingEntry next(Iterator<ListingEntry> it) {
    return it.hasNext() ? it.next() : null;
  }

  private interface Task {
    void run() throws InterruptedException;
  }

  /**
   * The limits on a pass's tasks: at most {@code parallel} run at once, and a backlog of up to
   * {@value #BACKLOG} times that wait for their turn. The backlog lets the merge of the listings,
   * and so the listings themselves, go on while slow copies hold every running slot (it stalled
   * them, and a pass took the listing's time plus the copies' rather than the longer of the two);
   * its bound keeps the memory of waiting tasks small.
   */
  private static final class Slots {
    static final int BACKLOG = 64;
    final Semaphore queued;
    final Semaphore running;

    Slots(int parallel) {
      queued = new Semaphore(parallel * BACKLOG);
      running = new Semaphore(parallel);
    }
  }

  /**
   * Runs {@code task} on a virtual thread once a slot is free (waiting here only while the backlog
   * is full); its failure becomes a FAILED item, and a side out of reach stops the pass.
   */
  private void submit(ExecutorService pool, Slots slots, MirrorReport report, String key, Task task)
      throws InterruptedException {
    Listener out = reporting(report);
    slots.queued.acquire();
    pool.execute(
        () -> {
          boolean running = false;
          try {
            slots.running.acquire();
            running = true;
            // A pass stopped or cancelled meanwhile starts no more of its backlog.
            if (!report.stopped() && !cancelled) task.run();
          } catch (RoadieException e) {
            out.done(Kind.FAILED, source.relative(key), e.getMessage(), 0);
            if (e instanceof RoadieException.Retriable) report.stop(e.getMessage());
            else if (copier.refusesEveryCopy(e)) report.stopForGood(e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            out.done(Kind.FAILED, source.relative(key), "internal error: " + e, 0);
          } finally {
            if (running) slots.running.release();
            slots.queued.release();
          }
        });
  }

  /** Copies {@code src}, reported as {@code kind} for {@code reason}. */
  private void copy(ListingEntry src, Kind kind, String reason, Listener out)
      throws InterruptedException {
    String key = source.relative(src.key());
    try {
      long bytes = copier.copy(src);
      out.done(kind, key, reason, bytes);
    } catch (ObjectCopier.SourceGone e) {
      out.done(Kind.SKIPPED, key, "deleted from the source after it was listed", 0);
    }
  }

  /**
   * Whether the listings alone show the destination's object current: equal single-part ETags, or
   * the recorded identity where the destination was listed with its metadata.
   */
  static boolean current(ListingEntry src, ListingEntry dst) {
    return MirrorMetadata.sameByEtag(src, dst)
        || (dst.metadata() != null
            && !MirrorMetadata.writtenAfter(src, dst)
            && MirrorMetadata.staleReason(src, dst.size(), dst.metadata()) == null);
  }

  /**
   * Both sides have the object, and the listings did not show it {@link #current}: copies it again
   * if the destination's is not current.
   */
  private void update(ListingEntry src, ListingEntry dst, Listener out)
      throws InterruptedException {
    // Stale for certain, no need to ask the destination for its recorded identity: another size,
    // or a source written after the destination's copy was made (on servers whose clocks differ
    // this can only copy once more than needed, never skip a copy).
    if (src.size() != dst.size()) {
      copy(src, Kind.UPDATED, "size differs", out);
      return;
    }
    if (MirrorMetadata.writtenAfter(src, dst)) {
      copy(src, Kind.UPDATED, "changed at the source", out);
      return;
    }
    Map<String, String> dstMetadata = dst.metadata();
    if (dstMetadata == null) {
      if (destinationHeads.incrementAndGet() == HEADS_BEFORE_METADATA)
        destinationLister.preferMetadata();
      HeadObjectResponse h = headOrNull(destination, dst.key());
      if (h == null) {
        copy(src, Kind.COPIED, "new", out);
        return;
      }
      dstMetadata = MirrorMetadata.lower(h.metadata());
    }
    String reason = MirrorMetadata.staleReason(src, dst.size(), dstMetadata);
    if (reason != null) {
      copy(src, Kind.UPDATED, reason, out);
    } else if (tagsDiffer(src, dst)) {
      retag(src.key(), dst.key(), null, null, out);
    } else {
      out.done(Kind.UNCHANGED, source.relative(src.key()), null, 0);
    }
  }

  /** Whether both listings told the object's tags, and they differ. */
  private static boolean tagsDiffer(ListingEntry src, ListingEntry dst) {
    return src.tags() != null && dst.tags() != null && !src.tags().equals(dst.tags());
  }

  /**
   * Gives the destination's object {@code dstKey}, which holds the source's bytes, the tags of the
   * source's {@code srcKey} when they differ, as both objects tell them ({@code srcCount} and
   * {@code dstCount}: their tag counts where known, else null). What the listings showed is only a
   * pointer: MinIO's listing leaves the tags out for a user who may not read them, which must not
   * clear the other side's.
   */
  private void retag(
      String srcKey, String dstKey, Integer srcCount, Integer dstCount, Listener out) {
    String key = source.relative(srcKey);
    Map<String, String> tags = tagsOf(source, srcKey, srcCount);
    Map<String, String> there = tagsOf(destination, dstKey, dstCount);
    if (tags == null || there == null) {
      out.done(Kind.SKIPPED, key, "deleted after it was listed", 0);
    } else if (tags.equals(there)) {
      out.done(Kind.UNCHANGED, key, null, 0);
    } else {
      try {
        copier.putTags(dstKey, tags);
        out.done(Kind.UPDATED, key, "tags changed at the source", 0);
      } catch (SdkException e) {
        if (!S3Failures.isNotFound(e)) throw S3Failures.of(destination, "tag", dstKey, e);
        out.done(Kind.SKIPPED, key, "deleted from the destination after it was listed", 0);
      }
    }
  }

  /**
   * Whether the tags of the two objects differ as the objects themselves tell them, for listings
   * that showed different tags (see {@link #retag}); false when either is gone.
   */
  private boolean tagsDifferAsked(ListingEntry src, ListingEntry dst) {
    Map<String, String> a = tagsOf(source, src.key(), null);
    Map<String, String> b = tagsOf(destination, dst.key(), null);
    return a != null && b != null && !a.equals(b);
  }

  /** A HEAD's tag count: S3 sends none for an object without tags. */
  private static int tagCount(HeadObjectResponse h) {
    return h.tagCount() == null ? 0 : h.tagCount();
  }

  /**
   * The tags of {@code key} on {@code side}, or null if it is gone; not asked for when {@code
   * count} (the object's tag count, null: unknown) is 0.
   */
  private static Map<String, String> tagsOf(MirrorSide side, String key, Integer count) {
    if (count != null && count == 0) return Map.of();
    try {
      Map<String, String> tags = new TreeMap<>();
      side.s3()
          .getObjectTagging(r -> r.bucket(side.bucket()).key(key))
          .tagSet()
          .forEach(t -> tags.put(t.key(), t.value()));
      return tags;
    } catch (SdkException e) {
      if (S3Failures.isNotFound(e)) return null;
      throw S3Failures.of(side, "read the tags of", key, e);
    }
  }

  private static HeadObjectResponse headOrNull(MirrorSide side, String key) {
    try {
      return side.requests().headObject(side.bucket(), key, null);
    } catch (SdkException e) {
      if (S3Failures.isNotFound(e)) return null;
      throw S3Failures.of(side, "read", key, e);
    }
  }

  private void deleteAll(List<String> extras, Listener out) throws InterruptedException {
    Semaphore slots = new Semaphore(options.parallel());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (String key : extras) {
        slots.acquire();
        pool.execute(
            () -> {
              try {
                delete(key, out);
              } finally {
                slots.release();
              }
            });
      }
    }
  }

  private void delete(String key, Listener out) {
    String dstKey = destination.key(key);
    try {
      destination.requests().deleteObject(destination.bucket(), dstKey);
      out.done(Kind.DELETED, key, "not in the source", 0);
    } catch (SdkException e) {
      out.done(Kind.FAILED, key, S3Failures.of(destination, "delete", dstKey, e).getMessage(), 0);
    }
  }

  // --- check ------------------------------------------------------------------------------------

  /**
   * Compares one object of both sides: size, content (SHA-256), user metadata, Content-Type, tags.
   */
  private void compare(ListingEntry src, ListingEntry dst, Listener out)
      throws InterruptedException {
    String key = source.relative(src.key());
    Described s = describe(source, src);
    Described d = describe(destination, dst);
    if (s == null) {
      out.done(Kind.EXTRA, key, null, 0); // deleted from the source since it was listed
      return;
    }
    if (d == null) {
      out.done(Kind.MISSING, key, null, 0);
      return;
    }
    if (src.size() != dst.size()) {
      out.done(
          Kind.DIFFERENT,
          key,
          "size: " + src.size() + " in the source, " + dst.size() + " in the destination",
          0);
      return;
    }
    if (MirrorMetadata.staleReason(src, dst.size(), d.metadata) != null) {
      // Not copied by roadie from this version of the source: compare the bytes.
      try {
        String dstSha = MirrorMetadata.sha256(d.metadata);
        byte[] a = copier.hash(source, src.key(), src.etag());
        byte[] b =
            dstSha != null
                ? java.util.HexFormat.of().parseHex(dstSha)
                : copier.hash(destination, dst.key(), dst.etag());
        if (!java.security.MessageDigest.isEqual(a, b)) {
          out.done(Kind.DIFFERENT, key, "content differs (SHA-256)", 0);
          return;
        }
      } catch (ObjectCopier.SourceGone | ObjectCopier.Changed e) {
        out.done(Kind.FAILED, key, "changed while it was compared; check again", 0);
        return;
      }
    }
    // As values: a listing with metadata shows what the server stores, a HEAD the RFC 2047 form of
    // a value that is not ASCII, which is also what a copy of it stores.
    if (!MirrorMetadata.decoded(MirrorMetadata.withoutRoadie(s.metadata))
        .equals(MirrorMetadata.decoded(MirrorMetadata.withoutRoadie(d.metadata)))) {
      out.done(Kind.DIFFERENT, key, "user metadata differs", 0);
    } else if (!Objects.equals(s.contentType, d.contentType)) {
      out.done(
          Kind.DIFFERENT,
          key,
          "Content-Type: "
              + s.contentType
              + " in the source, "
              + d.contentType
              + " in the destination",
          0);
    } else if (!s.tags.equals(d.tags) && tagsDifferAsked(src, dst)) {
      out.done(Kind.DIFFERENT, key, "tags differ", 0);
    } else {
      out.done(Kind.UNCHANGED, key, null, 0);
    }
  }

  private record Described(
      Map<String, String> metadata, String contentType, Map<String, String> tags) {}

  /**
   * The metadata and tags of a listed object: from the listing, else asked of the object; null when
   * gone.
   */
  private static Described describe(MirrorSide side, ListingEntry o) {
    if (o.hasMetadata() && o.tags() != null)
      return new Described(o.metadata(), o.contentType(), o.tags());
    HeadObjectResponse h = headOrNull(side, o.key());
    if (h == null) return null;
    ObjectState state = ObjectState.of(h);
    Map<String, String> tags = tagsOf(side, o.key(), state.tagCount());
    if (tags == null) return null;
    return new Described(
        MirrorMetadata.lower(state.headers().metadata()), state.headers().contentType(), tags);
  }
}
