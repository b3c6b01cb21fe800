package dev.roadie.redis;

import com.moilioncircle.redis.replicator.util.ByteArray;
import com.moilioncircle.redis.replicator.util.CRC64;
import com.moilioncircle.redis.replicator.util.Lzf;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits an RDB into DUMP payloads, one per key, for {@code RESTORE}: a key's payload is its value
 * exactly as the RDB holds it (type byte and encoded value), then the RDB version (2 bytes) and a
 * CRC-64 of both (8 bytes, little-endian), the format {@code DUMP} produces. Values are never
 * decoded, only measured: the scanner knows the lengths of the RDB encoding (versions up to 12,
 * Redis 7.4's listpack-with-TTL hashes excepted), not their meaning, and copies each value's bytes
 * once.
 *
 * <p>A backup uses the same scanner to copy the RDB as it streams in ({@link #copy}): it counts the
 * keys per database and type, and for a backup of one database passes on only that database's
 * records (the header, aux fields and module aux data too, with a new checksum), so what the
 * repository stores is a valid RDB of that database alone.
 *
 * <p>Why not redis-replicator's {@code DumpRdbVisitor}, which does the same: it gathers a value's
 * bytes through a listener one buffer at a time and copies them several times, which made it most
 * of the work of the restore's one parsing and sending thread
 * (docs/decisions/0014-redis-restore-rdbkeys-scanner.md). Anything the scanner does not know throws
 * {@link Unsupported} before a byte of that record is handed on; the restore then replays the
 * snapshot with redis-replicator instead ({@code RESTORE ... REPLACE} makes the keys sent before
 * harmless).
 */
final class RdbKeys {
  /** Where keys and functions go, in RDB order. */
  interface Sink {
    /** A key of database {@code db}; {@code expireAtMs} is -1 when it has no expiry. */
    void key(long db, long expireAtMs, byte[] key, byte[] payload) throws IOException;

    /** A function library, as a {@code FUNCTION RESTORE} payload. */
    void function(byte[] payload) throws IOException;
  }

  /** What {@link #copy} counts: the records it passes on. */
  interface Census {
    /**
     * A key of database {@code db} with RDB value type {@code type}; {@code expireAtMs} is -1
     * without expiry.
     */
    void key(long db, int type, long expireAtMs);

    /** A function library. */
    void function();
  }

  /** The RDB holds something this scanner cannot measure; nothing of that record was handed on. */
  static final class Unsupported extends IOException {
    Unsupported(String what) {
      super(what);
    }
  }

  static final int MAX_RDB_VERSION = 12;

  /** The Redis type ({@code TYPE}'s answer) of an RDB value type. */
  static String typeName(int rdbType) {
    return switch (rdbType) {
      case 0 -> "string";
      case 1, 10, 14, 18 -> "list";
      case 2, 11, 20 -> "set";
      case 3, 5, 12, 17 -> "zset";
      case 4, 9, 13, 16, 22, 23 -> "hash";
      case 6, 7 -> "module";
      case 15, 19, 21 -> "stream";
      default -> "rdb-type-" + rdbType;
    };
  }

  private static final int PASS = 0;
  private static final int DROP = 1;
  private static final int HOLD = 2;

  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int lim;
  private long offset; // bytes consumed before buf[0]
  private int rdbVersion;

  /**
   * The value being captured (type byte onwards), or not capturing when {@code capturing} is false.
   */
  private byte[] capture = new byte[1 << 12];

  private int captured;
  private boolean capturing;
  // copy(): where the bytes read go. buf[teeFrom..pos) are read and not yet passed on or dropped;
  // while a record's fate is undecided (HOLD, only when one database is kept) fill() keeps them.
  private OutputStream tee;
  private long onlyDb = -1;
  private int teeFrom;
  private int teeState = PASS;
  private long crc;

  RdbKeys(InputStream in) {
    this.in = in;
  }

  /** The RDB version of the header, once {@link #run} has read it. */
  int rdbVersion() {
    return rdbVersion;
  }

  /**
   * Copies the RDB to {@code out} and tells {@code census} every key and function library copied.
   * With {@code onlyDb} >= 0 only that database's keys are copied (with the header, aux fields and
   * module aux data, not the function libraries, which belong to the server): a valid RDB with its
   * own checksum. With {@code onlyDb} -1 the bytes are copied unchanged, whatever they hold; should
   * the scanner fail on them ({@link Unsupported}, or a runtime exception), the rest is copied
   * unscanned and false is returned: the census is then incomplete. Failures of {@code in} itself
   * are thrown.
   */
  boolean copy(OutputStream out, long onlyDb, Census census) throws IOException {
    this.tee = out;
    this.onlyDb = onlyDb;
    if (onlyDb >= 0) {
      header();
      records(null, census);
      flushTee();
      teeState = DROP;
      if (rdbVersion >= 5) { // RDB 5+ ends with a checksum: the source's covers records not copied
        skip(8);
        byte[] sum = new byte[8];
        for (int i = 0; i < 8; i++) sum[i] = (byte) (crc >>> (8 * i));
        out.write(sum);
      }
      in.transferTo(OutputStream.nullOutputStream()); // to the end of the payload
      return true;
    }
    boolean complete;
    try {
      header();
      records(null, census);
      complete = true;
    } catch (Unsupported | RuntimeException e) {
      complete =
          false; // something the scanner does not know, or a scanner fault: the bytes count, not
      // the census
    }
    out.write(buf, teeFrom, lim - teeFrom); // the checksum, or the rest of what was read
    teeFrom = lim;
    pos = lim;
    in.transferTo(out);
    return complete;
  }

  /** Reads the RDB to its EOF opcode and hands every key and function to {@code sink}. */
  void run(Sink sink) throws IOException {
    header();
    records(sink, null);
  }

  /**
   * The records up to the EOF opcode: to {@code sink} with payloads, or counted by {@code census}.
   */
  private void records(Sink sink, Census census) throws IOException {
    long db = 0;
    while (true) {
      recordStart();
      long expireAt = -1;
      int type = u8();
      // Prefixes of a key record: expiry, LRU idle time, LFU frequency.
      while (true) {
        if (type == 0xFD) {
          expireAt = littleEndian(4) * 1000;
        } else if (type == 0xFC) {
          expireAt = littleEndian(8);
        } else if (type == 0xF8) { // IDLE: LRU idle seconds (maxmemory-policy *-lru)
          length();
        } else if (type == 0xF9) { // FREQ: LFU counter, one byte (maxmemory-policy *-lfu)
          skip(1);
        } else {
          break;
        }
        type = u8();
      }
      switch (type) {
        case 0xFF -> { // EOF (its checksum follows; a restore reads bytes the repository has
          // verified)
          keep(true);
          return;
        }
        case 0xFE -> { // SELECTDB
          db = length();
          keep(db == onlyDb);
        }
        case 0xFB -> { // RESIZEDB
          keep(db == onlyDb);
          length();
          length();
        }
        case 0xFA -> { // AUX field
          keep(true);
          skipString();
          skipString();
        }
        case 0xF7 -> { // MODULE_AUX: module id, when-opcode, when, then a self-describing value
          keep(true);
          length();
          length();
          length();
          moduleValue();
        }
        case 0xF4 -> { // SLOT_INFO
          keep(db == onlyDb);
          length();
          length();
          length();
        }
        case 0xF5 -> { // FUNCTION2: the library's code, restored with FUNCTION RESTORE
          boolean kept = keep(false);
          if (sink != null) {
            startCapture(type);
            skipString();
            sink.function(endCapture());
          } else {
            skipString();
            if (kept) census.function();
          }
        }
        default -> {
          boolean kept = keep(db == onlyDb);
          if (sink != null) {
            byte[] key = string();
            startCapture(type);
            value(type);
            sink.key(db, expireAt, key, endCapture());
          } else {
            skipString();
            value(type);
            if (kept) census.key(db, type, expireAt);
          }
        }
      }
    }
  }

  /**
   * Whether a record is copied: always when all databases are, else when {@code inDb}. Until this
   * is known, the record's first bytes are held.
   */
  private boolean keep(boolean inDb) {
    if (onlyDb < 0) return true;
    teeState = inDb ? PASS : DROP;
    if (!inDb) teeFrom = pos;
    return inDb;
  }

  /**
   * A record begins: what was read before it is passed on or dropped; this one is held until {@link
   * #keep}.
   */
  private void recordStart() throws IOException {
    if (tee == null || onlyDb < 0) return;
    flushTee();
    teeState = HOLD;
  }

  private void flushTee() throws IOException {
    if (teeState == PASS && pos > teeFrom) emit(teeFrom, pos - teeFrom);
    teeFrom = pos;
  }

  private void emit(int from, int n) throws IOException {
    tee.write(buf, from, n);
    crc = CRC64.crc64(buf, from, n, crc);
  }

  private void header() throws IOException {
    byte[] magic = new byte[9];
    for (int i = 0; i < 9; i++) magic[i] = (byte) u8();
    String s = new String(magic, StandardCharsets.ISO_8859_1);
    if (!s.startsWith("REDIS")) throw new Unsupported("no REDIS magic at the start of the RDB");
    try {
      rdbVersion = Integer.parseInt(s.substring(5));
    } catch (NumberFormatException e) {
      throw new Unsupported("RDB version '" + s.substring(5) + "'");
    }
    if (rdbVersion > MAX_RDB_VERSION) throw new Unsupported("RDB version " + rdbVersion);
  }

  private void value(int type) throws IOException {
    switch (type) {
      case 0 -> skipString();
      case 1, 2 -> skipStrings(length()); // LIST (linked), SET
      case 3 -> { // ZSET: member, then a double as a length-prefixed string (253-255: NaN, +inf,
        // -inf)
        for (long i = length(); i > 0; i--) {
          skipString();
          int n = u8();
          if (n < 253) skip(n);
        }
      }
      case 4 -> skipStrings(2 * length()); // HASH
      case 5 -> { // ZSET_2: member, binary double
        for (long i = length(); i > 0; i--) {
          skipString();
          skip(8);
        }
      }
      case 7 -> { // MODULE_2
        length();
        moduleValue();
      }
      case 9, 10, 11, 12, 13, 16, 17, 20 -> skipString(); // zipmap, ziplists, intset, listpacks
      case 14 -> skipStrings(length()); // QUICKLIST of ziplists
      case 18 -> { // QUICKLIST_2: container kind, then a listpack or plain node
        for (long i = length(); i > 0; i--) {
          length();
          skipString();
        }
      }
      case 15, 19, 21 -> stream(type);
      default -> throw new Unsupported("value type " + type + " at byte " + offset());
    }
  }

  private void stream(int type) throws IOException {
    for (long i = length(); i > 0; i--) {
      skipString(); // master id
      skipString(); // listpack
    }
    length(); // items
    length(); // last id
    length();
    if (type >= 19) {
      for (int i = 0; i < 5; i++) length(); // first id, max deleted id, entries added
    }
    for (long g = length(); g > 0; g--) {
      skipString(); // group name
      length(); // last delivered id
      length();
      if (type >= 19) length(); // entries read
      for (long p = length(); p > 0; p--) {
        skip(16 + 8); // id, delivery time
        length(); // delivery count
      }
      for (long c = length(); c > 0; c--) {
        skipString(); // consumer name
        skip(type >= 21 ? 16 : 8); // seen time (and active time)
        skip(16 * length()); // pending ids
      }
    }
  }

  /** Module-2 values are self-describing: typed opcodes until EOF (0). */
  private void moduleValue() throws IOException {
    while (true) {
      long op = length();
      switch ((int) op) {
        case 0 -> {
          return;
        }
        case 1, 2 -> length();
        case 3 -> skip(4);
        case 4 -> skip(8);
        case 5 -> skipString();
        default -> throw new Unsupported("module opcode " + op + " at byte " + offset());
      }
    }
  }

  private void skipStrings(long n) throws IOException {
    for (long i = 0; i < n; i++) skipString();
  }

  private void skipString() throws IOException {
    int b = u8();
    if (b >>> 6 != 3) {
      skip(length(b));
      return;
    }
    switch (b & 0x3F) {
      case 0 -> skip(1);
      case 1 -> skip(2);
      case 2 -> skip(4);
      case 3 -> { // LZF: compressed length, uncompressed length, data
        long compressed = length();
        length();
        skip(compressed);
      }
      default -> throw new Unsupported("string encoding " + (b & 0x3F) + " at byte " + offset());
    }
  }

  /**
   * A string decoded: plain, an integer (as its decimal text, as Redis stores such keys), or LZF.
   */
  private byte[] string() throws IOException {
    int b = u8();
    if (b >>> 6 != 3) return bytes(length(b));
    return switch (b & 0x3F) {
      case 0 -> Long.toString((byte) u8()).getBytes(StandardCharsets.US_ASCII);
      case 1 -> Long.toString((short) littleEndian(2)).getBytes(StandardCharsets.US_ASCII);
      case 2 -> Long.toString((int) littleEndian(4)).getBytes(StandardCharsets.US_ASCII);
      case 3 -> {
        long compressed = length();
        long plain = length();
        yield lzf(bytes(compressed), plain);
      }
      default -> throw new Unsupported("string encoding " + (b & 0x3F) + " at byte " + offset());
    };
  }

  /**
   * Redis's LZF decompression (redis-replicator's) of {@code in} into exactly {@code length} bytes.
   */
  static byte[] lzf(byte[] in, long length) throws IOException {
    if (length > Integer.MAX_VALUE - 8)
      throw new Unsupported("an LZF string of " + length + " bytes");
    ByteArray out;
    try {
      out = Lzf.decode(new ByteArray(in), length);
    } catch (RuntimeException e) {
      throw new Unsupported("a corrupt LZF string");
    }
    byte[] b = out.first();
    return b.length == length ? b : Arrays.copyOf(b, (int) length);
  }

  /** An RDB length; the special (integer/LZF) encodings are not lengths. */
  private long length() throws IOException {
    return length(u8());
  }

  private long length(int b) throws IOException {
    return switch (b >>> 6) {
      case 0 -> b & 0x3F;
      case 1 -> ((b & 0x3F) << 8) | u8();
      case 2 -> {
        if (b == 0x80) yield bigEndian(4);
        // Unsigned 64 bits: some fields written as lengths hold -1 (a stream group's entries_read).
        if (b == 0x81) yield bigEndian(8);
        throw new Unsupported("length byte " + b + " at byte " + offset());
      }
      default ->
          throw new Unsupported("an encoded value where a length belongs, at byte " + offset());
    };
  }

  private long bigEndian(int n) throws IOException {
    long v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | u8();
    return v;
  }

  private long littleEndian(int n) throws IOException {
    long v = 0;
    for (int i = 0; i < n; i++) v |= (long) u8() << (8 * i);
    return v;
  }

  private long offset() {
    return offset + pos;
  }

  private void startCapture(int type) {
    captured = 0;
    capturing = true;
    capture[captured++] = (byte) type;
  }

  /** The captured bytes with the DUMP trailer: RDB version (2 bytes LE) and CRC-64 (8 bytes LE). */
  private byte[] endCapture() {
    capturing = false;
    byte[] payload = Arrays.copyOf(capture, captured + 10);
    payload[captured] = (byte) rdbVersion;
    payload[captured + 1] = (byte) (rdbVersion >>> 8);
    long crc = CRC64.crc64(payload, 0, captured + 2, 0L);
    for (int i = 0; i < 8; i++) payload[captured + 2 + i] = (byte) (crc >>> (8 * i));
    if (capture.length > 1 << 20)
      capture = new byte[1 << 12]; // do not hold on to a huge value's buffer
    return payload;
  }

  private void ensureCapture(long more) throws IOException {
    long need = captured + more;
    if (need <= capture.length) return;
    if (need > Integer.MAX_VALUE - 16) throw new Unsupported("a value of more than 2 GiB");
    capture =
        Arrays.copyOf(
            capture, (int) Math.max(need, Math.min(Integer.MAX_VALUE - 16, 2L * capture.length)));
  }

  private int u8() throws IOException {
    if (pos == lim) fill();
    int b = buf[pos++] & 0xFF;
    if (capturing) {
      if (captured == capture.length) ensureCapture(1);
      capture[captured++] = (byte) b;
    }
    return b;
  }

  /** The next {@code n} bytes (of a key: never while a value is captured). */
  private byte[] bytes(long n) throws IOException {
    if (n < 0 || n > Integer.MAX_VALUE - 16) throw new Unsupported("a key of " + n + " bytes");
    // Grown as the bytes arrive: a damaged length must not allocate gigabytes up front.
    byte[] out = new byte[(int) Math.min(n, 1 << 16)];
    int done = 0;
    while (done < n) {
      if (pos == lim) fill();
      int k = (int) Math.min(n - done, lim - pos);
      if (done + k > out.length) {
        out = Arrays.copyOf(out, (int) Math.min(n, Math.max(2L * out.length, (long) done + k)));
      }
      System.arraycopy(buf, pos, out, done, k);
      pos += k;
      done += k;
    }
    return out;
  }

  private void skip(long n) throws IOException {
    if (capturing) ensureCapture(n);
    while (n > 0) {
      if (pos == lim) fill();
      int k = (int) Math.min(n, lim - pos);
      if (capturing) {
        System.arraycopy(buf, pos, capture, captured, k);
        captured += k;
      }
      pos += k;
      n -= k;
    }
  }

  private void fill() throws IOException {
    if (tee != null) {
      if (teeState == HOLD) {
        // A record whose fate is not known yet: keep its first bytes (a few prefix bytes at most).
        int held = lim - teeFrom;
        System.arraycopy(buf, teeFrom, buf, 0, held);
        offset += teeFrom;
        pos = held;
        lim = held;
        teeFrom = 0;
        read();
        return;
      }
      if (teeState == PASS && lim > teeFrom) {
        if (onlyDb < 0) {
          tee.write(buf, teeFrom, lim - teeFrom); // the unchanged RDB keeps its own checksum
        } else {
          emit(teeFrom, lim - teeFrom);
        }
      }
      teeFrom = 0;
    }
    offset += lim;
    pos = 0;
    lim = 0;
    read();
  }

  private void read() throws IOException {
    int n = in.read(buf, lim, buf.length - lim);
    if (n <= 0) {
      if (tee != null)
        throw new Unsupported("an RDB that ends at byte " + offset() + ", before its EOF opcode");
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "the snapshot's RDB ends at byte "
              + offset()
              + ", before its EOF"
              + " opcode; run roadie check --read-data");
    }
    lim += n;
  }
}
