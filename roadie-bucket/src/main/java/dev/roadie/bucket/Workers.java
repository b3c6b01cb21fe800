package dev.roadie.bucket;

import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs tasks on I/O threads, at most {@code limit} at once, and remembers the first failure: once a
 * task failed, {@link #submit} throws it and no new task starts; {@link #finish} waits for those
 * running and throws it too.
 */
final class Workers {
  @FunctionalInterface
  interface Task {
    void run() throws IOException;
  }

  private final ExecutorService io;
  private final int limit;
  private final Semaphore slots;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  Workers(ExecutorService io, int limit) {
    this.io = io;
    this.limit = limit;
    this.slots = new Semaphore(limit);
  }

  void submit(Task task) throws IOException {
    rethrow();
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (failure.get() != null) {
      slots.release();
      rethrow();
    }
    io.submit(
        () -> {
          try {
            task.run();
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          } finally {
            slots.release();
          }
        });
  }

  /** Waits for every task; throws the first failure. */
  void finish() throws IOException {
    await();
    rethrow();
  }

  /** Waits for every task, whatever happened. */
  void await() {
    slots.acquireUninterruptibly(limit);
    slots.release(limit);
  }

  Throwable failure() {
    return failure.get();
  }

  private void rethrow() throws IOException {
    Throwable t = failure.get();
    if (t == null) return;
    if (t instanceof UncheckedIOException u) throw u.getCause();
    if (t instanceof IOException io) throw io;
    if (t instanceof RoadieException r) throw r;
    if (t instanceof RuntimeException r) throw r;
    throw new IOException(t);
  }
}
