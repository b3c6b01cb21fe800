package dev.roadie.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Runs a producer on a thread of its own that writes a stream into at most {@code blocks} blocks of
 * {@value #BLOCK} bytes, ahead of its consumer. The RDB transfer uses it so the server's sync runs
 * (and the RDB is scanned) while the repository is opened (scrypt, index) and while chunks are
 * hashed: the transfer is not held up by either. A failure of the producer is rethrown by the
 * consumer's next read.
 *
 * <p>A platform thread, not a virtual one: a socket that delivers a slow producer's bytes wakes its
 * reader thousands of times, and each wake-up of a virtual thread also woke a carrier thread of the
 * scheduler, which then spun before parking again (docs/decisions/0013-redis-rdb-read-ahead.md).
 */
final class ReadAhead extends InputStream {
  static final int BLOCK = 256 * 1024;

  /** Writes the stream; runs on the reader thread. */
  @FunctionalInterface
  interface Producer {
    void produce(OutputStream out) throws Exception;
  }

  private record Block(byte[] data, int length) {}

  private static final Block END = new Block(new byte[0], 0);

  private final BlockingQueue<Object> full;
  private final BlockingQueue<byte[]> free;
  private final Thread reader;
  private Block current;
  private int pos;
  private boolean ended;
  private Throwable failure;

  /** Starts {@code producer} on a thread of its own. */
  ReadAhead(Producer producer, int blocks, String name) {
    this.full = new ArrayBlockingQueue<>(blocks + 1);
    this.free = new ArrayBlockingQueue<>(blocks);
    this.reader = Thread.ofPlatform().daemon().name(name).start(() -> run(producer, blocks));
  }

  private void run(Producer producer, int blocks) {
    try {
      Blocks out = new Blocks(blocks);
      producer.produce(out);
      out.end();
    } catch (InterruptedException | ConsumerGone e) {
      // the consumer went away
    } catch (Throwable t) {
      try {
        full.put(t);
      } catch (InterruptedException ignored) {
        // the consumer went away
      }
    }
  }

  /**
   * Not a SocketTimeoutException (also an InterruptedIOException): the consumer closed the stream.
   */
  private static final class ConsumerGone extends InterruptedIOException {
    ConsumerGone() {
      super("the consumer went away");
    }
  }

  /** The producer's side: fills blocks, hands each on when full. */
  private final class Blocks extends OutputStream {
    private final int blocks;
    private int allocated;
    private byte[] block;
    private int length;

    Blocks(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        while (len > 0) {
          if (block == null) {
            block = free.poll();
            if (block == null) {
              block = allocated < blocks ? new byte[BLOCK] : free.take();
              allocated++;
            }
            length = 0;
          }
          int n = Math.min(len, BLOCK - length);
          System.arraycopy(b, off, block, length, n);
          length += n;
          off += n;
          len -= n;
          if (length == BLOCK) {
            full.put(new Block(block, length));
            block = null;
          }
        }
      } catch (InterruptedException e) {
        throw new ConsumerGone();
      }
    }

    void end() throws InterruptedException {
      if (block != null && length > 0) full.put(new Block(block, length));
      full.put(END);
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
