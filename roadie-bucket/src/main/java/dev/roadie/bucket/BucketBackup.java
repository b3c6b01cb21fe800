package dev.roadie.bucket;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.SourceMetadata;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Backs up the objects under a bucket location into one snapshot.
 *
 * <p>The listing is streamed and merged, key by key, with the object list of the parent snapshot
 * (the newest snapshot of the same target, location and mode), which is read page by page in the
 * same order: an object whose key, version, size, ETag and last-modified time are unchanged takes
 * its recorded entry and chunks without being downloaded, provided every chunk is still stored
 * where this backup may reference it. Other objects are downloaded, several at once on virtual
 * threads, each streamed through the engine (large chunks, deduplicated across keys, buckets and
 * snapshots) while roadie hashes it with SHA-256. Results are written in listing order into the
 * snapshot's pages ({@link ObjectPages}), so memory stays flat for any number of keys.
 *
 * <p>A download asks for the listed ETag (If-Match). An object that changed since the listing is
 * read again as it is now, up to {@value #ATTEMPTS} times; one that still changes, or disappeared,
 * is left out and recorded in {@code source.skipped}: the snapshot is written and says it is
 * incomplete. Anything else that fails (permissions, the repository) fails the backup: no snapshot.
 */
final class BucketBackup {
  /** Downloads at once: enough to hide request latency, within the client's connections. */
  static final int DOWNLOADS = 16;

  /**
   * Objects in flight between the listing and the pages (downloading, or done and waiting their
   * turn).
   */
  static final int WINDOW = 2048;

  static final int ATTEMPTS = 3;
  static final int SKIPPED_RECORDED = 1000;
  static final int SKIPPED_WARNED = 20;

  /**
   * For tests: runs before each attempt to read an object, with its key (to change or delete it
   * under the backup).
   */
  static volatile java.util.function.Consumer<String> beforeRead = key -> {};

  private final BackupRequest request;
  private final Repository repo;
  private final Progress progress;
  private final BucketBackupOptions options;
  private final BucketLocation where;
  private final AtomicBoolean failed = new AtomicBoolean();

  private long objects;
  private long bytes;
  private long versions;
  private long deleteMarkers;
  private long unchangedObjects;
  private long unchangedBytes;
  private long skippedCount;
  private final List<BucketMetadata.Skipped> skipped = new ArrayList<>();

  /** Bytes of the objects listed for download so far. */
  private long toRead;

  private boolean cryptoExpected;

  /** Whether a request for an object's tags failed ({@link #tagsNow}). */
  private boolean tagsRefused;

  BucketBackup(BackupRequest request) {
    this.request = request;
    this.repo = request.repository();
    this.progress = request.progress();
    this.options = request.options(BucketBackupOptions.class);
    this.where = options.location();
  }

  /** One listed entry, done: its node, or why it is not in the snapshot. */
  private record Done(Node node, BucketMetadata.Skipped skipped) {}

  BackupResult run() throws IOException {
    String target = request.targetOr(where.target());
    PreparedBucket.Ready prepared = options.prepared() != null ? options.prepared().take() : null;
    // The prepared bucket is its caller's to close.
    try (Bucket owned = prepared == null ? Bucket.open(where) : null) {
      Bucket bucket = prepared == null ? owned : prepared.bucket();
      // Missing bucket, wrong credentials, no permission to list: said before anything is written
      // (a prepared bucket was checked so).
      if (prepared == null) bucket.checkReadable();
      try (BackupWriter w = new BackupWriter(repo, progress)) {
        SnapshotRef parent = options.force() ? null : parent(target);
        if (parent == null) {
          // Every object is read: the native AES-GCM is worth loading from the start (Providers).
          Providers.preload();
          cryptoExpected = true;
        }
        Id root;
        try (ObjectListing listing =
                prepared == null ? bucket.listWithTags(options.allVersions()) : prepared.listing();
            ParentObjects before = new ParentObjects(repo, parent)) {
          root = backup(bucket, w, listing, before);
        }
        BucketMetadata meta =
            new BucketMetadata(
                where.toString(),
                where.bucket(),
                where.prefix(),
                options.allVersions(),
                objects,
                bytes,
                versions,
                deleteMarkers,
                unchangedObjects,
                unchangedBytes,
                skippedCount,
                skipped.isEmpty() ? null : List.copyOf(skipped));
        Id id =
            w.commit(
                request.draft(
                    where.target(),
                    List.of(where.toString()),
                    root,
                    parent == null ? null : parent.id(),
                    meta));
        return new BackupResult(repo.readSnapshot(id), warnings());
      }
    }
  }

  private List<String> warnings() {
    List<String> out = new ArrayList<>();
    for (BucketMetadata.Skipped s : skipped) {
      if (out.size() == SKIPPED_WARNED) break;
      out.add(where + ": " + s.describe() + "; the snapshot does not hold it");
    }
    if (skippedCount > out.size()) {
      out.add(
          (skippedCount - out.size())
              + " more objects were not captured (the first "
              + skipped.size()
              + " are listed in the snapshot's source.skipped)");
    }
    if (skippedCount > 0) {
      out.add(
          "the snapshot is incomplete: "
              + skippedCount
              + (skippedCount == 1 ? " object" : " objects")
              + " changed or disappeared while the backup read them; run the backup again to capture them");
    }
    return out;
  }

  /**
   * The parent: the newest bucket snapshot of {@code target} of the same bucket, prefix and mode
   * (with or without versions). Any host: a bucket is not tied to the machine that reads it.
   */
  private SnapshotRef parent(String target) throws IOException {
    SnapshotRef best = null;
    for (SnapshotRef s : repo.snapshots(new ArrayList<>())) {
      if (!BucketSource.KIND.equals(s.snapshot().kind())
          || !target.equals(s.snapshot().target())
          || s.snapshot().tree() == null) {
        continue;
      }
      BucketMetadata m;
      try {
        m = SourceMetadata.of(s.snapshot(), BucketMetadata.class);
      } catch (RuntimeException e) {
        continue;
      }
      if (where.bucket().equals(m.bucket())
          && where.prefix().equals(m.prefix())
          && options.allVersions() == m.versioned()) {
        best = s; // oldest first: the last match is the newest
      }
    }
    return best;
  }

  private Id backup(Bucket bucket, BackupWriter w, ObjectListing listing, ParentObjects before)
      throws IOException {
    ObjectPages.Writer pages = new ObjectPages.Writer(w);
    ArrayDeque<CompletableFuture<Done>> window = new ArrayDeque<>();
    Semaphore downloads = new Semaphore(DOWNLOADS);
    try {
      while (listing.hasNext()) {
        ListedObject o = listing.next();
        String name = where.name(o.key());
        Node earlier = before.find(name, o.versionId());
        Done reused = reuse(bucket, w, earlier, name, o);
        if (reused != null) {
          window.add(CompletableFuture.completedFuture(reused));
        } else if (o.deleteMarker()) {
          window.add(
              CompletableFuture.completedFuture(
                  new Done(
                      new SnapshotObject(
                              name,
                              true,
                              0,
                              null,
                              o.lastModified(),
                              o.versionId(),
                              o.latest(),
                              null,
                              null,
                              null,
                              null,
                              null)
                          .toNode(null),
                      null)));
        } else {
          toRead += o.size();
          if (!cryptoExpected && toRead >= 64L << 20) {
            // A large backup: the native AES-GCM loads now rather than after many packs sealed in
            // the JDK's, still interpreted (Providers).
            Providers.expect(toRead);
            cryptoExpected = true;
          }
          acquire(downloads);
          window.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return download(bucket, w, name, o);
                    } catch (IOException e) {
                      throw new CompletionException(e);
                    } finally {
                      downloads.release();
                    }
                  },
                  repo.io()));
        }
        while (window.size() >= WINDOW || (!window.isEmpty() && window.peek().isDone())) {
          add(pages, join(window.poll()));
        }
      }
      while (!window.isEmpty()) {
        add(pages, join(window.poll()));
      }
      return pages.finish();
    } catch (IOException | RuntimeException e) {
      // Let the downloads in flight end before the writer closes under them.
      failed.set(true);
      for (CompletableFuture<Done> f : window) {
        try {
          f.join();
        } catch (RuntimeException ignored) {
          // the first failure is the one reported
        }
      }
      throw e;
    }
  }

  private static void acquire(Semaphore s) throws IOException {
    try {
      s.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static Done join(CompletableFuture<Done> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) throw io;
      if (c instanceof RuntimeException r) throw r;
      throw new IOException(c);
    }
  }

  private void add(ObjectPages.Writer pages, Done d) throws IOException {
    if (d.skipped() != null) {
      skippedCount++;
      if (skipped.size() < SKIPPED_RECORDED) skipped.add(d.skipped());
      return;
    }
    SnapshotObject o = SnapshotObject.of(d.node());
    if (o.deleteMarker()) {
      deleteMarkers++;
    } else {
      versions++;
      if (o.latest()) {
        objects++;
        bytes += o.size();
      }
    }
    pages.add(d.node());
  }

  /**
   * The parent's entry taken as it is, when the listing shows it unchanged and its chunks are still
   * stored; else null.
   */
  private Done reuse(Bucket bucket, BackupWriter w, Node earlier, String name, ListedObject o)
      throws IOException {
    if (earlier == null) return null;
    SnapshotObject p;
    try {
      p = SnapshotObject.of(earlier);
    } catch (RuntimeException e) {
      return null; // a damaged entry only costs a download
    }
    if (!Objects.equals(p.versionId(), o.versionId()) || p.deleteMarker() != o.deleteMarker())
      return null;
    if (o.deleteMarker()) {
      return new Done(p.withLatest(o.latest()).toNode(null), null);
    }
    if (p.size() != o.size()
        || !Objects.equals(p.etag(), o.etag())
        || !p.lastModified().equals(o.lastModified())
        || p.sha256() == null) {
      return null;
    }
    Content c = w.reuseContent(earlier);
    if (c == null) return null;
    unchangedObjects++;
    unchangedBytes += o.size();
    progress.files.incrementAndGet();
    SnapshotObject now = p.withLatest(o.latest());
    // Tags changed alone (neither ETag nor time changes then), where the listing tells them.
    Map<String, String> tags = tagsNow(bucket, o, p.tags());
    if (!tags.equals(p.tags())) now = now.withTags(tags);
    return new Done(now.toNode(c), null);
  }

  /**
   * The tags to record for an unchanged object that its parent entry recorded with {@code
   * recorded}: the listing's where it tells them. MinIO's listing also leaves the tags out for a
   * user who may read objects but not their tags, so an object recorded with tags that lists none
   * is asked for them; once such a request fails (refused, most likely), the recorded tags are kept
   * from then on, as where the listing tells no tags.
   */
  private Map<String, String> tagsNow(Bucket bucket, ListedObject o, Map<String, String> recorded) {
    Map<String, String> listed = o.tags();
    if (listed == null || listed.equals(recorded)) return recorded;
    if (!listed.isEmpty()) return listed;
    if (tagsRefused) return recorded;
    try {
      return bucket.tags(o.key(), o.versionId());
    } catch (ObjectUnavailableException e) {
      return recorded; // deleted since it was listed: the next backup sees so
    } catch (RoadieException e) {
      tagsRefused = true;
      return recorded;
    }
  }

  /**
   * Downloads one object (or version) into the repository, retrying while it changes under the
   * read.
   */
  private Done download(Bucket bucket, BackupWriter w, String name, ListedObject listed)
      throws IOException {
    ListedObject o = listed;
    String last = "changed while it was read";
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (failed.get())
        return new Done(null, new BucketMetadata.Skipped(o.key(), o.versionId(), "backup failed"));
      progress.current = o.key();
      beforeRead.accept(o.key());
      try (Bucket.Download d = bucket.get(o.key(), o.versionId(), o.etag())) {
        GetObjectResponse r = d.response();
        Sha256.HashingStream in = new Sha256.HashingStream(new ObjectStream(d.stream(), o));
        long expected = r.contentLength() == null ? o.size() : r.contentLength();
        Content c = w.writeStream(in, ChunkerParams.LARGE, expected);
        if (in.count() != expected) {
          throw new ObjectReadException(
              o.describe() + " ended after " + in.count() + " of " + expected + " bytes", null);
        }
        int tagCount = r.tagCount() == null ? 0 : r.tagCount();
        // The listing's tags where it told them and the object still has as many; else asked.
        Map<String, String> tags =
            o.tags() != null && o.tags().size() == tagCount
                ? o.tags()
                : tagCount > 0 ? bucket.tags(o.key(), o.versionId()) : Map.of();
        String etag = r.eTag() != null ? ListedObject.unquote(r.eTag()) : o.etag();
        // A multipart ETag is made of the parts: their lengths are kept to write them again.
        List<Long> parts =
            ListedObject.isMultipartEtag(etag)
                ? bucket.partSizes(o.key(), o.versionId(), etag)
                : null;
        Long partSize = parts == null ? null : parts.get(0);
        List<Long> partSizes =
            parts == null
                    || PartLayout.isUniform(parts)
                    || parts.stream().mapToLong(Long::longValue).sum() != in.count()
                ? null
                : parts;
        progress.files.incrementAndGet();
        SnapshotObject so =
            new SnapshotObject(
                name,
                false,
                in.count(),
                etag,
                o.lastModified(),
                o.versionId(),
                o.latest(),
                in.hex(),
                ObjectHeaders.of(r),
                tags,
                partSize,
                partSizes);
        return new Done(so.toNode(c), null);
      } catch (ObjectUnavailableException e) {
        if (e.gone()) return gone(o);
        last = "changed while it was read (" + ATTEMPTS + " attempts)";
      } catch (ObjectReadException e) {
        last = "could not be read to its end (" + e.getMessage() + ")";
      }
      // Read it again as it is now.
      HeadObjectResponse h = bucket.head(o.key(), o.versionId());
      if (h == null) return gone(o);
      o =
          new ListedObject(
              o.key(),
              h.contentLength(),
              ListedObject.unquote(h.eTag()),
              h.lastModified(),
              o.storageClass(),
              o.versionId(),
              o.latest(),
              false);
    }
    return new Done(null, new BucketMetadata.Skipped(o.key(), o.versionId(), last));
  }

  private static Done gone(ListedObject o) {
    return new Done(
        null, new BucketMetadata.Skipped(o.key(), o.versionId(), "deleted while the backup ran"));
  }

  /**
   * A failure of the object's own stream (not of the repository), so that the object is read again.
   */
  static final class ObjectReadException extends IOException {
    ObjectReadException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** An object's response body, whose failures are told apart from the repository's. */
  private static final class ObjectStream extends FilterInputStream {
    private final ListedObject o;

    ObjectStream(InputStream in, ListedObject o) {
      super(in);
      this.o = o;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException | RuntimeException e) {
        throw new ObjectReadException(o.describe() + ": " + e.getMessage(), e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException | RuntimeException e) {
        throw new ObjectReadException(o.describe() + ": " + e.getMessage(), e);
      }
    }
  }
}
