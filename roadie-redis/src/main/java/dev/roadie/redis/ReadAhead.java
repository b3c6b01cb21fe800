package dev.roadie.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;

/**
 * Reads a stream on a thread of its own into at most {@code blocks} blocks of {@value #BLOCK} bytes,
 * ahead of its consumer. The RDB transfer uses it so the server's sync runs while the repository is
 * opened (scrypt, index) and while chunks are hashed: the transfer is not held up by either. A
 * failure of the source (including opening it) is rethrown by the consumer's next read.
 *
 * <p>A platform thread, not a virtual one: a socket that delivers a slow producer's bytes wakes its
 * reader thousands of times, and each wake-up of a virtual thread also woke a carrier thread of the
 * scheduler, which then spun before parking again. Measured on a 333 MiB RDB: the carriers running
 * the virtual reader used 0.27 user + 0.25 system CPU-s, most of it spinning (ForkJoinPool.deactivate
 * in CPU-time samples); the platform reader thread uses 0.09 + 0.21.
 */
final class ReadAhead extends InputStream {
  static final int BLOCK = 256 * 1024;

  private record Block(byte[] data, int length) {}

  private static final Block END = new Block(new byte[0], 0);

  private final BlockingQueue<Object> full;
  private final BlockingQueue<byte[]> free;
  private final Thread reader;
  private Block current;
  private int pos;
  private boolean ended;
  private Throwable failure;

  /** Starts reading the stream that {@code open} returns (called on the reader thread). */
  ReadAhead(Callable<? extends InputStream> open, int blocks, String name) {
    this.full = new ArrayBlockingQueue<>(blocks + 1);
    this.free = new ArrayBlockingQueue<>(blocks);
    this.reader = Thread.ofPlatform().daemon().name(name).start(() -> run(open, blocks));
  }

  private void run(Callable<? extends InputStream> open, int blocks) {
    int allocated = 0;
    try {
      InputStream in = open.call();
      while (true) {
        byte[] b = free.poll();
        if (b == null) {
          b = allocated < blocks ? new byte[BLOCK] : free.take();
          allocated++;
        }
        int n = in.readNBytes(b, 0, BLOCK);
        if (n > 0) full.put(new Block(b, n));
        if (n < BLOCK) {
          full.put(END);
          return;
        }
      }
    } catch (InterruptedException e) {
      // the consumer went away
    } catch (Throwable t) {
      try {
        full.put(t);
      } catch (InterruptedException ignored) {
        // the consumer went away
      }
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    while (current == null || pos == current.length()) {
      if (failure != null) rethrow(failure); // never an end of stream after a failure
      if (ended) return -1;
      if (current != null && current != END) free.offer(current.data());
      current = null;
      Object next;
      try {
        next = full.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      if (next instanceof Throwable t) {
        failure = t;
        continue;
      }
      current = (Block) next;
      pos = 0;
      if (current == END) ended = true;
    }
    int n = Math.min(len, current.length() - pos);
    System.arraycopy(current.data(), pos, b, off, n);
    pos += n;
    return n;
  }

  private static void rethrow(Throwable t) throws IOException {
    if (t instanceof IOException e) throw e;
    if (t instanceof RuntimeException e) throw e;
    if (t instanceof Error e) throw e;
    throw new UncheckedIOException(new IOException(t));
  }

  /** Stops the reader (the caller closes the source, which unblocks a read in progress). */
  @Override
  public void close() {
    reader.interrupt();
  }
}
