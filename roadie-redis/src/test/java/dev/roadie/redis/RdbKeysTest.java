package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.moilioncircle.redis.replicator.util.ByteArray;
import com.moilioncircle.redis.replicator.util.CRC64;
import com.moilioncircle.redis.replicator.util.Lzf;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RdbKeysTest {
  @Test
  void lzfDecodesWhatRedisReplicatorsEncoderWrites() throws Exception {
    Random rnd = new Random(7);
    for (int round = 0; round < 200; round++) {
      byte[] plain = new byte[1 + rnd.nextInt(5000)];
      for (int i = 0; i < plain.length; i++)
        plain[i] = (byte) ('a' + rnd.nextInt(round % 5 + 1)); // repetitive
      ByteArray encoded = Lzf.encode(new ByteArray(plain));
      if (encoded.length() >= plain.length)
        continue; // not compressible: Redis stores such a string plain
      byte[] compressed = Arrays.copyOf(encoded.first(), (int) encoded.length());
      assertArrayEquals(plain, RdbKeys.lzf(compressed, plain.length), "round " + round);
    }
  }

  @Test
  void lzfRefusesCorruptInput() {
    assertThrows(RdbKeys.Unsupported.class, () -> RdbKeys.lzf(new byte[] {(byte) 0xE0, 5, 1}, 10));
    assertThrows(RdbKeys.Unsupported.class, () -> RdbKeys.lzf(new byte[] {2, 'a', 'b', 'c'}, 10));
  }

  @Test
  void payloadIsTheValueWithVersionAndCrc() throws Exception {
    ByteArrayOutputStream rdb = new ByteArrayOutputStream();
    rdb.writeBytes("REDIS0010".getBytes(StandardCharsets.US_ASCII));
    rdb.write(0xFE); // SELECTDB 3
    rdb.write(3);
    rdb.write(0xFC); // expiry in ms
    for (int i = 0; i < 8; i++) rdb.write((int) (1234567890123L >>> (8 * i)));
    rdb.write(0); // string value
    rdb.write(0xC1); // key: 16-bit integer 31000
    rdb.write(31000 & 0xFF);
    rdb.write(31000 >>> 8);
    rdb.write(3);
    rdb.writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
    rdb.write(0xFF);
    rdb.writeBytes(new byte[8]);
    List<Object[]> keys = new ArrayList<>();
    RdbKeys scanner = new RdbKeys(new ByteArrayInputStream(rdb.toByteArray()));
    scanner.run(
        new RdbKeys.Sink() {
          @Override
          public void key(long db, long expireAtMs, byte[] key, byte[] payload) {
            keys.add(
                new Object[] {db, expireAtMs, new String(key, StandardCharsets.US_ASCII), payload});
          }

          @Override
          public void function(byte[] payload) {
            throw new AssertionError("no functions here");
          }
        });
    assertEquals(10, scanner.rdbVersion());
    assertEquals(1, keys.size());
    assertEquals(3L, keys.get(0)[0]);
    assertEquals(1234567890123L, keys.get(0)[1]);
    assertEquals("31000", keys.get(0)[2]);
    byte[] payload = (byte[]) keys.get(0)[3];
    byte[] value = {0, 3, 'a', 'b', 'c', 10, 0};
    assertArrayEquals(value, Arrays.copyOf(payload, 7));
    long crc = CRC64.crc64(value, 0, 7, 0L);
    for (int i = 0; i < 8; i++) assertEquals((byte) (crc >>> (8 * i)), payload[7 + i]);
    assertEquals(15, payload.length);
  }

  @Test
  void unknownValueTypeIsUnsupportedBeforeTheKeyIsHandedOn() {
    byte[] rdb = {'R', 'E', 'D', 'I', 'S', '0', '0', '1', '1', 0x7E, 1, 'k', 0};
    List<byte[]> seen = new ArrayList<>();
    RdbKeys.Unsupported e =
        assertThrows(
            RdbKeys.Unsupported.class,
            () ->
                new RdbKeys(new ByteArrayInputStream(rdb))
                    .run(
                        new RdbKeys.Sink() {
                          @Override
                          public void key(long db, long expireAtMs, byte[] key, byte[] payload) {
                            seen.add(key);
                          }

                          @Override
                          public void function(byte[] payload) {}
                        }));
    assertTrue(e.getMessage().contains("value type 126"), e.getMessage());
    assertTrue(seen.isEmpty());
  }

  @Test
  void newerRdbVersionIsUnsupported() {
    byte[] rdb = "REDIS0013".getBytes(StandardCharsets.US_ASCII);
    assertThrows(
        RdbKeys.Unsupported.class, () -> new RdbKeys(new ByteArrayInputStream(rdb)).run(null));
  }

  /**
   * A generated RDB: databases 0, 1 and 2 with string keys of random sizes, a fifth with an expiry.
   */
  private static final class GeneratedRdb {
    final ByteArrayOutputStream full = new ByteArrayOutputStream();
    final ByteArrayOutputStream db1 =
        new ByteArrayOutputStream(); // what a copy of database 1 holds
    long db1Keys;
    long db1Expires;

    GeneratedRdb(long seed) {
      Random rnd = new Random(seed);
      both("REDIS0010".getBytes(StandardCharsets.US_ASCII));
      both(new byte[] {(byte) 0xFA});
      both(string("redis-ver".getBytes(StandardCharsets.US_ASCII)));
      both(string("7.0.15".getBytes(StandardCharsets.US_ASCII)));
      full.write(0xF5); // a function library: server-wide, not copied with one database
      full.writeBytes(string("#!lua name=x".getBytes(StandardCharsets.US_ASCII)));
      for (int db = 0; db < 3; db++) {
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        records.write(0xFE);
        records.write(db);
        int n = 50 + rnd.nextInt(100);
        records.write(0xFB);
        records.writeBytes(length(n));
        records.write(0);
        for (int i = 0; i < n; i++) {
          if (i % 5 == 0) {
            records.write(0xFC);
            for (int b = 0; b < 8; b++) records.write((int) (4_000_000_000_000L >>> (8 * b)));
            if (db == 1) db1Expires++;
          }
          records.write(0);
          records.writeBytes(string(("k" + db + ":" + i).getBytes(StandardCharsets.US_ASCII)));
          byte[] value =
              new byte[rnd.nextInt(8) == 0 ? 20_000 + rnd.nextInt(70_000) : rnd.nextInt(3000)];
          rnd.nextBytes(value);
          records.writeBytes(string(value));
          if (db == 1) db1Keys++;
        }
        full.writeBytes(records.toByteArray());
        if (db == 1) db1.writeBytes(records.toByteArray());
      }
      both(new byte[] {(byte) 0xFF});
      full.writeBytes(crc(full.toByteArray()));
      db1.writeBytes(crc(db1.toByteArray()));
    }

    private void both(byte[] b) {
      full.writeBytes(b);
      db1.writeBytes(b);
    }

    static byte[] length(int n) {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      if (n < 64) {
        o.write(n);
      } else if (n < 16384) {
        o.write(0x40 | (n >>> 8));
        o.write(n & 0xFF);
      } else {
        o.write(0x80);
        for (int i = 3; i >= 0; i--) o.write(n >>> (8 * i));
      }
      return o.toByteArray();
    }

    static byte[] string(byte[] s) {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      o.writeBytes(length(s.length));
      o.writeBytes(s);
      return o.toByteArray();
    }

    static byte[] crc(byte[] b) {
      long crc = CRC64.crc64(b, 0, b.length, 0L);
      byte[] out = new byte[8];
      for (int i = 0; i < 8; i++) out[i] = (byte) (crc >>> (8 * i));
      return out;
    }
  }

  /**
   * Hands out a stream in reads of 1 to 700 bytes, so records straddle the scanner's buffer fills
   * everywhere.
   */
  private static InputStream choppy(byte[] b, long seed) {
    Random rnd = new Random(seed);
    return new ByteArrayInputStream(b) {
      @Override
      public synchronized int read(byte[] buf, int off, int len) {
        return super.read(buf, off, Math.min(len, 1 + rnd.nextInt(700)));
      }
    };
  }

  private static final class Counts implements RdbKeys.Census {
    long keys;
    long expires;
    long functions;
    final java.util.Set<Long> dbs = new java.util.TreeSet<>();

    @Override
    public void key(long db, int type, long expireAtMs) {
      keys++;
      if (expireAtMs >= 0) expires++;
      dbs.add(db);
      assertEquals(0, type);
    }

    @Override
    public void function() {
      functions++;
    }
  }

  @Test
  void copyOfOneDatabaseHoldsItsRecordsAndANewChecksum() throws Exception {
    for (long seed = 1; seed <= 20; seed++) {
      GeneratedRdb rdb = new GeneratedRdb(seed);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Counts counts = new Counts();
      assertTrue(new RdbKeys(choppy(rdb.full.toByteArray(), seed)).copy(out, 1, counts));
      assertArrayEquals(rdb.db1.toByteArray(), out.toByteArray(), "seed " + seed);
      assertEquals(rdb.db1Keys, counts.keys);
      assertEquals(rdb.db1Expires, counts.expires);
      assertEquals(java.util.Set.of(1L), counts.dbs);
      assertEquals(0, counts.functions);
    }
  }

  @Test
  void copyOfAllDatabasesIsTheInputUnchanged() throws Exception {
    GeneratedRdb rdb = new GeneratedRdb(99);
    byte[] in = rdb.full.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Counts counts = new Counts();
    assertTrue(new RdbKeys(choppy(in, 5)).copy(out, -1, counts));
    assertArrayEquals(in, out.toByteArray());
    assertEquals(java.util.Set.of(0L, 1L, 2L), counts.dbs);
    assertEquals(1, counts.functions);

    // A value type the scanner does not know: the bytes are still copied, whole; the census is
    // incomplete.
    byte[] odd = in.clone();
    int firstKey = indexOf(odd, "k0:0".getBytes(StandardCharsets.US_ASCII)) - 2; // its type byte
    assertEquals(0, odd[firstKey]);
    odd[firstKey] = 0x7E;
    ByteArrayOutputStream out2 = new ByteArrayOutputStream();
    assertFalse(new RdbKeys(choppy(odd, 6)).copy(out2, -1, new Counts()));
    assertArrayEquals(odd, out2.toByteArray());
    // ... and a copy of one database refuses it.
    assertThrows(
        RdbKeys.Unsupported.class,
        () ->
            new RdbKeys(new ByteArrayInputStream(odd))
                .copy(new ByteArrayOutputStream(), 1, new Counts()));
  }

  private static int indexOf(byte[] b, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= b.length; i++) {
      for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
      return i;
    }
    throw new AssertionError("not found");
  }
}
