package dev.roadie.redis;

import com.moilioncircle.redis.replicator.Configuration;
import com.moilioncircle.redis.replicator.FileType;
import com.moilioncircle.redis.replicator.RedisReplicator;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpFunction;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Restores a {@code redis} snapshot: online, by replaying every key into a running server with
 * pipelined {@code RESTORE key ttl payload REPLACE ABSTTL} (DUMP payloads cut from the RDB by
 * {@link RdbKeys}, or built by redis-replicator for what that scanner does not know), or offline,
 * by writing the {@code dump.rdb} for a stopped server.
 *
 * <p>An online restore touches one database only when the URL names one ({@code /N}: the snapshot
 * must hold at most one database, whose keys go into N) or the snapshot is of one database (its
 * keys go back into it): the emptiness check and {@code --flush} ({@code FLUSHDB}) then concern
 * that database alone, and function libraries, which belong to the whole server, are not restored.
 * Otherwise every database goes back to its own number, and {@code --flush} is {@code FLUSHALL}.
 */
public final class RedisRestore {
  /** What to do with a target that already holds keys. */
  public enum Mode {
    REFUSE_NON_EMPTY,
    FLUSH,
    MERGE
  }

  /**
   * Counts of an online restore; {@code database} is the one database restored into, or -1 for each
   * to its own; {@code functionsSkipped} are libraries not restored into one database; {@code
   * expiredByType} the keys skipped because their expiry had passed, per database written into and
   * per type ({@code TYPE}'s names), which a verification subtracts from the snapshot's counts.
   */
  public record Result(
      long keys,
      long expiredSkipped,
      long functions,
      long functionsSkipped,
      int database,
      long bytes,
      long nanos,
      Map<Long, Map<String, Long>> expiredByType) {}

  private static final int BATCH_COMMANDS = 1000;
  private static final int BATCH_BYTES = 4 << 20;

  private final Repository repo;
  private final Progress progress;

  /**
   * Tests only: the scanner gives up after this many keys, as it would at a value it cannot
   * measure.
   */
  long scannerKeyLimit = Long.MAX_VALUE;

  public RedisRestore(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /** The snapshot's {@code dump.rdb} stream node. */
  public Node rdbNode(SnapshotRef ref) throws IOException {
    if (!RedisBackup.KIND.equals(ref.snapshot().kind())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot "
              + ref.id().shortHex()
              + " is a "
              + ref.snapshot().kind()
              + " snapshot, not a redis one");
    }
    Tree t = repo.readTree(Id.parse(ref.snapshot().tree()));
    for (Node n : t.nodes()) {
      if (RedisBackup.NODE_NAME.equals(n.name()) && n.hasContent()) return n;
    }
    throw new RoadieException(
        ErrorCode.INTEGRITY,
        "snapshot " + ref.id().shortHex() + " has no " + RedisBackup.NODE_NAME);
  }

  /**
   * Writes the RDB to {@code file} (via a temporary file beside it, renamed when complete); returns
   * its size.
   */
  public long toFile(SnapshotRef ref, Path file) throws IOException {
    Node n = rdbNode(ref);
    Path abs = file.toAbsolutePath();
    if (Files.exists(abs)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          abs + " exists; move it away first (keep it until the restore is verified)");
    }
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + abs.getFileName() + ".roadie-tmp");
    long size = 0;
    try (ContentReader in = new ContentReader(repo, n, RedisBackup.NODE_NAME);
        OutputStream out =
            Files.newOutputStream(
                tmp,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      byte[] b;
      while ((b = in.nextBlock()) != null) {
        out.write(b);
        size += b.length;
        progress.bytesRead.addAndGet(b.length);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    try {
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(tmp);
      throw new RoadieException(
          ErrorCode.USAGE, abs + " appeared during the restore; nothing was overwritten");
    }
    progress.files.incrementAndGet();
    return size;
  }

  /** Replays every key of the snapshot into the server at {@code url}. */
  public Result online(SnapshotRef ref, RedisUrl url, Mode mode) throws IOException {
    Node n = rdbNode(ref);
    Map<String, Object> source =
        ref.snapshot().source() == null ? Map.of() : ref.snapshot().source();
    int into = database(ref, url, source);
    long start = System.nanoTime();
    Replay replay = null;
    try (RespConnection c = RespConnection.open(url)) {
      Map<String, String> info = c.info("server");
      String targetVersion = info.getOrDefault("redis_version", "unknown");
      if (into >= 0) {
        Object r = c.send("SELECT", Integer.toString(into));
        if (r instanceof RespConnection.ErrorReply e) {
          throw new RoadieException(
              e.message().startsWith("NOPERM") ? ErrorCode.FAILURE : ErrorCode.USAGE,
              url
                  + ": cannot select database "
                  + into
                  + " ("
                  + e.message()
                  + "); nothing was written");
        }
      }
      Map<String, Object> keyspace = RedisBackup.keyspace(c.info("keyspace"));
      if (into >= 0) keyspace.keySet().retainAll(java.util.Set.of("db" + into));
      boolean flushed = false;
      if (!keyspace.isEmpty()) {
        if (mode == Mode.REFUSE_NON_EMPTY) {
          long keys = 0;
          for (Object v : keyspace.values())
            keys += ((Map<?, ?>) v).get("keys") instanceof Long l ? l : 0;
          throw new RoadieException(
              ErrorCode.USAGE,
              into >= 0
                  ? url
                      + ": database "
                      + into
                      + " is not empty ("
                      + keys
                      + " keys); pass --flush to empty it first"
                      + " (FLUSHDB: database "
                      + into
                      + " only) or --merge to overwrite only the snapshot's keys"
                  : url
                      + " is not empty ("
                      + keys
                      + " keys in "
                      + keyspace.keySet()
                      + "); pass --flush to empty it first"
                      + " (FLUSHALL) or --merge to overwrite only the snapshot's keys");
        }
        if (mode == Mode.FLUSH) {
          c.call(into >= 0 ? "FLUSHDB" : "FLUSHALL"); // FLUSHDB empties the database SELECTed above
          flushed = true;
        }
      }
      // A target with maxmemory and an eviction policy answers OK to every RESTORE and evicts
      // keys to make room: only its eviction count tells that it does not hold what was sent.
      long evictedBefore = evictedKeys(c);
      replay = new Replay(c, source, targetVersion, into, flushed);
      if (into >= 0) replay.db = into;
      try (ContentReader in = new ContentReader(repo, n, RedisBackup.NODE_NAME)) {
        replay.scan(new CountingInput(in, progress));
      } catch (RdbKeys.Unsupported e) {
        // Something the scanner cannot measure: replay the whole snapshot with redis-replicator.
        // The keys sent so far are sent again; RESTORE ... REPLACE makes that harmless.
        progress.bytesRead.set(0);
        replay.resetCounts();
        try (ContentReader in = new ContentReader(repo, n, RedisBackup.NODE_NAME)) {
          replay.run(new CountingInput(in, progress));
        }
      }
      long evicted = evictedKeys(c) - evictedBefore;
      if (evictedBefore >= 0 && evicted > 0) {
        Map<String, String> memory = c.info("memory");
        throw new RoadieException(
            ErrorCode.FAILURE,
            url
                + " (Redis "
                + targetVersion
                + ") evicted "
                + evicted
                + " keys during the restore (maxmemory "
                + memory.getOrDefault("maxmemory_human", "?")
                + ", maxmemory-policy "
                + memory.getOrDefault("maxmemory_policy", "?")
                + "): it does not hold everything that was restored ("
                + replay.keys
                + " keys sent)"
                + (flushed ? " and was emptied first (--flush)" : "")
                + "; give it more memory (CONFIG SET maxmemory) or restore into a larger server,"
                + " then run the restore again with --flush");
      }
      return new Result(
          replay.keys,
          replay.expired,
          replay.functions,
          replay.functionsSkipped,
          into,
          progress.bytesRead.get(),
          System.nanoTime() - start,
          replay.expiredByType);
    } catch (java.net.SocketException | java.io.EOFException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          url
              + ": the connection failed during the restore ("
              + e.getMessage()
              + "); "
              + (replay == null ? "nothing of the snapshot was written" : replay.written()));
    }
  }

  /** INFO stats' evicted_keys, or -1 when the target does not say. */
  private static long evictedKeys(RespConnection c) throws IOException {
    try {
      return Long.parseLong(c.info("stats").getOrDefault("evicted_keys", "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The one database the restore writes into, or -1 for each database to its own number: the URL's
   * {@code /N} (refused for a snapshot of several databases), else the database of a snapshot of
   * one.
   */
  static int database(SnapshotRef ref, RedisUrl url, Map<String, Object> source) {
    int snapshotDb = source.get("database") instanceof Number d ? d.intValue() : -1;
    if (url.database() < 0) return snapshotDb;
    java.util.List<String> dbs = new java.util.ArrayList<>();
    if (source.get("databases") instanceof Map<?, ?> m) {
      for (Object k : m.keySet()) dbs.add(String.valueOf(k).replaceFirst("^db", ""));
    }
    if (dbs.size() > 1) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot "
              + ref.id().shortHex()
              + " holds databases "
              + String.join(", ", dbs)
              + "; a URL ending in /"
              + url.database()
              + " restores one database: restore without /"
              + url.database()
              + " (each database to its own number), or a snapshot of one database (backup redis --url"
              + " redis://…/N); nothing was written");
    }
    return url.database();
  }

  private static final class CountingInput extends java.io.FilterInputStream {
    private final Progress progress;

    CountingInput(InputStream in, Progress progress) {
      super(in);
      this.progress = progress;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) progress.bytesRead.addAndGet(n);
      return n;
    }
  }

  /**
   * Parses the RDB and pipelines commands: a batch is sent, then the previous batch's replies are
   * read.
   */
  private final class Replay {
    final RespConnection c;
    final Map<String, Object> source;
    final String targetVersion;

    /** The one database written into, or -1 for each key's own. */
    final int into;

    /** The database of the last SELECT sent. */
    private long selecting;

    final boolean flushed;
    private boolean functionsFlushed;
    long db = -1;

    /** With {@code into}: the snapshot's database, the first one seen. */
    long sourceDb = -1;

    int batchCommands;
    long batchBytes;
    int unread; // commands of the previous (flushed) batches whose replies are not read yet
    long keys;
    long expired;

    /**
     * Per database written into and type: keys skipped as expired (a DUMP payload starts with its
     * RDB type).
     */
    final Map<Long, Map<String, Long>> expiredByType = new java.util.TreeMap<>();

    long functions;
    long functionsSkipped;
    // What reached the target: RESTOREs and FUNCTION RESTOREs queued, and those it answered OK.
    long writesQueued;
    long written;
    long commands; // commands queued; the next one's number
    long repliesRead;
    final java.util.ArrayDeque<Long> selects =
        new java.util.ArrayDeque<>(); // numbers of queued SELECTs
    String firstError;
    final long now = System.currentTimeMillis();

    Replay(
        RespConnection c,
        Map<String, Object> source,
        String targetVersion,
        int into,
        boolean flushed) {
      this.c = c;
      this.source = source;
      this.targetVersion = targetVersion;
      this.into = into;
      this.flushed = flushed;
    }

    /**
     * Replays the RDB through {@link RdbKeys}; throws {@link RdbKeys.Unsupported} for what it
     * cannot scan.
     */
    void scan(InputStream rdb) throws IOException {
      new RdbKeys(rdb)
          .run(
              new RdbKeys.Sink() {
                @Override
                public void key(long db, long expireAtMs, byte[] key, byte[] payload)
                    throws IOException {
                  if (keys + expired >= scannerKeyLimit)
                    throw new RdbKeys.Unsupported("the tests' key limit");
                  Replay.this.key(db, expireAtMs, key, payload);
                }

                @Override
                public void function(byte[] payload) throws IOException {
                  Replay.this.function(payload);
                }
              });
      finish();
    }

    void resetCounts() {
      keys = 0;
      expired = 0;
      expiredByType.clear();
      functions = 0;
      functionsSkipped = 0;
    }

    /** Replays the RDB with redis-replicator's DUMP visitor. */
    void run(InputStream rdb) throws IOException {
      Configuration conf = Configuration.defaultSetting();
      conf.setUseDefaultExceptionListener(false);
      conf.setBufferSize(1 << 16);
      RedisReplicator r = new RedisReplicator(rdb, FileType.RDB, conf);
      r.setRdbVisitor(new DumpRdbVisitor(r));
      r.addEventListener(
          (rep, event) -> {
            try {
              if (event instanceof DumpKeyValuePair kv) {
                Long expiry = kv.getExpiredMs();
                key(
                    kv.getDb() == null ? 0 : kv.getDb().getDbNumber(),
                    expiry == null ? -1 : expiry,
                    kv.getKey(),
                    kv.getValue());
              } else if (event instanceof DumpFunction f) {
                function(f.getSerialized());
              }
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
      try {
        r.open();
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
      finish();
    }

    /** Sends what is batched and reads every outstanding reply. */
    void finish() throws IOException {
      drain();
      progress.files.incrementAndGet();
    }

    /** Sends what is batched and reads every outstanding reply; fails on the first error. */
    private void drain() throws IOException {
      c.flush();
      readReplies(unread + batchCommands);
      unread = 0;
      batchCommands = 0;
      batchBytes = 0;
      if (firstError != null) fail(firstError);
    }

    void function(byte[] payload) throws IOException {
      if (into >= 0) {
        functionsSkipped++; // a library belongs to the whole server, not to the one database
        // restored
        return;
      }
      if (flushed && !functionsFlushed) {
        // FLUSHALL leaves function libraries: a library of the target's own that defines a
        // function of the same name as one of the snapshot's would make its FUNCTION RESTORE fail.
        send(0, false, FUNCTION, FLUSH);
        functionsFlushed = true;
      }
      send(payload.length, true, FUNCTION, RESTORE, payload, REPLACE);
      functions++;
    }

    /** A key of database {@code kdb}; {@code expireAtMs} is -1 when it has no expiry. */
    void key(long kdb, long expireAtMs, byte[] key, byte[] payload) throws IOException {
      if (into >= 0) {
        // The snapshot's metadata said one database; this guards snapshots whose counts came from
        // INFO.
        if (sourceDb < 0) sourceDb = kdb;
        if (kdb != sourceDb) {
          finish();
          throw new RoadieException(
              ErrorCode.USAGE,
              c.url()
                  + ": the snapshot holds keys of databases "
                  + sourceDb
                  + " and "
                  + kdb
                  + "; a URL ending in /"
                  + into
                  + " restores one database; "
                  + written()
                  + "; restore without /"
                  + into
                  + " (each database to its own number)");
        }
        kdb = into;
      }
      if (expireAtMs >= 0 && expireAtMs <= now) {
        expired++;
        String type = payload.length == 0 ? "unknown" : RdbKeys.typeName(payload[0] & 0xFF);
        expiredByType
            .computeIfAbsent(kdb, d -> new java.util.TreeMap<>())
            .merge(type, 1L, Long::sum);
        return;
      }
      if (kdb != db) {
        selects.add(commands);
        send(0, false, bytes("SELECT"), bytes(Long.toString(kdb)));
        // A SELECT the target refuses (a number beyond its `databases`, a user without +select)
        // leaves the connection in the database before: the RESTOREs after it must not be sent.
        selecting = kdb;
        drain();
        db = kdb;
      }
      send(
          key.length + payload.length,
          true,
          RESTORE,
          key,
          expireAtMs < 0 ? ZERO : bytes(Long.toString(expireAtMs)),
          payload,
          REPLACE,
          ABSTTL);
      keys++;
    }

    void send(long size, boolean write, byte[]... args) throws IOException {
      c.write(args);
      commands++;
      if (write) writesQueued++;
      batchCommands++;
      batchBytes += size;
      if (batchCommands >= BATCH_COMMANDS || batchBytes >= BATCH_BYTES) {
        c.flush();
        readReplies(unread); // the batch before this one: the server has worked on it meanwhile
        unread = batchCommands;
        batchCommands = 0;
        batchBytes = 0;
        if (firstError != null) {
          readReplies(unread); // what the target did with everything sent, so the message is exact
          unread = 0;
          fail(firstError);
        }
      }
    }

    void readReplies(int n) throws IOException {
      for (int i = 0; i < n; i++) {
        Object reply = c.readReply();
        long number = repliesRead++;
        boolean select = !selects.isEmpty() && selects.peekFirst() == number;
        if (select) selects.pollFirst();
        if (reply instanceof RespConnection.ErrorReply e) {
          if (firstError == null) firstError = e.message();
        } else if (!select) {
          written++;
        }
      }
    }

    /** What the target holds of the snapshot now, for a message about a failed restore. */
    String written() {
      String flush =
          flushed
              ? (into >= 0
                  ? " (database " + into + " was emptied first: --flush)"
                  : " (the target was emptied first: --flush)")
              : "";
      if (repliesRead
          < commands) { // the connection broke: some commands were sent but not answered
        return writesQueued == 0
            ? "nothing of the snapshot was written" + flush
            : "the target may hold part of the snapshot"
                + flush
                + ": run the restore again with --flush";
      }
      if (written == 0) return "nothing of the snapshot was written" + flush;
      return "the target holds part of the snapshot ("
          + written
          + " keys and function libraries written)"
          + flush
          + ": once the cause is fixed, run the restore again with --flush";
    }

    void fail(String message) {
      String server = c.url() + " (Redis " + targetVersion + ")";
      if (message.contains("DB index is out of range")) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            server
                + " has no database "
                + selecting
                + " ("
                + message
                + "), and the snapshot holds keys of it; "
                + written()
                + "; set databases to "
                + (selecting + 1)
                + " or more in its redis.conf and restart it, or restore into a server that has"
                + " them");
      }
      if (message.contains("payload version or checksum are wrong")) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            server
                + " cannot load the snapshot's keys: they are in RDB format "
                + source.getOrDefault("rdbVersion", "?")
                + " from Redis "
                + source.getOrDefault("redisVersion", "?")
                + ", newer than the target understands; "
                + written()
                + "; restore into Redis "
                + source.getOrDefault("redisVersion", "?")
                + " or newer ("
                + message
                + ")");
      }
      if (message
          .toLowerCase(java.util.Locale.ROOT)
          .matches("err unknown command .function.*")) { // '…' or `…`
        throw new RoadieException(
            ErrorCode.FAILURE,
            server
                + " has no functions, and the snapshot holds function"
                + " libraries (from Redis "
                + source.getOrDefault("redisVersion", "?")
                + "); "
                + written()
                + "; restore into Redis 7.0 or newer ("
                + message
                + ")");
      }
      if (message.startsWith("NOPERM")) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            server
                + " refused the restore: "
                + message
                + "; "
                + written()
                + "; the user needs +restore +select +info (+flushall or +flushdb for --flush, +function for function"
                + " libraries) and all keys (~*)");
      }
      throw new RoadieException(
          ErrorCode.FAILURE, server + " refused the restore: " + message + "; " + written());
    }
  }

  private static final byte[] FUNCTION = bytes("FUNCTION");
  private static final byte[] RESTORE = bytes("RESTORE");
  private static final byte[] REPLACE = bytes("REPLACE");
  private static final byte[] FLUSH = bytes("FLUSH");
  private static final byte[] ABSTTL = bytes("ABSTTL");
  private static final byte[] ZERO = bytes("0");

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
