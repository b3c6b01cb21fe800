package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Restores a bucket snapshot into a bucket: the current objects of the snapshot under the
 * destination's prefix, as they were. The destination is listed and merged with the snapshot by
 * name; an object already there with the same content (same ETag, or roadie's SHA-256 in its user
 * metadata), headers and user metadata is left alone, one whose tags alone differ gets its tags,
 * anything else is written (with its headers, user metadata, tags and roadie's SHA-256; in parts of
 * the original sizes when it was uploaded in parts, so its ETag comes out the same). Objects the
 * snapshot does not have are counted, and deleted with {@code deleteExtra}.
 */
final class BucketRestore {
  static final int WORKERS = 16;

  /** The longest key S3 allows, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 1024;

  private final Repository repo;
  private final SnapshotRef snapshot;
  private final Progress progress;
  private final BucketRestoreOptions options;
  private final BucketLocation to;

  private final AtomicLong written = new AtomicLong();
  private final AtomicLong replaced = new AtomicLong();
  private final AtomicLong tagged = new AtomicLong();
  private final AtomicLong unchanged = new AtomicLong();
  private final AtomicLong extra = new AtomicLong();
  private final AtomicLong deleted = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  BucketRestore(
      Repository repo,
      SnapshotRef snapshot,
      Progress progress,
      BucketRestoreOptions options,
      BucketLocation to) {
    this.repo = repo;
    this.snapshot = snapshot;
    this.progress = progress;
    this.options = options;
    this.to = to;
  }

  RestoreResult run() throws IOException {
    BucketMetadata meta = SourceMetadata.of(snapshot.snapshot(), BucketMetadata.class);
    KeyPattern pattern = options.pattern();
    Providers.expect(meta.bytes() == null ? -1 : meta.bytes());
    checkKeyLengths(meta, pattern);
    try (Bucket bucket = Bucket.open(to)) {
      boolean created = bucket.createIfMissing();
      Workers workers = new Workers(repo.io(), WORKERS);
      try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern);
          ObjectListing there = bucket.list(false)) {
        ListedObject x = nextIncluded(there, pattern);
        while (entries.hasNext() || x != null) {
          SnapshotEntries.Entry s = entries.peek();
          int c =
              s == null ? 1 : x == null ? -1 : Keys.compare(s.object().name(), to.name(x.key()));
          if (c < 0) {
            entries.next();
            workers.submit(() -> write(bucket, s, false));
          } else if (c > 0) {
            ListedObject extraObject = x;
            extra.incrementAndGet();
            if (options.deleteExtra()) {
              workers.submit(
                  () -> {
                    bucket.delete(extraObject.key());
                    deleted.incrementAndGet();
                  });
            }
            x = nextIncluded(there, pattern);
          } else {
            entries.next();
            ListedObject existing = x;
            workers.submit(() -> compare(bucket, s, existing));
            x = nextIncluded(there, pattern);
          }
        }
        workers.finish();
      } catch (IOException | RuntimeException e) {
        workers.await();
        throw partly(e);
      }
      return result(meta, created);
    }
  }

  /**
   * Refuses, before anything is written, a destination prefix longer than the backed-up one that
   * would make some key longer than S3 allows.
   */
  private void checkKeyLengths(BucketMetadata meta, KeyPattern pattern) throws IOException {
    int added = utf8(to.prefix()) - utf8(meta.prefix() == null ? "" : meta.prefix());
    if (added <= 0) return;
    try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern)) {
      while (entries.hasNext()) {
        String name = entries.next().object().name();
        int length = utf8(to.key(name));
        if (length > MAX_KEY_BYTES) {
          throw new RoadieException(
              ErrorCode.USAGE,
              to
                  + ": object '"
                  + name
                  + "' would get a key of "
                  + length
                  + " bytes there, more than the 1,024 S3 allows; restore to a shorter prefix, or leave it out with "
                  + "--include; nothing was written");
        }
      }
    }
  }

  private static int utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private ListedObject nextIncluded(ObjectListing listing, KeyPattern pattern) {
    while (listing.hasNext()) {
      ListedObject x = listing.next();
      if (pattern.matches(to.name(x.key()))) return x;
    }
    return null;
  }

  /** Leaves, re-tags or rewrites an object that is at the destination already. */
  private void compare(Bucket bucket, SnapshotEntries.Entry e, ListedObject x) throws IOException {
    SnapshotObject s = e.object();
    String key = to.key(s.name());
    HeadObjectResponse h = bucket.head(key, null);
    if (h == null) {
      write(bucket, e, false);
      return;
    }
    ObjectHeaders there = ObjectHeaders.of(h);
    String etag = ListedObject.unquote(h.eTag());
    boolean sameContent =
        s.size() == (h.contentLength() == null ? -1 : h.contentLength())
            && ((s.etag() != null && s.etag().equals(etag))
                || (s.sha256() != null && s.sha256().equals(there.sha256())));
    // Headers as a server keeps them, and exactly the user metadata of the snapshot's object.
    ObjectHeaders wanted = options.headers(s);
    boolean sameHeaders = wanted.sameAs(there) && wanted.metadata().equals(there.metadata());
    if (!sameContent || !sameHeaders) {
      write(bucket, e, true);
      return;
    }
    int tagCount = h.tagCount() == null ? 0 : h.tagCount();
    if (!s.tags().isEmpty() || tagCount > 0) {
      Map<String, String> tags = bucket.tags(key, null);
      if (!tags.equals(s.tags())) {
        bucket.putTags(key, s.tags());
        tagged.incrementAndGet();
        return;
      }
    }
    unchanged.incrementAndGet();
  }

  private void write(Bucket bucket, SnapshotEntries.Entry e, boolean replacing) throws IOException {
    SnapshotObject s = e.object();
    String key = to.key(s.name());
    progress.current = key;
    RepositoryStream content = new RepositoryStream(repo, e.node(), "object " + s.describe());
    PartLayout parts =
        ListedObject.isMultipartEtag(s.etag())
            ? PartLayout.of(s.size(), s.partSize(), s.partSizes())
            : null;
    try {
      // The headers and user metadata as they were, nothing added: a restored object is the
      // original's equal. Its ETag comes out as the original's (parts of the same sizes), which is
      // what a later restore compares.
      bucket.put(key, s.size(), content, options.headers(s), s.tags(), parts);
    } catch (IOException | RuntimeException failure) {
      // The repository's own failure (a damaged blob) is what to report, not the upload it broke.
      Throwable cause = content.failure();
      if (cause instanceof RoadieException r) throw r;
      if (cause instanceof IOException io) throw io;
      if (failure instanceof UncheckedIOException u) throw u.getCause();
      throw failure;
    }
    (replacing ? replaced : written).incrementAndGet();
    bytes.addAndGet(s.size());
    progress.bytesRead.addAndGet(s.size());
    progress.files.incrementAndGet();
  }

  /** A failure part-way, saying what the destination holds now and how to finish. */
  private RoadieException partly(Throwable e) {
    String done =
        (written.get() + replaced.get())
            + " objects written, "
            + unchanged.get()
            + " found unchanged"
            + (deleted.get() > 0 ? ", " + deleted.get() + " deleted" : "");
    String msg =
        e.getMessage()
            + "; the restore to "
            + to
            + " stopped ("
            + done
            + " so far): objects not yet "
            + "written are missing or old there, none is half-written; run the restore again to finish it (it writes "
            + "only what differs)";
    ErrorCode code = e instanceof RoadieException r ? r.code() : ErrorCode.FAILURE;
    return code == ErrorCode.TEMPORARY
        ? new RoadieException.Retriable(msg, e)
        : new RoadieException(code, msg, e);
  }

  private RestoreResult result(BucketMetadata meta, boolean created) {
    List<RestoreResult.Count> counts = new ArrayList<>();
    counts.add(
        RestoreResult.Count.of(
            written.get() + replaced.get(), "object written", "objects written"));
    counts.add(RestoreResult.Count.of(unchanged.get(), "unchanged", "unchanged"));
    if (tagged.get() > 0)
      counts.add(RestoreResult.Count.of(tagged.get(), "re-tagged", "re-tagged"));
    if (deleted.get() > 0)
      counts.add(RestoreResult.Count.of(deleted.get(), "extra deleted", "extra deleted"));
    List<String> notes = new ArrayList<>();
    if (created) notes.add("created the bucket " + to.bucket());
    if (replaced.get() > 0) {
      notes.add(
          replaced.get() + " of the objects written replaced a different object of the same key");
    }
    long left = extra.get() - deleted.get();
    if (left > 0) {
      notes.add(
          left
              + (left == 1 ? " object" : " objects")
              + " under "
              + to
              + " that the snapshot does not have "
              + (left == 1 ? "was" : "were")
              + " left in place (--delete-extra removes them)");
    } else if (deleted.get() > 0) {
      notes.add(
          "deleted "
              + deleted.get()
              + (deleted.get() == 1 ? " object" : " objects")
              + " under "
              + to
              + " that the snapshot does not have");
    }
    if (meta.skippedOrZero() > 0) {
      notes.add(
          "the snapshot is incomplete: "
              + meta.skippedOrZero()
              + " objects changed or disappeared while it "
              + "was taken and are not in it (see source.skipped in 'roadie snapshots --json')");
    }
    return new RestoreResult(to.toString(), counts, bytes.get(), notes);
  }
}
