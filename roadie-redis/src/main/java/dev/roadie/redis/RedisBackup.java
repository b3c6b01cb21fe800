package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.ParentStream;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code redis} source: pulls an RDB as a replica does ({@code REPLCONF capa eof}, {@code
 * REPLCONF rdb-only 1} where supported, {@code SYNC}) and streams it into the repository as one
 * stream node {@value #NODE_NAME}. Nothing touches local disk. For a URL that names a database
 * ({@code /N}) only that database's records are stored (the server always sends all of them), and
 * the snapshot records {@code database: N}. The snapshot's source metadata holds what the server
 * said in {@code INFO} (version, role, used memory), what the RDB header says (RDB version, the
 * version of the Redis that wrote it), and the keys per database, type and expiry counted in the
 * RDB as it streamed in ({@link KeyCensus}).
 */
public final class RedisBackup {
  public static final String KIND = "redis";
  public static final String NODE_NAME = "dump.rdb";

  /**
   * The average chunk size of RDB streams unless a backup asks for another ({@link
   * #chunkerParams(int)}).
   */
  public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

  /**
   * Chunk sizes of RDB streams: about {@code average} bytes (a power of two from 4 KiB to 1 MiB; 0:
   * {@link #DEFAULT_CHUNK_SIZE}), from a quarter of it to four times it. The keys sit in hash-table
   * order, so a day's changed keys land in chunks at random and nearly every chunk changes; a
   * second backup stores each changed chunk as a delta against the same place of the previous RDB
   * (docs/repository-format.md §6), so what it adds is about the changed records plus a fixed cost
   * per blob (AEAD tag, pack header entry, index entry with its base), and larger chunks win.
   * Measured in bench/redis.sh with 1% of the keys rewritten at random
   * (docs/decisions/0010-chunk-sizes.md, docs/decisions/0012-delta-chunks.md).
   */
  public static ChunkerParams chunkerParams(int average) {
    int avg = average == 0 ? DEFAULT_CHUNK_SIZE : average;
    if (Integer.bitCount(avg) != 1 || avg < 4 * 1024 || avg > 1024 * 1024) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "chunk size must be a power of two from 4 KiB to 1 MiB (4096 to "
              + "1048576 bytes), not "
              + average);
    }
    return new ChunkerParams(avg / 4, avg, avg * 4);
  }

  private final Repository repo;
  private final Progress progress;
  private final ChunkerParams chunking;

  public RedisBackup(Repository repo, Progress progress) {
    this(repo, progress, 0);
  }

  /**
   * With RDB chunks of about {@code chunkSize} bytes ({@link #chunkerParams(int)}; 0: the default).
   */
  public RedisBackup(Repository repo, Progress progress, int chunkSize) {
    this.repo = repo;
    this.progress = progress;
    this.chunking = chunkerParams(chunkSize);
  }

  /**
   * Backs up the server at {@code url}: {@link #start} then {@link #backup(Transfer, String, List,
   * String)}.
   */
  public Id backup(RedisUrl url, String target, List<String> tags, String time) throws IOException {
    try (Transfer t = start(url)) {
      return backup(t, target, tags, time);
    }
  }

  /**
   * A started RDB transfer: connected, authenticated, server facts read, {@code SYNC} sent and
   * accepted, and the payload being read (and scanned) on a thread of its own into up to {@value
   * #READ_AHEAD_BYTES} bytes of memory. Starting it before the repository is opened lets the server
   * fork and stream while the repository's key is derived and its index loaded; a server that
   * refuses to sync fails it before then.
   */
  public static final class Transfer implements AutoCloseable {
    final RedisUrl url;
    final RespConnection connection;
    final Map<String, Object> source = new LinkedHashMap<>();

    /** INFO's keyspace counts: the snapshot's only if the RDB could not be counted. */
    final Map<String, Object> infoCounts = new LinkedHashMap<>();

    final KeyCensus census = new KeyCensus();
    final ReadAhead input;
    volatile RdbPayloadStream payload;
    volatile boolean counted;

    private Transfer(RedisUrl url, RespConnection c) throws IOException {
      this.url = url;
      this.connection = c;
      source.put("url", url.target());
      readInfo(c, source, infoCounts);
      if (source.get("usedMemory") instanceof Long used) {
        // What reaches the cipher is the RDB after zstd: about a quarter of the server's memory for
        // values of a few hundred bytes, far less for padding-like values. A large one loads the
        // native AES-GCM now, during the server's fork, instead of after 128 MiB through the JDK's
        // slow start (docs/decisions/0007-native-aes-gcm-where-it-pays.md).
        Providers.expect(used / 4);
      }
      int db = url.database();
      if (db >= 0) {
        source.put("database", db);
        checkDatabase(c, url, db);
      }
      Object capa = c.send("REPLCONF", "capa", "eof", "capa", "psync2");
      if (capa instanceof RespConnection.ErrorReply e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            url
                + " refused REPLCONF ("
                + e.message()
                + "); the user needs the replconf, sync and psync permissions (ACL +replconf +sync +psync)");
      }
      // Redis 7+: send only the RDB, no replication stream after it. Older servers say ERR: fine.
      Object rdbOnly = c.send("REPLCONF", "rdb-only", "1");
      source.put("rdbOnly", !(rdbOnly instanceof RespConnection.ErrorReply));
      c.write("SYNC".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      c.flush();
      RdbPayloadStream.awaitAccepted(c.input(), url.toString());
      // The framing line comes when the server's save has started (diskless) or finished (disk).
      input =
          new ReadAhead(
              out -> {
                payload = RdbPayloadStream.open(c.input(), url.toString());
                try {
                  counted = new RdbKeys(payload).copy(out, db, census);
                } catch (RdbKeys.Unsupported e) {
                  throw new RoadieException(
                      ErrorCode.FAILURE,
                      url
                          + ": the RDB holds "
                          + e.getMessage()
                          + ", which roadie"
                          + " cannot split by database; no snapshot was written; back up the whole server (the URL without /"
                          + db
                          + ")");
                }
              },
              READ_AHEAD_BYTES / ReadAhead.BLOCK,
              "redis-rdb-reader");
    }

    @Override
    public void close() {
      input.close();
      connection.close();
    }
  }

  /**
   * Refuses a database the server does not have (the RDB would just hold none of its keys). A user
   * without the select permission cannot ask; the backup then goes on.
   */
  private static void checkDatabase(RespConnection c, RedisUrl url, int db) throws IOException {
    Object r = c.send("SELECT", Integer.toString(db));
    if (r instanceof RespConnection.ErrorReply e && !e.message().startsWith("NOPERM")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          url
              + ": the server has no database "
              + db
              + " ("
              + e.message()
              + "); give a database it has, or no /N to back up all of them");
    }
  }

  /**
   * Memory for the payload read ahead of the repository, so the server's fork child streams at its
   * own pace while roadie falls behind: during the repository's open and the JIT's warm-up, and
   * whenever roadie yields the CPU to the server (the launcher runs backups at nice 10). The sooner
   * the child is done, the less copy-on-write memory the server holds. Blocks are allocated only as
   * far as roadie lags, so the memory is spent only while it lets the server go first
   * (docs/decisions/0013-redis-rdb-read-ahead.md).
   */
  static final int READ_AHEAD_BYTES = 128 << 20;

  /** Connects to the server and starts the RDB transfer; see {@link Transfer}. */
  public static Transfer start(RedisUrl url) throws IOException {
    RespConnection c = RespConnection.open(url);
    try {
      return new Transfer(url, c);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Streams a started transfer into the repository and commits the snapshot. */
  public Id backup(Transfer t, String target, List<String> tags, String time) throws IOException {
    RedisUrl url = t.url;
    Map<String, Object> source = t.source;
    try {
      progress.current = NODE_NAME;
      try (BackupWriter w = new BackupWriter(repo, progress)) {
        // The previous RDB of this target: changed chunks are stored as deltas against its chunks.
        ParentStream parent = ParentStream.parentOf(repo, target, KIND).stream(NODE_NAME);
        Content content = w.writeStream(t.input, chunking, parent);
        RdbPayloadStream payload = t.payload;
        if (payload == null || !payload.complete()) {
          throw new RoadieException(
              ErrorCode.FAILURE, url + ": the RDB transfer ended early; no snapshot was written");
        }
        t.close(); // we are no replica: leave before the master starts streaming commands
        progress.files.incrementAndGet();
        RdbHeader header;
        try {
          header = RdbHeader.parse(payload.prefix());
        } catch (IllegalArgumentException e) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              url + " sent a payload that is " + e.getMessage() + "; no snapshot was written");
        }
        source.put("rdbVersion", header.rdbVersion());
        source.putIfAbsent("redisVersion", header.aux().get("redis-ver"));
        if (!source.containsKey("usedMemory") && header.aux().containsKey("used-mem")) {
          source.put("usedMemory", Long.parseLong(header.aux().get("used-mem")));
        }
        source.put("rdbBytes", payload.delivered());
        source.put("framing", payload.framing());
        if (t.counted) {
          t.census.into(source);
          source.put("keyCounts", "rdb");
        } else if (!t.infoCounts.isEmpty()) {
          source.putAll(t.infoCounts); // the RDB holds something the scanner does not know
          source.put("keyCounts", "info");
        }
        Node n =
            new Node(
                NODE_NAME,
                Node.STREAM,
                content.size(),
                null,
                null,
                null,
                null,
                null,
                content.chunksHex(),
                content.chunkListsHex(),
                null,
                Map.of("rdbVersion", header.rdbVersion()));
        Id tree = w.writeTree(new Tree(List.of(n)));
        source.values().removeIf(java.util.Objects::isNull);
        Snapshot draft =
            new Snapshot(
                Snapshot.VERSION,
                time,
                target,
                KIND,
                Hosts.host(),
                Hosts.user(),
                tags,
                List.of(NODE_NAME),
                tree.hex(),
                null,
                null,
                source);
        return w.commit(draft);
      }
    } catch (java.net.SocketTimeoutException e) {
      throw new RoadieException.Retriable(
          url
              + " sent nothing for "
              + RespConnection.READ_TIMEOUT_MS / 1000
              + " s during the RDB transfer; no snapshot was written; run the backup again",
          e);
    } catch (java.net.SocketException e) {
      throw new RoadieException.Retriable(
          url
              + ": the connection failed during the RDB transfer ("
              + e.getMessage()
              + "); no snapshot was written; run the backup again",
          e);
    }
  }

  /**
   * Server facts from INFO into {@code source}, its keyspace counts into {@code counts}; a user
   * without the INFO permission just gets fewer of them.
   */
  private static void readInfo(
      RespConnection c, Map<String, Object> source, Map<String, Object> counts) throws IOException {
    Object r = c.send("INFO", "default");
    if (!(r instanceof byte[] b)) {
      if (r instanceof RespConnection.ErrorReply e && e.message().startsWith("NOAUTH")) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            c.url()
                + " needs a password: give it in the URL,"
                + " redis://[USER:]PASSWORD@HOST:PORT, or in $REDISCLI_AUTH");
      }
      return;
    }
    Map<String, String> info = new LinkedHashMap<>();
    for (String line : new String(b, java.nio.charset.StandardCharsets.UTF_8).split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0)
        info.put(line.substring(0, colon), line.substring(colon + 1));
    }
    source.put("redisVersion", info.get("redis_version"));
    source.put("role", info.get("role"));
    if (info.containsKey("used_memory"))
      source.put("usedMemory", Long.parseLong(info.get("used_memory")));
    Map<String, Object> keyspace = keyspace(info);
    long keys = 0;
    long expires = 0;
    for (Object v : keyspace.values()) {
      @SuppressWarnings("unchecked")
      Map<String, Long> m = (Map<String, Long>) v;
      keys += m.get("keys");
      expires += m.get("expires");
    }
    counts.put("keys", keys);
    counts.put("keysWithExpiry", expires);
    counts.put("databases", keyspace);
  }

  /** {@code db0:keys=1,expires=0,avg_ttl=0} lines as {db0: {keys, expires}}. */
  static Map<String, Object> keyspace(Map<String, String> info) {
    Map<String, Object> out =
        new TreeMap<>(
            (a, b) ->
                Integer.compare(
                    Integer.parseInt(a.substring(2)), Integer.parseInt(b.substring(2))));
    for (Map.Entry<String, String> e : info.entrySet()) {
      if (!e.getKey().matches("db\\d+")) continue;
      Map<String, Long> m = new LinkedHashMap<>();
      for (String kv : e.getValue().split(",")) {
        String[] p = kv.split("=", 2);
        if (p.length == 2 && (p[0].equals("keys") || p[0].equals("expires")))
          m.put(p[0], Long.parseLong(p[1]));
      }
      m.putIfAbsent("keys", 0L);
      m.putIfAbsent("expires", 0L);
      out.put(e.getKey(), m);
    }
    return out;
  }
}
