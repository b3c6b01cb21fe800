package dev.roadie.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** Generated data, hashing and JSON parsing for the CLI tests. */
final class TestData {
  static final ObjectMapper JSON = new ObjectMapper();

  private TestData() {}

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static String sha256(byte[] data) {
    return hex(sha256().digest(data));
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
    }
    return hex(md.digest());
  }

  /** SHA-256 of every regular file below root, by relative path (symlinks not followed). */
  static Map<String, String> hashTree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            if (a.isRegularFile()) out.put(root.relativize(f).toString(), sha256(f));
            return FileVisitResult.CONTINUE;
          }
        });
    return out;
  }

  /** A fast deterministic pseudo-random generator (xorshift64*). */
  static final class Rng {
    private long s;

    Rng(long seed) {
      s = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    long next() {
      s ^= s >>> 12;
      s ^= s << 25;
      s ^= s >>> 27;
      return s * 0x2545F4914F6CDD1DL;
    }

    /** Fills buf with random bytes (whole buffer). */
    void fill(byte[] buf) {
      ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
      while (bb.remaining() >= 8) bb.putLong(next());
      while (bb.hasRemaining()) bb.put((byte) next());
    }
  }

  private static final String[] WORDS = {
    "ticket",
    "festival",
    "order",
    "payment",
    "user",
    "stage",
    "artist",
    "scan",
    "gate",
    "refund",
    "INFO",
    "WARN",
    "ERROR",
    "2026-01-31T02:00:00Z",
    "id=",
    "took",
    "ms",
    "\n"
  };

  /** Fills buf with compressible, text-like bytes (log lines of words and numbers). */
  static void fillText(Rng rng, byte[] buf) {
    int p = 0;
    while (p < buf.length) {
      long r = rng.next();
      byte[] w =
          (WORDS[(int) ((r >>> 1) % WORDS.length)]
                  + ((r & 1) == 0 ? " " : Long.toString((r >>> 40) % 100000) + " "))
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      int n = Math.min(w.length, buf.length - p);
      System.arraycopy(w, 0, buf, p, n);
      p += n;
    }
  }

  /** Writes size bytes of random data to file. */
  static void writeRandom(Path file, long size, long seed) throws IOException {
    writeGenerated(file, size, seed, false);
  }

  static void writeText(Path file, long size, long seed) throws IOException {
    writeGenerated(file, size, seed, true);
  }

  private static void writeGenerated(Path file, long size, long seed, boolean text)
      throws IOException {
    Rng rng = new Rng(seed);
    byte[] buf = new byte[1 << 20];
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      long left = size;
      while (left > 0) {
        if (text) fillTextFast(rng, buf);
        else rng.fill(buf);
        ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, left));
        while (b.hasRemaining()) left -= ch.write(b);
      }
    }
  }

  /** Overwrites length bytes at offset with new random bytes. */
  static void overwriteRandom(Path file, long offset, int length, long seed) throws IOException {
    byte[] buf = new byte[length];
    new Rng(seed).fill(buf);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(buf);
      long pos = offset;
      while (b.hasRemaining()) pos += ch.write(b, pos);
    }
  }

  private static byte[] textPool;

  private static synchronized byte[] textPool() {
    if (textPool == null) {
      textPool = new byte[8 << 20];
      fillText(new Rng(42), textPool);
    }
    return textPool;
  }

  /**
   * Fast text-like block: a slice of a text pool with random digits sprinkled in (so blocks
   * differ).
   */
  static void fillTextFast(Rng rng, byte[] buf) {
    byte[] pool = textPool();
    int off = (int) Long.remainderUnsigned(rng.next(), pool.length - buf.length);
    System.arraycopy(pool, off, buf, 0, buf.length);
    for (int i = 0; i + 8 <= buf.length; i += 256) {
      long r = rng.next();
      for (int j = 0; j < 6; j++) {
        buf[i + j] = (byte) ('0' + (int) Long.remainderUnsigned(r >>> (j * 8), 10));
      }
    }
  }

  /**
   * Writes a stream of size bytes: 1 MiB blocks, alternately text-like and random, chosen by seed.
   */
  static void writeMixedStream(OutputStream out, long size, long seed, MessageDigest md)
      throws IOException {
    Rng rng = new Rng(seed);
    byte[] buf = new byte[1 << 20];
    long left = size;
    while (left > 0) {
      if ((rng.next() & 3) == 0) fillTextFast(rng, buf);
      else rng.fill(buf);
      int n = (int) Math.min(buf.length, left);
      out.write(buf, 0, n);
      if (md != null) md.update(buf, 0, n);
      left -= n;
    }
    out.flush();
  }
}
