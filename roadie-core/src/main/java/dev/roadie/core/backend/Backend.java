package dev.roadie.core.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Where a repository's bytes live: a local directory, an S3 bucket. Objects are immutable: a
 * writer creates each object once and never changes it; only prune deletes.
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
 * Transient failures (network, throttling) are thrown as {@link dev.roadie.core.RoadieException.Retriable}
 * after the implementation's own retries are spent; a missing object as {@link NoSuchObjectException}.
 * Implementations are safe for use from many threads at once.
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
   * The most bytes one ranged read should cover when a reader can merge reads of neighbouring
   * bytes (a restore reads a stream's consecutive blobs with one request). Default 2 MiB: a local
   * file system serves that as fast as anything larger, and decoding can start sooner. A backend
   * that pays for each request (an object store) asks for more.
   */
  default int preferredReadSize() {
    return 2 << 20;
  }

  /** Size in bytes, or -1 when the object does not exist. */
  long size(ObjectName name) throws IOException;

  /**
   * Every object of one kind, in no particular order. For {@link ObjectKind#SIDE}, every side object
   * of every area, which an object store finds only by listing the whole repository: list side
   * objects by area ({@code list(SIDE, "AREA/")}).
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

  /** Whether anything exists at this location that looks like a repository (a config object). */
  default boolean exists() throws IOException {
    return size(ObjectName.CONFIG) >= 0;
  }

  @Override
  default void close() throws IOException {}
}
