package dev.roadie.bucket;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A bucket opened, checked and being listed on a virtual thread while the caller opens the
 * repository: the listing's first pages come while the repository's key is derived (a deliberate
 * fraction of a second of CPU), rather than after it, which is a good share of a backup in which
 * little changed. The backup takes it through {@link BucketBackupOptions#prepared}; the caller
 * closes it (also when no backup ran).
 */
public final class PreparedBucket implements AutoCloseable {
  /** The bucket and its listing, not yet read. */
  record Ready(Bucket bucket, ObjectListing listing) {}

  private final BucketLocation where;
  private final boolean allVersions;
  private final CompletableFuture<Ready> ready;
  private final Thread preparing;
  private boolean taken;

  private PreparedBucket(BucketLocation where, boolean allVersions) {
    this.where = where;
    this.allVersions = allVersions;
    this.ready = new CompletableFuture<>();
    this.preparing =
        Thread.ofVirtual()
            .name("bucket-prepare")
            .start(
                () -> {
                  try {
                    Bucket b = Bucket.open(where);
                    try {
                      b.checkReadable();
                      ready.complete(new Ready(b, b.listWithTags(allVersions)));
                    } catch (RuntimeException | Error e) {
                      b.close();
                      throw e;
                    }
                  } catch (Throwable t) {
                    ready.completeExceptionally(t);
                  }
                });
  }

  /** Starts opening {@code where} and listing it (every version with {@code allVersions}). */
  public static PreparedBucket start(BucketLocation where, boolean allVersions) {
    return new PreparedBucket(where, allVersions);
  }

  boolean matches(BucketLocation location, boolean versions) {
    return where.equals(location) && allVersions == versions;
  }

  /**
   * The bucket and its listing once ready, for one backup; its failure (missing bucket, refused
   * credentials, no permission to list) as {@link Bucket#checkReadable} throws it.
   */
  synchronized Ready take() {
    if (taken) throw new IllegalStateException("a prepared bucket serves one backup");
    taken = true;
    try {
      return ready.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      if (e.getCause() instanceof Error err) throw err;
      throw e;
    }
  }

  /**
   * Closes the bucket and its listing; without waiting for a preparation still under way (a server
   * out of reach, being retried), which is then stopped and closes what it opened itself.
   */
  @Override
  public void close() {
    if (!ready.isDone()) preparing.interrupt();
    ready.thenAccept(
        r -> {
          r.listing().close();
          r.bucket().close();
        });
  }
}
