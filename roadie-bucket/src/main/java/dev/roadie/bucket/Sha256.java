package dev.roadie.bucket;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 roadie records for every object it reads and writes into the user metadata ({@link
 * #METADATA_KEY}) of every object it writes: the object's content hash, which S3's ETag is not for
 * multipart uploads (and need not be with server-side encryption).
 */
public final class Sha256 {
  /**
   * The user-metadata key (sent as {@code x-amz-meta-roadie-sha256}) holding the hex SHA-256 of the
   * content of an object roadie wrote, so a later run compares content without reading it.
   */
  public static final String METADATA_KEY = "roadie-sha256";

  private Sha256() {}

  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }

  /** The hex SHA-256 of everything {@code in} holds, read to its end (not closed). */
  public static String of(InputStream in) throws IOException {
    HashingStream h = new HashingStream(in);
    h.transferTo(java.io.OutputStream.nullOutputStream());
    return h.hex();
  }

  /** Passes a stream through, hashing and counting what is read. */
  public static final class HashingStream extends FilterInputStream {
    private final MessageDigest md = digest();
    private long count;

    public HashingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        md.update((byte) b);
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        md.update(b, off, n);
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) {
      throw new UnsupportedOperationException("a hashed stream is read, not skipped");
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    /** Bytes read so far. */
    public long count() {
      return count;
    }

    /** The hex SHA-256 of what was read; call once, at the end. */
    public String hex() {
      return Sha256.hex(md.digest());
    }
  }
}
