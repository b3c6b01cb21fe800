package dev.roadie.postgres.physical;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the ustar stream that {@code pg_basebackup -Ft -D -} writes, one entry at a time, without
 * buffering files: {@link #content} reads the current entry's bytes straight from the stream. Knows
 * what PostgreSQL's tar writer produces (regular files, directories, symlinks; ustar name and
 * prefix; octal or base-256 sizes) and refuses anything else rather than guessing. The stream may
 * end with the two zero blocks of a terminated archive or, as pg_basebackup's may, without them.
 */
final class TarStream {
  static final int BLOCK = 512;

  enum Type {
    FILE,
    DIRECTORY,
    SYMLINK
  }

  /** One entry. {@code path} has no leading "./" and no trailing "/". */
  record Entry(String path, Type type, long size, int mode, long mtimeSeconds, String linkTarget) {}

  private final InputStream in;
  private final byte[] header = new byte[BLOCK];
  private long remaining;
  private int padding;
  private long offset;

  TarStream(InputStream in) {
    this.in = in;
  }

  /**
   * The next entry (skipping what is left of the current one), or null at the end of the archive.
   */
  Entry next() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
    if (!readHeader()) return null;
    if (isZero(header)) {
      return null;
    }
    long headerAt = offset - BLOCK;
    verifyChecksum(headerAt);
    String name = string(0, 100);
    String magic = string(257, 6);
    if (magic.startsWith("ustar")) {
      String prefix = string(345, 155);
      if (!prefix.isEmpty()) name = prefix + "/" + name;
    }
    while (name.startsWith("./")) name = name.substring(2);
    while (name.endsWith("/")) name = name.substring(0, name.length() - 1);
    if (name.isEmpty()
        || name.equals(".")
        || name.startsWith("/")
        || name.contains("/../")
        || name.startsWith("../")
        || name.equals("..")
        || name.endsWith("/..")) {
      throw new IOException("tar entry at byte " + headerAt + " has an unsafe name '" + name + "'");
    }
    long size = number(124, 12);
    int mode = (int) number(100, 8) & 07777;
    long mtime = number(136, 12);
    char flag = (char) header[156];
    Type type =
        switch (flag) {
          case '0', '\0', '7' -> Type.FILE;
          case '5' -> Type.DIRECTORY;
          case '2' -> Type.SYMLINK;
          default ->
              throw new IOException(
                  "tar entry '"
                      + name
                      + "' has type '"
                      + flag
                      + "', which pg_basebackup does not write");
        };
    if (type != Type.FILE) size = 0;
    remaining = size;
    padding = (int) ((BLOCK - size % BLOCK) % BLOCK);
    return new Entry(name, type, size, mode, mtime, type == Type.SYMLINK ? string(157, 100) : null);
  }

  /** The current entry's content; reading it to the end leaves the stream at the next header. */
  InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) return -1;
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0)
          throw new EOFException(
              "the tar stream ended inside a file (" + remaining + " bytes missing)");
        remaining -= n;
        offset += n;
        return n;
      }
    };
  }

  private boolean readHeader() throws IOException {
    int got = 0;
    while (got < BLOCK) {
      int n = in.read(header, got, BLOCK - got);
      if (n < 0) {
        if (got == 0) return false;
        throw new EOFException("the tar stream ended inside a header");
      }
      got += n;
    }
    offset += BLOCK;
    return true;
  }

  private void skip(long n) throws IOException {
    byte[] buf = new byte[8192];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) throw new EOFException("the tar stream ended early");
      n -= r;
      offset += r;
    }
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) if (x != 0) return false;
    return true;
  }

  private void verifyChecksum(long at) throws IOException {
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : header[i] & 0xFF;
    if (sum != number(148, 8)) {
      throw new IOException(
          "tar header at byte " + at + " has a wrong checksum: the stream is damaged");
    }
  }

  private String string(int off, int len) {
    int end = off;
    while (end < off + len && header[end] != 0) end++;
    return new String(header, off, end - off, StandardCharsets.UTF_8);
  }

  /** An octal field, or GNU base-256 when its first byte has the high bit set. */
  private long number(int off, int len) throws IOException {
    if ((header[off] & 0x80) != 0) {
      long v = header[off] & 0x7F;
      for (int i = 1; i < len; i++) v = (v << 8) | (header[off + i] & 0xFF);
      return v;
    }
    int i = off;
    int end = off + len;
    while (i < end && (header[i] == ' ' || header[i] == 0)) i++;
    long v = 0;
    for (; i < end && header[i] != ' ' && header[i] != 0; i++) {
      if (header[i] < '0' || header[i] > '7')
        throw new IOException("tar header field at " + off + " is not octal");
      v = (v << 3) + (header[i] - '0');
    }
    return v;
  }
}
