package dev.roadie.redis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts what an RDB holds as it streams through a backup: keys per database, per type and with an
 * expiry, and function libraries. These are the snapshot's own counts (a restore or a verification
 * compares against them), not the server's {@code INFO}, which is read before the sync and misses
 * what changes until the fork.
 */
final class KeyCensus implements RdbKeys.Census {
  private static final class Db {
    long keys;
    long expires;
    final long[] byRdbType = new long[256];
  }

  private final TreeMap<Long, Db> dbs = new TreeMap<>();
  private long functions;
  private long lastDb = -1;
  private Db last;

  @Override
  public void key(long db, int type, long expireAtMs) {
    if (db != lastDb) {
      last = dbs.computeIfAbsent(db, d -> new Db());
      lastDb = db;
    }
    last.keys++;
    if (expireAtMs >= 0) last.expires++;
    last.byRdbType[type & 0xFF]++;
  }

  @Override
  public void function() {
    functions++;
  }

  /**
   * Into a snapshot's source metadata: {@code keys}, {@code keysWithExpiry}, {@code
   * functionLibraries}, and {@code databases}: {@code {"db0": {"keys": n, "expires": n, "types":
   * {"hash": n, "string": n, …}}}} for every database with keys.
   */
  void into(Map<String, Object> source) {
    long keys = 0;
    long expires = 0;
    Map<String, Object> databases = new LinkedHashMap<>();
    for (Map.Entry<Long, Db> e : dbs.entrySet()) {
      Db d = e.getValue();
      keys += d.keys;
      expires += d.expires;
      Map<String, Long> types = new TreeMap<>();
      for (int t = 0; t < d.byRdbType.length; t++) {
        if (d.byRdbType[t] > 0) types.merge(RdbKeys.typeName(t), d.byRdbType[t], Long::sum);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("keys", d.keys);
      m.put("expires", d.expires);
      m.put("types", types);
      databases.put("db" + e.getKey(), m);
    }
    source.put("keys", keys);
    source.put("keysWithExpiry", expires);
    source.put("functionLibraries", functions);
    source.put("databases", databases);
  }
}
