package dev.roadie.redis;

import dev.roadie.core.repo.BackupWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * Chunks made on a virtual thread, ahead of the writer that stores them, holding at most
 * {@code budget} bytes. The RDB transfer uses it so the server's sync runs while the repository is
 * opened (scrypt, index) and while the writer hashes and compresses: the transfer waits for
 * neither. A failure of the producer (opening the transfer included) is rethrown by the
 * consumer's next call, and from then on by every call: a failed stream never looks ended.
 */
final class ChunkQueue implements BackupWriter.ChunkSource, AutoCloseable {
  /** Makes the chunks; runs on the queue's thread. */
  interface Producer {
    void run(RdbChunker.Sink sink) throws Exception;
  }

  private static final Object END = new Object();

  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Semaphore budget;
  private final int budgetBytes;
  private final Thread thread;
  private Throwable failure;
  private boolean ended;

  ChunkQueue(Producer producer, int budgetBytes, String name) {
    this.budgetBytes = budgetBytes;
    this.budget = new Semaphore(budgetBytes);
    this.thread = Thread.ofVirtual().name(name).start(() -> {
      try {
        producer.run(chunk -> {
          budget.acquire(cost(chunk.length));
          queue.add(chunk);
        });
        queue.add(END);
      } catch (InterruptedException | InterruptedIOException e) {
        // the consumer went away
      } catch (Throwable t) {
        queue.add(t);
      }
    });
  }

  private int cost(int length) {
    return Math.min(length, budgetBytes);
  }

  @Override
  public byte[] next() throws IOException {
    if (failure != null) rethrow(failure);
    if (ended) return null;
    Object o;
    try {
      o = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
    if (o == END) {
      ended = true;
      return null;
    }
    if (o instanceof Throwable t) {
      failure = t;
      rethrow(t);
    }
    byte[] chunk = (byte[]) o;
    budget.release(cost(chunk.length));
    return chunk;
  }

  private static void rethrow(Throwable t) throws IOException {
    if (t instanceof IOException e) throw e;
    if (t instanceof RuntimeException e) throw e;
    if (t instanceof Error e) throw e;
    throw new UncheckedIOException(new IOException(t));
  }

  /** Stops the producer (the caller closes its source, which unblocks a read in progress). */
  @Override
  public void close() {
    thread.interrupt();
  }
}
