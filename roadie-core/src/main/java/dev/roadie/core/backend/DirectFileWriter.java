package dev.roadie.core.backend;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Writes a new file sequentially with direct I/O ({@code O_DIRECT}) where the file system allows
 * it, else through the page cache. Copying data into the page cache and flushing it costs several
 * times the kernel CPU of writing it directly, and the large files roadie writes (packs, restored
 * files) are not read again soon, so caching them would only evict what other programs use
 * (docs/decisions/0006-direct-io-for-large-writes.md).
 *
 * <p>Direct I/O moves whole file-system blocks from aligned memory: bytes are gathered in an
 * aligned buffer of {@value #CHUNK} bytes, the last block is padded with zeros, and the file is
 * truncated to its real length at {@link #finish}. A file system that opens the file but refuses
 * the first direct write (EINVAL) gets the same bytes through the page cache instead, and direct
 * I/O is not tried again in this process. Not thread-safe.
 */
public final class DirectFileWriter implements Closeable {
  /**
   * Files smaller than this are not worth an aligned buffer: {@link #create(Path, long)} writes
   * them through the page cache.
   */
  public static final int MIN_SIZE = 1 << 20;

  static final int CHUNK = 4 << 20;
  private static final ConcurrentLinkedQueue<ByteBuffer> BUFFERS = new ConcurrentLinkedQueue<>();

  /** Off after a file system refused it. */
  private static volatile boolean enabled = true;

  private final Path path;
  private FileChannel ch;
  private ByteBuffer buf; // aligned, CHUNK bytes; null when writing through the page cache
  private int align;
  private long length;
  private boolean directWritten;

  private DirectFileWriter(Path path) {
    this.path = path;
  }

  /**
   * Creates {@code path}, which must not exist, for about {@code size} bytes: written directly from
   * {@link #MIN_SIZE} up, through the page cache below it.
   */
  public static DirectFileWriter create(Path path, long size) throws IOException {
    if (size >= MIN_SIZE) return create(path);
    DirectFileWriter w = new DirectFileWriter(path);
    w.ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return w;
  }

  /** Creates {@code path}, which must not exist, written directly whatever its size. */
  public static DirectFileWriter create(Path path) throws IOException {
    DirectFileWriter w = new DirectFileWriter(path);
    if (enabled) {
      try {
        int a = Math.toIntExact(Files.getFileStore(path.getParent()).getBlockSize());
        if (a > 0 && Integer.bitCount(a) == 1 && a <= CHUNK) {
          w.ch =
              FileChannel.open(
                  path,
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  ExtendedOpenOption.DIRECT);
          w.align = a;
          ByteBuffer b = BUFFERS.poll();
          w.buf =
              b != null && b.alignmentOffset(0, a) == 0
                  ? b
                  : ByteBuffer.allocateDirect(CHUNK + a).alignedSlice(a);
          w.buf.clear();
          return w;
        }
      } catch (UnsupportedOperationException | IOException e) {
        enabled = false;
        if (w.ch != null) w.ch.close();
        Files.deleteIfExists(path);
      }
    }
    w.ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return w;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    write(ByteBuffer.wrap(b, off, len));
  }

  public void write(ByteBuffer src) throws IOException {
    length += src.remaining();
    if (buf == null) {
      while (src.hasRemaining()) ch.write(src);
      return;
    }
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), buf.remaining());
      buf.put(buf.position(), src, src.position(), n);
      buf.position(buf.position() + n);
      src.position(src.position() + n);
      if (!buf.hasRemaining()) {
        flushDirect();
        if (buf == null) { // fell back to the page cache
          while (src.hasRemaining()) ch.write(src);
          return;
        }
      }
    }
  }

  /** Writes the aligned buffer (padded to whole blocks) at the file's end. */
  private void flushDirect() throws IOException {
    int n = buf.position();
    int padded = (n + align - 1) & -align;
    for (int i = n; i < padded; i++) buf.put(i, (byte) 0);
    buf.limit(padded).position(0);
    try {
      while (buf.hasRemaining()) ch.write(buf);
      directWritten = true;
    } catch (IOException e) {
      if (directWritten) throw e;
      // EINVAL from a file system that opened the file but cannot do direct I/O: start again
      // through the page cache with the bytes still in the buffer.
      enabled = false;
      ch.close();
      ch = FileChannel.open(path, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
      ByteBuffer pending = buf.limit(n).position(0);
      ByteBuffer released = buf;
      buf = null;
      while (pending.hasRemaining()) ch.write(pending);
      BUFFERS.add(released);
      return;
    }
    buf.clear();
  }

  /** Writes what is buffered, trims the padding, and fsyncs the file when asked. */
  public void finish(boolean fsync) throws IOException {
    if (buf != null && buf.position() > 0) {
      flushDirect();
    }
    if (ch.size() != length) ch.truncate(length);
    if (fsync) ch.force(true);
  }

  @Override
  public void close() throws IOException {
    try {
      ch.close();
    } finally {
      if (buf != null) {
        BUFFERS.add(buf);
        buf = null;
      }
    }
  }
}
