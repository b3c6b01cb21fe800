package dev.roadie.core.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Splits a stream into content-defined chunks with {@link FastCdc}, holding at most about
 * {@code 2 * max} bytes of it in memory.
 *
 * <p>Boundaries depend only on the stream's content, never on how {@link InputStream#read} happens
 * to deliver it: a cut is only searched for when at least {@code max} bytes are buffered, or at end
 * of stream. The buffer starts small and grows up to {@code 2 * max}, so short streams chunked with
 * large parameters do not pay for a multi-megabyte buffer.
 *
 * <p>Not thread-safe. The chunker does not close the stream.
 */
public final class Chunker {
  /** One chunk: a copy of exactly its bytes, and the stream offset of its first byte. */
  public record Chunk(byte[] data, long offset) {
    public Chunk {
      Objects.requireNonNull(data, "data");
    }

    public int length() {
      return data.length;
    }

    @Override
    public String toString() {
      return "Chunk[offset=" + offset + ", length=" + data.length + "]";
    }
  }

  private static final int INITIAL_BUFFER = 64 * 1024;

  private final InputStream in;
  private final FastCdc cdc;
  private final int max;
  private final int capacityLimit;
  private byte[] buf;
  /** Unconsumed bytes are {@code buf[pos..end)}. */
  private int pos;
  private int end;
  private boolean eof;
  private long offset;

  public Chunker(InputStream in, FastCdc cdc) {
    this.in = Objects.requireNonNull(in, "in");
    this.cdc = Objects.requireNonNull(cdc, "cdc");
    this.max = cdc.params().max();
    this.capacityLimit = (int) Math.min(2L * max, Integer.MAX_VALUE - 8);
    this.buf = new byte[Math.min(INITIAL_BUFFER, capacityLimit)];
  }

  public Chunker(InputStream in, ChunkerParams params, GearTable gear) {
    this(in, new FastCdc(params, gear));
  }

  /** The next chunk, or {@code null} at end of stream (an empty stream has no chunks). */
  public Chunk next() throws IOException {
    if (end - pos < max && !eof) {
      refill();
    }
    int available = end - pos;
    if (available == 0) {
      return null;
    }
    int n = cdc.cut(buf, pos, available);
    Chunk chunk = new Chunk(Arrays.copyOfRange(buf, pos, pos + n), offset);
    pos += n;
    offset += n;
    return chunk;
  }

  /** Moves the unconsumed bytes to the front and reads until {@code max} bytes are buffered or EOF. */
  private void refill() throws IOException {
    int remaining = end - pos;
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, remaining);
      pos = 0;
      end = remaining;
    }
    while (end < max && !eof) {
      if (end == buf.length) {
        grow();
      }
      int n = in.read(buf, end, buf.length - end);
      if (n < 0) {
        eof = true;
      } else {
        end += n;
      }
    }
  }

  /** Doubles the buffer, but jumps straight to {@code 2 * max} so steady state never stalls at {@code max}. */
  private void grow() {
    long doubled = 2L * buf.length;
    int capacity = doubled >= max ? capacityLimit : (int) doubled;
    buf = Arrays.copyOf(buf, capacity);
  }
}
