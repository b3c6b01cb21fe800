package dev.roadie.core.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a stream into content-defined chunks with {@link FastCdc}.
 *
 * <p>Boundaries depend only on the stream's content, never on how {@link InputStream#read} happens
 * to deliver it: a cut is taken from the buffered bytes only when it is certain (a cut point found,
 * or {@code max} bytes seen), otherwise more input is read first.
 *
 * <p>Chunks are not copied: the stream is read into slabs (large arrays) and each chunk is a range
 * of one slab. A slab goes back to this chunker's pool for reuse when the chunker has moved past it
 * and every chunk in it was {@linkplain Chunk#release() released}; a chunk that is never released
 * only keeps its slab from being reused (it is then garbage collected, never overwritten). Only the
 * unfinished chunk at the end of a slab is copied, to the start of the next one. Memory is
 * therefore the slabs whose chunks are still held, plus one.
 *
 * <p>Not thread-safe, except {@link Chunk#release()}, which any thread may call. The chunker does
 * not close the stream.
 */
public final class Chunker {
  /**
   * One chunk: bytes {@code [from, from + length)} of {@link #array()}, which it shares with its
   * neighbours, and the stream offset of its first byte. Valid until {@link #release()}.
   */
  public static final class Chunk {
    private final Slab slab;
    private final int from;
    private final int length;
    private final long offset;

    private Chunk(Slab slab, int from, int length, long offset) {
      this.slab = slab;
      this.from = from;
      this.length = length;
      this.offset = offset;
    }

    /**
     * A chunk that is a whole array of its own, cut by someone else (no pool, release does
     * nothing).
     */
    public static Chunk of(byte[] bytes) {
      return new Chunk(new Slab(bytes), 0, bytes.length, 0);
    }

    /**
     * The slab holding this chunk's bytes at {@link #from()}; read only, and only until release.
     */
    public byte[] array() {
      return slab.bytes;
    }

    public int from() {
      return from;
    }

    public int length() {
      return length;
    }

    public long offset() {
      return offset;
    }

    /** A copy of exactly this chunk's bytes. */
    public byte[] data() {
      return Arrays.copyOfRange(slab.bytes, from, from + length);
    }

    /** Declares the bytes no longer needed, so the slab may be reused. Call at most once. */
    public void release() {
      slab.release();
    }

    @Override
    public String toString() {
      return "Chunk[offset=" + offset + ", length=" + length + "]";
    }
  }

  /** A read buffer shared by the chunks cut from it; counted references decide when it is free. */
  private static final class Slab {
    final byte[] bytes;
    final AtomicInteger refs = new AtomicInteger(1);
    final ConcurrentLinkedQueue<Slab> pool;

    Slab(int size, ConcurrentLinkedQueue<Slab> pool) {
      this.bytes = new byte[size];
      this.pool = pool;
    }

    Slab(byte[] bytes) {
      this.bytes = bytes;
      this.pool = null;
    }

    void release() {
      if (refs.decrementAndGet() == 0 && pool != null) {
        pool.add(this);
      }
    }
  }

  /** Streams shorter than this never get a full-size slab. */
  private static final int INITIAL_SLAB = 64 * 1024;

  /**
   * Slab size: large next to a chunk, so the copied unfinished chunk at each slab's end is a few
   * percent of the stream, small enough that the slabs of the chunks in flight stay a few MiB.
   */
  private static final int MIN_SLAB = 2 << 20;

  private final InputStream in;
  private final FastCdc cdc;
  private final int max;
  private final int slabSize;
  private final ConcurrentLinkedQueue<Slab> pool = new ConcurrentLinkedQueue<>();
  private Slab slab;

  /** Unconsumed bytes are {@code slab.bytes[pos..end)}. */
  private int pos;

  private int end;
  private boolean eof;
  private long offset;

  public Chunker(InputStream in, FastCdc cdc) {
    this(in, cdc, -1);
  }

  /**
   * A chunker for a stream of {@code expectedSize} bytes (-1: unknown). A stream that fits one slab
   * gets a first slab of its size (plus the byte that finds its end) instead of a full-size one, so
   * that many short streams (objects of a bucket) do not each allocate a slab of several MiB. A
   * wrong size costs only memory: a longer stream goes on in full-size slabs.
   */
  public Chunker(InputStream in, FastCdc cdc, long expectedSize) {
    this.in = Objects.requireNonNull(in, "in");
    this.cdc = Objects.requireNonNull(cdc, "cdc");
    this.max = cdc.params().max();
    this.slabSize = (int) Math.min(Math.max(2L * max, MIN_SLAB), Integer.MAX_VALUE - 8);
    int first =
        expectedSize >= 0 && expectedSize < slabSize ? (int) expectedSize + 1 : INITIAL_SLAB;
    this.slab = new Slab(Math.min(first, slabSize), pool);
  }

  public Chunker(InputStream in, ChunkerParams params, GearTable gear) {
    this(in, new FastCdc(params, gear));
  }

  /**
   * The next chunk, or {@code null} at end of stream (an empty stream has no chunks). The caller
   * should {@link Chunk#release()} it once its bytes are no longer needed.
   */
  public Chunk next() throws IOException {
    while (true) {
      int available = end - pos;
      int n =
          eof
              ? (available == 0 ? 0 : cdc.cut(slab.bytes, pos, available))
              : cdc.cutIfKnown(slab.bytes, pos, available);
      if (n > 0) {
        Chunk chunk = new Chunk(slab, pos, n, offset);
        slab.refs.incrementAndGet();
        pos += n;
        offset += n;
        return chunk;
      }
      if (eof) {
        return null;
      }
      fill();
    }
  }

  /**
   * Reads more input: into the free space of the current slab, or, when it is full, into a fresh
   * slab that starts with the unconsumed bytes. Sets {@code eof} at end of stream.
   */
  private void fill() throws IOException {
    if (end == slab.bytes.length) {
      Slab next = pool.poll();
      if (next == null || next.bytes.length < slabSize) {
        next = new Slab(slabSize, pool);
      } else {
        next.refs.set(1);
      }
      int remaining = end - pos;
      System.arraycopy(slab.bytes, pos, next.bytes, 0, remaining);
      slab.release(); // the chunker's own reference
      slab = next;
      pos = 0;
      end = remaining;
    }
    // Until a cut is certain: reading less would make next() scan the same bytes again.
    while (end - pos < max && end < slab.bytes.length) {
      int n = in.read(slab.bytes, end, slab.bytes.length - end);
      if (n < 0) {
        eof = true;
        return;
      }
      end += n;
    }
  }
}
