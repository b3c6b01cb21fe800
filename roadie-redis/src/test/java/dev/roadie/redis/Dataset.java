package dev.roadie.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Fills a server with every data type, TTLs, several databases and one value over 10 MB. */
final class Dataset {
  private Dataset() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void fill(RespConnection c) throws IOException {
    Random rnd = new Random(42);
    int pending = 0;
    for (int db : new int[] {0, 1, 7}) {
      c.write(b("SELECT"), b(Integer.toString(db)));
      pending++;
      for (int i = 0; i < 3000; i++) {
        c.write(b("SET"), b("s:" + db + ":" + i), b("value-" + i + "-" + rnd.nextInt()));
        pending++;
      }
      byte[] binKey = new byte[32];
      byte[] binVal = new byte[3000];
      rnd.nextBytes(binKey);
      rnd.nextBytes(binVal);
      c.write(b("SET"), binKey, binVal);
      c.write(b("SET"), b("int"), b("12345"));
      // Keys the RDB stores encoded: as integers of 8, 16 and 32 bits, and LZF-compressed (long,
      // repetitive).
      c.write(b("SET"), b("-7"), b("int8 key"));
      c.write(b("SET"), b("31000"), b("int16 key"));
      c.write(b("SET"), b("-2000000000"), b("int32 key"));
      c.write(b("SET"), b("user:profile:".repeat(8) + db), b("lzf key"));
      pending += 6;
      for (int i = 0; i < 200; i++) {
        c.write(b("RPUSH"), b("list:small"), b("e" + i));
        c.write(b("SADD"), b("set:int"), b(Integer.toString(i * 7)));
        c.write(b("SADD"), b("set:str"), b("m" + i));
        c.write(b("ZADD"), b("zset:small"), b(Double.toString(i / 3.0)), b("z" + i));
        c.write(b("HSET"), b("hash:small"), b("f" + i % 50), b("v" + i));
        pending += 5;
      }
      for (int i = 0; i < 5000; i++) {
        c.write(b("RPUSH"), b("list:big"), b("element-" + i + "-" + rnd.nextLong()));
        c.write(b("SADD"), b("set:big"), b("member-" + i + "-" + rnd.nextLong()));
        c.write(b("ZADD"), b("zset:big"), b(Double.toString(rnd.nextGaussian())), b("zm-" + i));
        c.write(b("HSET"), b("hash:big"), b("field-" + i), b("value-" + rnd.nextLong()));
        pending += 4;
      }
      for (int i = 0; i < 500; i++) {
        c.write(
            b("XADD"),
            b("stream"),
            b("*"),
            b("n"),
            b(Integer.toString(i)),
            b("payload"),
            b("p" + rnd.nextInt()));
        pending++;
      }
      c.write(b("XGROUP"), b("CREATE"), b("stream"), b("g1"), b("0"));
      c.write(b("XGROUP"), b("CREATE"), b("stream"), b("g2"), b("$"));
      c.write(
          b("XREADGROUP"),
          b("GROUP"),
          b("g1"),
          b("alice"),
          b("COUNT"),
          b("10"),
          b("STREAMS"),
          b("stream"),
          b(">"));
      c.write(
          b("XREADGROUP"),
          b("GROUP"),
          b("g1"),
          b("bob"),
          b("COUNT"),
          b("5"),
          b("STREAMS"),
          b("stream"),
          b(">"));
      pending += 4;
      for (int i = 0; i < 300; i++) {
        c.write(
            b("SET"), b("ttl:" + i), b("t" + i), b("PX"), b(Long.toString(3_600_000L + i * 1000L)));
        pending++;
      }
      c.write(b("HSET"), b("hash:ttl"), b("a"), b("1"));
      c.write(b("EXPIRE"), b("hash:ttl"), b("7200"));
      pending += 2;
    }
    c.write(b("SELECT"), b("0"));
    byte[] big = new byte[11 << 20];
    rnd.nextBytes(big);
    c.write(b("SET"), b("big:value"), big);
    pending += 2;
    c.flush();
    for (int i = 0; i < pending; i++) {
      Object r = c.readReply();
      if (r instanceof RespConnection.ErrorReply e)
        throw new IOException("filling: " + e.message());
    }
  }
}
