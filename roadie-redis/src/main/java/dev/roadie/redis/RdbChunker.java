package dev.roadie.redis;

import dev.roadie.core.chunk.Chunker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.chunk.GearTable;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;

/**
 * Cuts an RDB stream into chunks at key-record boundaries, so that a key whose value did not change
 * keeps its chunk even when keys around it did. A record (expiry, LRU/LFU prefix, type, key, value)
 * ends a chunk with probability {@code recordBytes / avg}, decided by a keyed hash of the key
 * (keyed by the repository's gear table, so chunk sizes do not reveal key names): chunks average
 * about {@code avg} bytes whatever the record sizes, and the same key group gives the same chunk
 * in the next backup. Chunks are at least {@code min} bytes (except the last), and a record longer
 * than {@code max} is cut every {@code max} bytes.
 *
 * <p>The chunks concatenate to the stream byte for byte: only boundaries depend on the parse. So
 * the scanner needs to know just the lengths of the RDB encoding (versions up to 12, Redis 7.4),
 * not the meaning; anything it does not know (a newer type, a module without the module-2 format)
 * hands the rest of the stream to byte-level content-defined chunking ({@link Chunker}), which is
 * as good as a scanner never existed. Restores do not depend on this class.
 */
final class RdbChunker {
  /** Where chunks go, in stream order. */
  interface Sink {
    void accept(byte[] chunk) throws IOException, InterruptedException;
  }

  /** Thrown where the scanner meets something it cannot measure. */
  private static class Unknown extends Exception {
    Unknown(String what) {
      super(what, null, false, false);
    }
  }

  /** The input ended (an error of the input itself is an IOException and propagates). */
  private static final class EndOfInput extends Unknown {
    EndOfInput() {
      super("end of input");
    }
  }

  private static final int MAX_RDB_VERSION = 12;

  private final InputStream in;
  private final ChunkerParams params;
  private final GearTable gear;
  private final long[] table;
  private final Sink sink;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int lim;
  private boolean eof;
  private final byte[] chunk;
  private int chunkLength;
  private long offset;
  private long recordStart;
  private boolean hashing;
  private long hash;
  private long records;
  private int rdbVersion;
  private String fallback;

  RdbChunker(InputStream in, ChunkerParams params, GearTable gear, Sink sink) {
    this.in = in;
    this.params = params;
    this.gear = gear;
    this.table = gear.values();
    this.sink = sink;
    this.chunk = new byte[params.max()];
  }

  /** Key records seen before the end or a fallback. */
  long records() {
    return records;
  }

  /** Why the scanner handed over to byte-level chunking (and where), or null if it read to the end. */
  String fallback() {
    return fallback;
  }

  /** Reads the whole stream and hands every chunk to the sink. */
  void run() throws IOException, InterruptedException {
    try {
      header();
      while (record()) {
        // one record (or opcode) per round
      }
      // After EOF's checksum nothing should follow; if something does, it goes into the last chunk.
      copyRest();
      flush();
    } catch (EndOfInput e) {
      flush(); // the stream ended mid-record: whoever framed it decides whether that is an error
    } catch (Unknown u) {
      fallback = u.getMessage() + " at byte " + offset;
      byteLevel();
    }
  }

  private void header() throws IOException, Unknown {
    byte[] magic = new byte[9];
    for (int i = 0; i < 9; i++) magic[i] = (byte) u8();
    String s = new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1);
    if (!s.startsWith("REDIS")) throw new Unknown("no REDIS magic");
    try {
      rdbVersion = Integer.parseInt(s.substring(5));
    } catch (NumberFormatException e) {
      throw new Unknown("bad RDB version");
    }
    if (rdbVersion > MAX_RDB_VERSION) throw new Unknown("RDB version " + rdbVersion);
  }

  /** One opcode or key record; false after the EOF opcode. */
  private boolean record() throws IOException, Unknown {
    recordStart = offset;
    int type = u8();
    while (true) {
      switch (type) {
        case 0xFF -> { // EOF, then the CRC64 (RDB 5+)
          if (rdbVersion >= 5) skip(8);
          return false;
        }
        case 0xFE -> { // SELECTDB
          length();
          return true;
        }
        case 0xFD -> skip(4); // EXPIRETIME (seconds), a prefix of the record
        case 0xFC -> skip(8); // EXPIRETIME_MS
        case 0xF8 -> length(); // IDLE
        case 0xF7 -> skip(1); // FREQ
        case 0xFB -> { // RESIZEDB
          length();
          length();
          return true;
        }
        case 0xFA -> { // AUX
          string();
          string();
          return true;
        }
        case 0xF9 -> { // MODULE_AUX: module id, when-opcode, when, then a module-2 value
          length();
          length();
          length();
          moduleValue();
          return true;
        }
        case 0xF5 -> { // FUNCTION2: the library's code
          string();
          return true;
        }
        case 0xF4 -> { // SLOT_INFO: slot, keys, expiring keys
          length();
          length();
          length();
          return true;
        }
        default -> {
                hashing = true;
          hash = 0x243F6A8885A308D3L;
          string(); // the key
          hashing = false;
          value(type);
          records++;
          endOfRecord(mix(hash), offset - recordStart);
          return true;
        }
      }
      type = u8();
    }
  }

  private void value(int type) throws IOException, Unknown {
    switch (type) {
      case 0 -> string();
      case 1, 2 -> strings(length());
      case 3 -> { // ZSET: member, then a double as a length-prefixed string (253-255: NaN, +inf, -inf)
        for (long i = length(); i > 0; i--) {
          string();
          int n = u8();
          if (n < 253) skip(n);
        }
      }
      case 4 -> strings(2 * length());
      case 5 -> { // ZSET_2: member, binary double
        for (long i = length(); i > 0; i--) {
          string();
          skip(8);
        }
      }
      case 7 -> { // MODULE_2
        length();
        moduleValue();
      }
      case 9, 10, 11, 12, 13, 16, 17, 20 -> string(); // zipmap, ziplists, intset, listpacks
      case 14 -> strings(length()); // QUICKLIST: ziplists
      case 18 -> { // QUICKLIST_2: container kind, listpack or plain node
        for (long i = length(); i > 0; i--) {
          length();
          string();
        }
      }
      case 15, 19, 21 -> stream(type);
      default -> throw new Unknown("value type " + type);
    }
  }

  private void stream(int type) throws IOException, Unknown {
    for (long i = length(); i > 0; i--) {
      string(); // master id
      string(); // listpack
    }
    length(); // items
    length(); // last id
    length();
    if (type >= 19) {
      for (int i = 0; i < 5; i++) length(); // first id, max deleted id, entries added
    }
    for (long g = length(); g > 0; g--) {
        string(); // group name
      length(); // last delivered id
      length();
      if (type >= 19) length(); // entries read
      for (long p = length(); p > 0; p--) {
        skip(16 + 8); // id, delivery time
        length(); // delivery count
      }
      for (long c = length(); c > 0; c--) {
        string(); // consumer name
        skip(type >= 21 ? 16 : 8); // seen time (and active time)
        long pending = length();
        skip(16 * pending);
      }
    }
  }

  /** Module-2 values are self-describing: typed opcodes until EOF (0). */
  private void moduleValue() throws IOException, Unknown {
    while (true) {
      long op = length();
      switch ((int) op) {
        case 0 -> {
          return;
        }
        case 1, 2 -> length();
        case 3 -> skip(4);
        case 4 -> skip(8);
        case 5 -> string();
        default -> throw new Unknown("module opcode " + op);
      }
    }
  }

  private void strings(long n) throws IOException, Unknown {
    for (long i = 0; i < n; i++) string();
  }

  /** An RDB length; the special (integer/LZF) encodings are not lengths. */
  private long length() throws IOException, Unknown {
    return length(u8());
  }

  private long length(int b) throws IOException, Unknown {
    return switch (b >>> 6) {
      case 0 -> b & 0x3F;
      case 1 -> ((b & 0x3F) << 8) | u8();
      case 2 -> {
        if (b == 0x80) yield bigEndian(4);
        if (b == 0x81) yield bigEndian(8);
        throw new Unknown("length byte " + b);
      }
      default -> throw new Unknown("encoded value where a length belongs");
    };
  }

  private long bigEndian(int n) throws IOException, Unknown {
    long v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | u8();
    return v; // unsigned; -1 is a real value (a consumer group's unknown entries-read)
  }

  private void string() throws IOException, Unknown {
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
      default -> throw new Unknown("string encoding " + (b & 0x3F));
    }
  }

  private int u8() throws IOException, EndOfInput {
    if (pos == lim) fill();
    int b = buf[pos++] & 0xFF;
    if (hashing) hash = (hash ^ table[b]) * 0x9E3779B97F4A7C15L;
    append(b);
    return b;
  }

  private void append(int b) throws IOException {
    if (chunkLength == chunk.length) emit();
    chunk[chunkLength++] = (byte) b;
    offset++;
  }

  private void skip(long n) throws IOException, EndOfInput {
    while (n > 0) {
      if (pos == lim) fill();
      if (chunkLength == chunk.length) emit();
      int k = (int) Math.min(n, Math.min(lim - pos, chunk.length - chunkLength));
      if (hashing) {
        for (int i = 0; i < k; i++) hash = (hash ^ table[buf[pos + i] & 0xFF]) * 0x9E3779B97F4A7C15L;
      }
      System.arraycopy(buf, pos, chunk, chunkLength, k);
      pos += k;
      chunkLength += k;
      offset += k;
      n -= k;
    }
  }

  private void fill() throws IOException, EndOfInput {
    if (eof) throw new EndOfInput();
    int n = in.read(buf, 0, buf.length);
    if (n < 0) {
      eof = true;
      throw new EndOfInput();
    }
    pos = 0;
    lim = n;
  }

  private void copyRest() throws IOException, EndOfInput {
    while (true) {
      if (pos == lim) {
        try {
          fill();
        } catch (EndOfInput e) {
          return;
        }
      }
      skip(lim - pos);
    }
  }

  /** The record just ended: cut here with probability recordBytes / avg, once the chunk has min bytes. */
  private void endOfRecord(long keyHash, long recordBytes) throws IOException {
    if (chunkLength < params.min()) return;
    // keyHash's top 53 bits as a fraction of 1, against recordBytes / avg.
    if ((double) (keyHash >>> 11) * params.avg() < (double) recordBytes * (1L << 53)) emit();
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  private void emit() throws IOException {
    if (chunkLength == 0) return;
    try {
      sink.accept(Arrays.copyOf(chunk, chunkLength));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    }
    chunkLength = 0;
  }

  private void flush() throws IOException {
    emit();
  }

  /** The rest of the stream (what is buffered, then the input) by byte-level content-defined chunking. */
  private void byteLevel() throws IOException, InterruptedException {
    emit();
    InputStream rest = new SequenceInputStream(new ByteArrayInputStream(buf, pos, lim - pos), in);
    pos = lim;
    Chunker c = new Chunker(rest, params, gear);
    Chunker.Chunk next;
    while ((next = c.next()) != null) {
      sink.accept(next.data());
    }
  }
}
