package dev.roadie.core.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Where a repository's bytes live: a local directory, an S3 bucket. Objects are immutable: a writer
 * creates each object once and never changes it; only prune deletes.
 *
 * <p>Consistency assumptions, which every implementation must meet:
 *
 * <ul>
 *   <li>{@link #write} is atomic and durable when it returns: a reader sees either no object or the
 *       whole object, never a prefix, and a crash after it returned does not lose it.
 *   <li>A listing that starts after a write returned includes that object (read-after-write and
 *       list-after-write consistency, as S3 gives since 2020 and a local file system always has).
 *   <li>{@link #delete} of a missing object succeeds.
 * </ul>
 *
 * Transient failures (network, throttling) are thrown as {@link
 * dev.roadie.core.RoadieException.Retriable} after the implementation's own retries are spent; a
 * missing object as {@link NoSuchObjectException}. Implementations are safe for use from many
 * threads at once.
 */
public interface Backend extends AutoCloseable {

  /** The repository's location, fit to print: no credentials. */
  String location();

  /**
   * Stores {@code data} (from its position to its limit) under {@code name}. Fails with {@link
   * ObjectExistsException} if {@code name} already exists and {@code exclusive} is set (used for
   * {@code config} by {@code init}); otherwise an existing object is replaced whole.
   */
  void write(ObjectName name, ByteBuffer data, boolean exclusive) throws IOException;

  /** The whole object. */
  byte[] read(ObjectName name) throws IOException;

  /** {@code length} bytes from {@code offset}; fails if the object is shorter. */
  byte[] readRange(ObjectName name, long offset, int length) throws IOException;

  /**
   * The most bytes one ranged read should cover when a reader can merge reads of neighbouring bytes
   * (a restore reads a stream's consecutive blobs with one request). Default 2 MiB: a local file
   * system serves that as fast as anything larger, and decoding can start sooner. A backend that
   * pays for each request (an object store) asks for more.
   */
  default int preferredReadSize() {
    return 2 << 20;
  }

  /** Size in bytes, or -1 when the object does not exist. */
  long size(ObjectName name) throws IOException;

  /**
   * Every object of one kind, in no particular order. For {@link ObjectKind#SIDE}, every side
   * object of every area, which an object store finds only by listing the whole repository: list
   * side objects by area ({@code list(SIDE, "AREA/")}).
   */
  List<ObjectInfo> list(ObjectKind kind) throws IOException;

  /**
   * The objects of one kind whose id starts with {@code idPrefix}. Backends that can list by prefix
   * (S3, a sub-directory) override this: one group of side objects ({@code AREA/GROUP/}) is listed
   * without the others'.
   */
  default List<ObjectInfo> list(ObjectKind kind, String idPrefix) throws IOException {
    return list(kind).stream().filter(i -> i.name().id().startsWith(idPrefix)).toList();
  }

  void delete(ObjectName name) throws IOException;

  /**
   * Called by {@code Repository.init} before anything is written: creates what the location needs
   * to hold a repository (an S3 bucket). Default: nothing.
   */
  default void prepareForInit() throws IOException {}

  /**
   * As {@link #prepareForInit()}, for a repository with object lock: the location must be able to
   * keep every version of the {@linkplain ObjectLock#locks locked kinds} for the lock's days (an S3
   * bucket created with object lock). Fails, saying why, where it cannot.
   */
  default void prepareForInit(ObjectLock lock) throws IOException {
    if (lock == null) {
      prepareForInit();
      return;
    }
    throw new dev.roadie.core.RoadieException(
        dev.roadie.core.ErrorCode.USAGE,
        location()
            + ": object lock needs an S3 bucket (s3://BUCKET/PREFIX); this location cannot keep objects from being deleted");
  }

  /**
   * From now on, stores the locked kinds with the lock's retention, and reads them as the
   * repository wrote them: a location that keeps versions reads the first version of each such
   * object, through any delete marker or later version someone else put there. Called when a
   * repository with object lock is created or opened.
   */
  default void useObjectLock(ObjectLock lock) throws IOException {
    throw new dev.roadie.core.RoadieException(
        dev.roadie.core.ErrorCode.FAILURE,
        location()
            + ": the repository uses object lock, which this location cannot provide; open it where it was created (S3)");
  }

  /**
   * The first version of an object that has later ones, in a location that keeps versions (a
   * versioned S3 bucket); null when it has only one, or the location keeps none. {@code config} is
   * written once, by {@code init}: any later version of it is someone else's.
   */
  default byte[] firstVersion(ObjectName name) throws IOException {
    return null;
  }

  /**
   * Until when the object's retention keeps it; null when it has none (or the backend keeps none).
   */
  default java.time.Instant retainedUntil(ObjectName name) throws IOException {
    return null;
  }

  /** Extends the object's retention to at least {@code until}. Never shortens it. */
  default void extendRetention(ObjectName name, java.time.Instant until) throws IOException {}

  /**
   * Objects of a locked kind that someone other than roadie changed: hidden by a delete marker, or
   * given a later version. roadie itself never does either, so each is possible tampering. Empty
   * for a backend that keeps no versions.
   */
  default List<String> tampering(ObjectKind kind) throws IOException {
    return List.of();
  }

  /** Whether anything exists at this location that looks like a repository (a config object). */
  default boolean exists() throws IOException {
    return size(ObjectName.CONFIG) >= 0;
  }

  @Override
  default void close() throws IOException {}
}
