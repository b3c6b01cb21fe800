package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.chunk.GearTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Record-aligned chunks of real RDBs (Redis 7 and 6.2): exact bytes, every record understood, stable cuts. */
class RdbChunkerTest {
  static final GearTable GEAR = GearTable.derive(new byte[32]);
  static final ChunkerParams PARAMS = RedisBackup.DEFAULT.params();

  record Result(List<byte[]> chunks, long records, String fallback) {
    byte[] joined() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      chunks.forEach(out::writeBytes);
      return out.toByteArray();
    }

    Set<String> ids() {
      Set<String> s = new HashSet<>();
      for (byte[] c : chunks) s.add(java.util.HexFormat.of().formatHex(c, 0, Math.min(c.length, 64)) + c.length
          + java.util.Arrays.hashCode(c));
      return s;
    }
  }

  static Result chunk(byte[] rdb, ChunkerParams params) throws Exception {
    List<byte[]> chunks = new ArrayList<>();
    RdbChunker c = new RdbChunker(new ByteArrayInputStream(rdb), params, GEAR, chunks::add);
    c.run();
    return new Result(chunks, c.records(), c.fallback());
  }

  static byte[] rdb(RedisServer s) throws IOException {
    try (RedisBackup.Transfer t = RedisBackup.start(RedisUrl.parse(s.url(), null))) {
      byte[] all = t.input.readAllBytes();
      assertTrue(t.payload.complete());
      return all;
    }
  }

  static long keys(RedisServer s) throws IOException {
    long n = 0;
    try (RespConnection c = s.connect()) {
      for (Object v : RedisBackup.keyspace(c.info("keyspace")).values()) n += (Long) ((java.util.Map<?, ?>) v).get("keys");
    }
    return n;
  }

  private static void checkEveryRecordUnderstood(RedisServer s) throws Exception {
    byte[] rdb = rdb(s);
    Result r = chunk(rdb, PARAMS);
    assertNull(r.fallback(), "the scanner gave up");
    assertEquals(keys(s), r.records());
    assertArrayEquals(rdb, r.joined());
    for (int i = 0; i < r.chunks().size(); i++) {
      int n = r.chunks().get(i).length;
      assertTrue(n <= PARAMS.max(), "chunk " + i + " has " + n + " bytes");
      assertTrue(n >= PARAMS.min() || i == r.chunks().size() - 1, "chunk " + i + " has " + n + " bytes");
    }
    assertTrue(r.chunks().size() > rdb.length / PARAMS.max());
  }

  @Test
  void everyTypeOfRedis7And62(@TempDir Path tmp) throws Exception {
    try (RedisServer s = RedisServer.start(tmp.resolve("7"))) {
      try (RespConnection c = s.connect()) {
        Dataset.fill(c);
        c.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
      }
      checkEveryRecordUnderstood(s);
    }
    String binary = RedisServer.redis62();
    if (binary != null) {
      try (RedisServer s = RedisServer.start(binary, tmp.resolve("62"))) {
        try (RespConnection c = s.connect()) {
          Dataset.fill(c);
        }
        checkEveryRecordUnderstood(s);
      }
    }
  }

  /** One key changed among 20,000: the chunks around it change, the others stay. */
  @Test
  void oneChangedKeyChangesFewChunks(@TempDir Path tmp) throws Exception {
    try (RedisServer s = RedisServer.start(tmp.resolve("s"))) {
      try (RespConnection c = s.connect()) {
        c.call("DEBUG", "POPULATE", "20000", "key", "200");
      }
      ChunkerParams small = new ChunkerParams(256, 1024, 4096);
      Result before = chunk(rdb(s), small);
      try (RespConnection c = s.connect()) {
        c.call("SET", "key:777", "a different value of another length");
      }
      Result after = chunk(rdb(s), small);
      Set<String> added = after.ids();
      added.removeAll(before.ids());
      assertTrue(before.chunks().size() > 400, "chunks: " + before.chunks().size());
      assertTrue(added.size() >= 1 && added.size() <= 3, added.size() + " new chunks of " + after.chunks().size());
    }
  }

  @Test
  void unknownTypeHandsOverToByteLevelChunking() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("REDIS0011".getBytes(StandardCharsets.US_ASCII));
    b.write(0xFE); // SELECTDB 0
    b.write(0);
    b.write(0); // a string record: key "k", value "v"
    b.write(1);
    b.write('k');
    b.write(1);
    b.write('v');
    b.write(99); // a type from the future
    byte[] junk = new byte[200_000];
    new java.util.Random(1).nextBytes(junk);
    b.writeBytes(junk);
    byte[] rdb = b.toByteArray();
    Result r = chunk(rdb, PARAMS);
    assertNotNull(r.fallback());
    assertTrue(r.fallback().contains("value type 99"), r.fallback());
    assertEquals(1, r.records());
    assertArrayEquals(rdb, r.joined());
    // A cut stream (the transfer broke) still gives back exactly its bytes.
    byte[] cut = java.util.Arrays.copyOf(rdb, 14);
    assertArrayEquals(cut, chunk(cut, PARAMS).joined());
  }
}
