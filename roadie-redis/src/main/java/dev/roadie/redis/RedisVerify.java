package dev.roadie.redis;

import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchDirectoryVerify;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scratch verification of a {@code redis} snapshot: restored online into a throwaway
 * redis-server of a version that reads its RDB ({@link ScratchRedis}), then the keys of every
 * database counted per type in the copy ({@code SCAN … TYPE}) and compared with the counts the
 * backup took from the RDB itself, less the keys whose expiry passed since the backup (the restore
 * skips those, and counts them per database and type) and those that expire while the copy is
 * counted (the server's {@code expired_keys}): both reported, neither a failure.
 */
final class RedisVerify {
  private final Repository repo;
  private final Progress progress;

  RedisVerify(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  ScratchVerifyResult run(SnapshotRef ref, Scratch scratch, String redisServer) throws IOException {
    RedisMetadata m = SourceMetadata.of(ref.snapshot(), RedisMetadata.class);
    ScratchRedis server =
        ScratchRedis.find(redisServer, m.rdbVersion() == null ? 0 : m.rdbVersion(), scratch);
    int databases = 16;
    if (m.databases() != null) {
      for (String db : m.databases().keySet()) databases = Math.max(databases, dbNumber(db) + 1);
    }
    server.start(scratch, databases);
    List<Check> checks = new ArrayList<>();
    long start = System.nanoTime();
    RedisRestore.Result res;
    try {
      res =
          new RedisRestore(repo, progress)
              .online(ref, server.url(), RedisRestore.Mode.REFUSE_NON_EMPTY);
    } catch (RoadieException | IOException e) {
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
      return new ScratchVerifyResult(checks, server.describe(), null);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("keys", res.keys());
    figures.put("expiredSkipped", res.expiredSkipped());
    figures.put("functionLibraries", res.functions());
    figures.put("bytes", res.bytes());
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    checks.add(
        Check.pass(
            "restore",
            "restored "
                + Plural.count(res.keys(), "key")
                + " into "
                + server.describe()
                + (res.expiredSkipped() > 0
                    ? " (" + res.expiredSkipped() + " had expired since the backup)"
                    : ""),
            figures));
    checks.add(keys(m, res, server.url()));
    return new ScratchVerifyResult(checks, server.describe(), ref.snapshot().time());
  }

  private static int dbNumber(String name) {
    return Integer.parseInt(name.replaceFirst("^db", ""));
  }

  /**
   * Keys per database and type in the copy against the snapshot's counts from the RDB, less what
   * expired.
   */
  static Check keys(RedisMetadata m, RedisRestore.Result res, RedisUrl url) throws IOException {
    long start = System.nanoTime();
    if (m.databases() == null) {
      return Check.skipped("keys", "skipped: the snapshot records no keys per database");
    }
    boolean exact = "rdb".equals(m.keyCounts());
    // What the snapshot holds, per database the restore wrote into, and type.
    Map<Long, Map<String, Long>> want = new TreeMap<>();
    for (Map.Entry<String, RedisMetadata.Keyspace> e : m.databases().entrySet()) {
      long db = res.database() >= 0 ? res.database() : dbNumber(e.getKey());
      Map<String, Long> types =
          new TreeMap<>(
              e.getValue().types() == null
                  ? Map.of("*", e.getValue().keys())
                  : e.getValue().types());
      want.merge(
          db,
          types,
          (a, b) -> {
            b.forEach((k, v) -> a.merge(k, v, Long::sum));
            return a;
          });
    }
    res.expiredByType()
        .forEach(
            (db, types) ->
                types.forEach(
                    (type, n) ->
                        want.computeIfAbsent(db, d -> new TreeMap<>())
                            .merge(want.get(db).containsKey("*") ? "*" : type, -n, Long::sum)));
    Map<Long, Map<String, Long>> got = new TreeMap<>();
    long expiredSince;
    try (RespConnection c = RespConnection.open(url)) {
      Map<String, Object> keyspace = RedisBackup.keyspace(c.info("keyspace"));
      Set<Long> dbs = new TreeSet<>(want.keySet());
      for (String db : keyspace.keySet()) dbs.add((long) dbNumber(db));
      for (long db : dbs) {
        c.call("SELECT", Long.toString(db));
        Set<String> types = new TreeSet<>(want.getOrDefault(db, Map.of()).keySet());
        types.addAll(List.of("string", "list", "set", "zset", "hash", "stream"));
        types.remove("*");
        types.remove("module");
        Map<String, Long> counts = null;
        for (int attempt = 0; attempt < 3; attempt++) {
          counts = new TreeMap<>();
          long sum = 0;
          for (String type : types) {
            long n = scanCount(c, type);
            if (n > 0) counts.put(type, n);
            sum += n;
          }
          long size = (Long) c.call("DBSIZE");
          if (size > sum) counts.put("module", size - sum); // types SCAN cannot name: module types
          // SCAN may return a key twice while the table is rehashed: then the counts exceed DBSIZE;
          // count again.
          if (sum <= size) break;
        }
        if (want.getOrDefault(db, Map.of()).containsKey("*")) {
          long total = counts.values().stream().mapToLong(Long::longValue).sum();
          counts = new TreeMap<>(Map.of("*", total));
        }
        got.put(db, counts);
      }
      expiredSince = Long.parseLong(c.info("stats").getOrDefault("expired_keys", "0"));
    }
    List<String> differences = new ArrayList<>();
    long missing = 0;
    boolean surplus = false;
    long total = 0;
    for (long db : new TreeSet<>(union(want.keySet(), got.keySet()))) {
      Map<String, Long> w = want.getOrDefault(db, Map.of());
      Map<String, Long> g = got.getOrDefault(db, Map.of());
      for (String type : new TreeSet<>(union(w.keySet(), g.keySet()))) {
        long a = w.getOrDefault(type, 0L);
        long b = g.getOrDefault(type, 0L);
        total += b;
        String what = "db" + db + (type.equals("*") ? "" : " " + type);
        if (b != a)
          differences.add(
              what + ": " + Plural.count(b, "key") + " in the copy, the snapshot has " + a);
        if (b > a) surplus = true;
        else missing += a - b;
      }
    }
    // Keys that expired while the copy was counted account for keys missing, and for nothing else.
    boolean explained = expiredSince > 0 && missing == expiredSince && !surplus;
    if (explained) differences.clear();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("keys", total);
    figures.put("databases", got.size());
    figures.put("expiredSinceBackup", res.expiredSkipped());
    figures.put("expiredDuringCheck", expiredSince);
    figures.put("perDatabase", got);
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    String expired =
        (res.expiredSkipped() > 0
                ? ", less " + res.expiredSkipped() + " whose expiry passed since the backup"
                : "")
            + (explained ? " and " + expiredSince + " that expired while they were counted" : "");
    if (!exact) {
      return new Check(
          "keys",
          Check.SKIPPED,
          "not compared: the snapshot's key counts came from INFO before the "
              + "transfer, not from its RDB; the copy holds "
              + Plural.count(total, "key"),
          figures,
          differences);
    }
    return Check.of(
        "keys",
        differences.isEmpty()
            ? "every database holds the snapshot's keys per type ("
                + Plural.count(total, "key")
                + expired
                + ")"
            : differences.size() + " counts differ from the snapshot's" + expired,
        figures,
        differences);
  }

  private static <T> Set<T> union(Set<T> a, Set<T> b) {
    Set<T> u = new java.util.HashSet<>(a);
    u.addAll(b);
    return u;
  }

  private static long scanCount(RespConnection c, String type) throws IOException {
    String cursor = "0";
    long n = 0;
    do {
      List<?> reply = (List<?>) c.call("SCAN", cursor, "COUNT", "1000", "TYPE", type);
      cursor = new String((byte[]) reply.get(0), java.nio.charset.StandardCharsets.US_ASCII);
      n += ((List<?>) reply.get(1)).size();
    } while (!cursor.equals("0"));
    return n;
  }
}
