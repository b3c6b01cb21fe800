package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RDB payload a master sends after {@code SYNC}, without its framing. Two framings exist: a
 * length ({@code $<n>\r\n}, disk-based sync) or, for diskless sync, {@code $EOF:<40-byte mark>\r\n}
 * with the payload followed by the same mark. For the latter, the last 40 bytes read are held back
 * until more arrive, so the mark is found without buffering the payload. A connection that ends
 * before the payload does fails the read: a cut transfer never looks like a complete RDB.
 */
public final class RdbPayloadStream extends InputStream {
  static final int MARK_LENGTH = 40;

  /** How much of the payload's start is kept for {@link RdbHeader}. */
  static final int PREFIX_BYTES = 64 * 1024;

  private final InputStream in;
  private final String server;
  private final long length; // -1 for EOF-mark framing
  private final byte[] mark;
  private long delivered;
  private boolean done;
  // EOF-mark framing: buf[0..avail) are bytes read and not yet delivered; the last MARK_LENGTH of
  // them are held back until the stream continues.
  private final byte[] buf;
  private int start;
  private int avail;
  private final byte[] prefix = new byte[PREFIX_BYTES];
  private int prefixLength;

  private RdbPayloadStream(InputStream in, String server, long length, byte[] mark) {
    this.in = in;
    this.server = server;
    this.length = length;
    this.mark = mark;
    this.buf = mark == null ? null : new byte[(1 << 16) + MARK_LENGTH];
  }

  /**
   * Waits for the first byte of the server's answer to {@code SYNC} and leaves it unread: an error
   * reply (a user without the sync permission, a replica that cannot serve) is thrown at once, so a
   * backup fails before the repository is opened. Success shows as soon: a master sends a newline
   * every second while its RDB is being prepared, or starts the payload.
   */
  public static void awaitAccepted(InputStream in, String server) throws IOException {
    if (!in.markSupported())
      throw new IllegalArgumentException("needs an input that supports mark");
    in.mark(1);
    int c = in.read();
    if (c == '-') throw refused(server, readLine(in, server));
    in.reset();
  }

  private static RoadieException refused(String server, String line) {
    String advice;
    if (line.startsWith("NOPERM")) {
      advice =
          "the user needs the sync, psync and replconf permissions (ACL SETUSER USER +sync +psync +replconf)";
    } else if (line.startsWith("NOMASTERLINK") || line.startsWith("MASTERDOWN")) {
      advice =
          "this replica has no working link to its master (check its masterauth and the master's logs); back up"
              + " the master, or this replica once INFO replication shows master_link_status:up";
    } else {
      advice =
          "the user needs the sync, psync and replconf permissions (ACL +sync +psync +replconf),"
              + " and the server must allow replication (not a replica with masterauth problems, no renamed SYNC)";
    }
    return new RoadieException(
        ErrorCode.FAILURE,
        server + " refused to send an RDB: " + line + "; " + advice + "; no snapshot was written");
  }

  /**
   * Reads the payload's framing line (skipping the newlines a master sends while it prepares the
   * RDB). An error reply there means the server refused to sync.
   */
  public static RdbPayloadStream open(InputStream in, String server) throws IOException {
    int c;
    while ((c = in.read()) == '\n') {
      // keep-alive while the master's BGSAVE runs
    }
    if (c < 0) {
      throw new RoadieException(
          ErrorCode.FAILURE, server + " closed the connection instead of sending an RDB");
    }
    String line = readLine(in, server);
    if (c == '-') throw refused(server, line);
    if (c == '+' && line.startsWith("FULLRESYNC")) {
      return open(in, server);
    }
    if (c != '$') {
      throw new RoadieException(
          ErrorCode.FAILURE, server + " answered SYNC with '" + (char) c + line + "', not an RDB");
    }
    if (line.startsWith("EOF:")) {
      byte[] mark = line.substring(4).getBytes(StandardCharsets.ISO_8859_1);
      if (mark.length != MARK_LENGTH) {
        throw new RoadieException(
            ErrorCode.FAILURE, server + " sent an end mark of " + mark.length + " bytes, not 40");
      }
      return new RdbPayloadStream(in, server, -1, mark);
    }
    try {
      return new RdbPayloadStream(in, server, Long.parseLong(line), null);
    } catch (NumberFormatException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, server + " sent a bad RDB length '" + line + "'");
    }
  }

  private static String readLine(InputStream in, String server) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = b.length();
        if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
        return b.toString();
      }
      b.append((char) c);
      if (b.length() > 4096) throw new IOException(server + " sent an overlong line after SYNC");
    }
    throw new RoadieException(
        ErrorCode.FAILURE, server + " closed the connection instead of sending an RDB");
  }

  /** "diskless" (EOF-mark framing) or "disk" (length framing). */
  public String framing() {
    return mark != null ? "diskless" : "disk";
  }

  /** Bytes of the payload delivered so far. */
  public long delivered() {
    return delivered;
  }

  /** Whether the whole payload was read (the length reached or the end mark seen). */
  public boolean complete() {
    return done;
  }

  /** The payload's first bytes (up to 64 KiB), for the RDB header and aux fields. */
  public byte[] prefix() {
    return Arrays.copyOf(prefix, prefixLength);
  }

  private void capture(byte[] b, int off, int n) {
    if (prefixLength < PREFIX_BYTES) {
      int k = Math.min(n, PREFIX_BYTES - prefixLength);
      System.arraycopy(b, off, prefix, prefixLength, k);
      prefixLength += k;
    }
  }

  private IOException cut() {
    return new EOFException(
        server
            + " closed the connection after "
            + delivered
            + " bytes of the RDB"
            + (length >= 0 ? " (of " + length + ")" : "")
            + ": the transfer was interrupted; no snapshot was written;"
            + " run the backup again");
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (mark == null) {
      if (delivered >= length) {
        done = true;
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, length - delivered));
      if (n < 0) throw cut();
      capture(b, off, n);
      delivered += n;
      if (delivered == length) done = true;
      return n;
    }
    while (true) {
      // Deliverable: what is beyond the held-back tail.
      int ready = avail - MARK_LENGTH;
      if (ready > 0) {
        int n = Math.min(len, ready);
        System.arraycopy(buf, start, b, off, n);
        capture(buf, start, n);
        start += n;
        avail -= n;
        delivered += n;
        return n;
      }
      if (done) {
        return -1;
      }
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, avail);
        start = 0;
      }
      int n = in.read(buf, avail, buf.length - avail);
      if (n < 0) throw cut();
      avail += n;
      if (avail >= MARK_LENGTH
          && Arrays.equals(buf, avail - MARK_LENGTH, avail, mark, 0, MARK_LENGTH)) {
        // The end: everything before the mark is payload; the mark itself is dropped.
        done = true;
        if (avail == MARK_LENGTH) return -1; // nothing left before the mark
      }
    }
  }
}
