package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceContractTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source contract for {@code redis}, against servers this class starts: an original with keys
 * of every type in two databases, copies restored online into fresh servers.
 */
class RedisSourceContractTest extends SourceContractTest {
  @TempDir static Path originalDir;
  static RedisServer original;
  static String digest;
  private final List<RedisServer> copies = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    original = RedisServer.start(originalDir);
    try (RespConnection c = original.connect()) {
      for (int i = 0; i < 200; i++) c.call("SET", "s:" + i, "value " + i);
      c.call("RPUSH", "list", "a", "b", "c");
      c.call("SADD", "set", "x", "y");
      c.call("ZADD", "zset", "1", "one", "2", "two");
      c.call("HSET", "hash", "f1", "v1", "f2", "v2");
      c.call("XADD", "stream", "*", "k", "v");
      c.call("SELECT", "2");
      for (int i = 0; i < 50; i++) c.call("SET", "db2:" + i, "v" + i);
    }
    digest = original.digest();
  }

  @AfterAll
  static void stop() throws Exception {
    if (original != null) original.close();
  }

  @AfterEach
  void stopCopies() throws Exception {
    for (RedisServer s : copies) s.close();
  }

  @Override
  protected String kind() {
    return RedisBackup.KIND;
  }

  @Override
  protected BackupRequest.Options original() {
    return new RedisSource.BackupOptions(RedisUrl.parse(original.url(), null));
  }

  @Override
  protected Destination freshDestination() throws Exception {
    RedisServer s = RedisServer.start(work.resolve("copy-" + copies.size()));
    copies.add(s);
    return new Destination.Server(s.url());
  }

  private RedisServer server(Destination d) {
    String url = ((Destination.Server) d).url();
    return copies.stream().filter(s -> s.url().equals(url)).findFirst().orElseThrow();
  }

  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    assertEquals(digest, server(copy).digest());
  }

  @Override
  protected void damage(Destination copy) throws Exception {
    try (RespConnection c = server(copy).connect()) {
      c.call("SELECT", "2");
      c.call("DEL", "db2:7");
    }
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Directory(work.resolve("not-a-server"));
  }

  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) {
    assertEquals(List.of("db0", "db2", "dump.rdb"), all.stream().map(Entry::path).toList());
    assertEquals("database", all.get(0).type());
    assertEquals(
        205L,
        ((Number) all.get(0).details().get("keys")).longValue(),
        "200 strings and 5 of other types");
    assertEquals(50L, ((Number) all.get(1).details().get("keys")).longValue());
    assertEquals("stream", all.get(2).type());
  }
}
