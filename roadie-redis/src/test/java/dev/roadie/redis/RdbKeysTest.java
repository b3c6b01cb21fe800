package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.moilioncircle.redis.replicator.util.ByteArray;
import com.moilioncircle.redis.replicator.util.CRC64;
import com.moilioncircle.redis.replicator.util.Lzf;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
      for (int i = 0; i < plain.length; i++) plain[i] = (byte) ('a' + rnd.nextInt(round % 5 + 1)); // repetitive
      ByteArray encoded = Lzf.encode(new ByteArray(plain));
      if (encoded.length() >= plain.length) continue; // not compressible: Redis stores such a string plain
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
    scanner.run(new RdbKeys.Sink() {
      @Override
      public void key(long db, long expireAtMs, byte[] key, byte[] payload) {
        keys.add(new Object[] {db, expireAtMs, new String(key, StandardCharsets.US_ASCII), payload});
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
    RdbKeys.Unsupported e = assertThrows(RdbKeys.Unsupported.class, () -> new RdbKeys(new ByteArrayInputStream(rdb))
        .run(new RdbKeys.Sink() {
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
    assertThrows(RdbKeys.Unsupported.class, () -> new RdbKeys(new ByteArrayInputStream(rdb)).run(null));
  }
}
