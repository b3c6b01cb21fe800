package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Loads the tables' rows over {@code jobs} connections, largest table first.
 *
 * <p>A table smaller than the split size is loaded by one worker in the transaction that truncates
 * it, with {@code COPY ... FREEZE} (rows frozen and all-visible as loaded: no hint-bit writes or
 * freezing vacuum later). A larger table is shared: its streams are read once, in order, and cut at
 * row ends into batches (in COPY text format every newline byte ends a row; newlines inside values
 * are escaped), and every worker without a table of its own joins its COPY on its own connection,
 * so one big table keeps every connection and server process busy. A shared table is truncated in a
 * transaction of its own first (other connections cannot write into a table truncated by an open
 * transaction), so its rows are loaded without FREEZE, as pg_restore loads every table.
 *
 * <p>As soon as a table's rows are all in (and their count matches the snapshot's), its follow-up
 * work (building its indexes) is queued, and the next free worker runs it before taking more rows:
 * index builds overlap the loading of other tables, as with {@code pg_restore -j}.
 */
final class TableLoad {
  /**
   * One table: its streams in order, the rows the snapshot records, and what to run once it is
   * loaded. {@code replaces}: for an extension's configuration table, the DELETE of the rows the
   * snapshot holds (the extension's own rows, made by CREATE EXTENSION, stay); null for a table the
   * snapshot holds whole, which is truncated.
   */
  record Table(
      String key,
      String qualified,
      String columns,
      List<Node> pieces,
      long size,
      long rows,
      Task afterLoad,
      String replaces) {}

  /** Work run on a worker thread (its own connections or child processes). */
  interface Task {
    void run() throws Exception;
  }

  /** Batches of rows handed to the COPY connections of one shared table. */
  static final int BATCH_BYTES = 256 << 10;

  static final long SPLIT_BYTES = 64L << 20;

  /**
   * Tables at least this large are loaded over several connections (tests set less, see
   * PostgresRestore).
   */
  private final Repository repo;

  private final Progress progress;
  private final PgConn to;
  private final int jobs;
  private final boolean existingSchema;
  private final long splitBytes;
  private final String lcMonetary;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final List<Connection> conns = Collections.synchronizedList(new ArrayList<>());
  private final ConcurrentLinkedQueue<Table> waiting = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Task> followUps = new ConcurrentLinkedQueue<>();
  private final List<Feed> feeds = new CopyOnWriteArrayList<>();

  /** Bytes of the tables not taken yet, and of the unshared tables being loaded. */
  private final java.util.concurrent.atomic.AtomicLong waitingBytes =
      new java.util.concurrent.atomic.AtomicLong();

  private final java.util.concurrent.atomic.AtomicLong loadingBytes =
      new java.util.concurrent.atomic.AtomicLong();
  final AtomicInteger loaded = new AtomicInteger();
  private long totalRows;
  private long totalBytes;

  /**
   * Per-step timings (table loads and follow-ups) in seconds since the load began, for the
   * restore's notes.
   */
  final List<String> timeline = Collections.synchronizedList(new ArrayList<>());

  private final long started = System.nanoTime();

  TableLoad(
      Repository repo,
      Progress progress,
      PgConn to,
      int jobs,
      boolean existingSchema,
      long splitBytes,
      String lcMonetary) {
    this.repo = repo;
    this.lcMonetary = lcMonetary;
    this.progress = progress;
    this.to = to;
    this.jobs = Math.max(1, jobs);
    this.existingSchema = existingSchema;
    this.splitBytes = splitBytes;
  }

  long rows() {
    return totalRows;
  }

  long bytes() {
    return totalBytes;
  }

  private String at() {
    return String.format("%.1f", (System.nanoTime() - started) / 1e9);
  }

  /**
   * Loads the tables (largest first) and runs every table's follow-up; fails on the first error.
   */
  void run(List<Table> tables) throws IOException {
    List<Table> sorted = new ArrayList<>(tables);
    sorted.sort((a, b) -> Long.compare(b.size(), a.size()));
    waiting.addAll(sorted);
    waitingBytes.set(sorted.stream().mapToLong(Table::size).sum());
    List<Thread> threads = new ArrayList<>();
    // Every connection is used even for one table: a large one is shared.
    int workers = tables.isEmpty() ? 1 : jobs;
    for (int i = 0; i < workers; i++) {
      threads.add(Thread.ofVirtual().name("load-" + i).start(this::work));
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(new IOException("interrupted"));
      }
    }
    Throwable f = failure.get();
    if (f != null) {
      if (f instanceof RoadieException r) throw r;
      if (f instanceof IOException io) throw io;
      throw new IOException(f.getMessage(), f);
    }
  }

  private void fail(Throwable t) {
    if (failure.compareAndSet(null, t)) {
      synchronized (conns) {
        for (Connection c : conns) {
          try {
            c.close();
          } catch (SQLException ignored) {
            // aborting
          }
        }
      }
    }
  }

  private void work() {
    try (Connection c = to.connect()) {
      conns.add(c);
      try (Statement st = c.createStatement()) {
        st.execute(
            "SET synchronous_commit = off; SET DateStyle = ISO; SET IntervalStyle = postgres; "
                + "SET statement_timeout = 0");
        // The locale money was copied out in (PostgresBackup.LC_MONETARY), for snapshots that
        // record it.
        if (lcMonetary != null)
          st.execute("SET lc_monetary = '" + lcMonetary.replace("'", "''") + "'");
      }
      if (existingSchema) {
        // Into a schema that already has its foreign keys and triggers (--data-only): tables load
        // in
        // parallel, in any order, so foreign keys and triggers are off for these sessions, like
        // pg_restore --disable-triggers.
        try (Statement st = c.createStatement()) {
          st.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              "--data-only loads tables in parallel with foreign keys and "
                  + "triggers disabled (session_replication_role = replica), which needs a superuser: "
                  + e.getMessage(),
              e);
        }
      }
      CopyManager api = c.unwrap(PGConnection.class).getCopyAPI();
      while (failure.get() == null) {
        Task next = followUps.poll();
        if (next != null) {
          next.run();
          continue;
        }
        Table t = waiting.poll();
        if (t != null) {
          waitingBytes.addAndGet(-t.size());
          Feed f = share(t);
          if (f != null) {
            truncateAlone(c, t);
            f.start();
            consume(api, f);
          } else {
            long t0 = System.nanoTime();
            loadingBytes.addAndGet(t.size());
            long rows = loadFrozen(c, t);
            loadingBytes.addAndGet(-t.size());
            timeline.add(
                t.key()
                    + " "
                    + String.format("%.1f", (System.nanoTime() - t0) / 1e9)
                    + " s (until "
                    + at()
                    + ")");
            completed(t, rows);
          }
          continue;
        }
        Feed joinable = null;
        boolean starting = false;
        for (Feed f : feeds) {
          if (f.join()) {
            joinable = f;
            break;
          }
          starting |= f.open();
        }
        if (joinable == null && starting) {
          // A shared table is being truncated: it is joinable in a moment.
          Thread.sleep(10);
          continue;
        }
        if (joinable == null) break;
        consumeJoined(api, joinable);
      }
    } catch (Throwable t) {
      fail(t);
    }
  }

  /**
   * Whether a table just taken is loaded over several connections: when it is large and the other
   * workers have less left to do (the tables not taken yet, the ones they are loading) than it
   * holds, so they would run out of work before it is done. Returns its feed, registered (but not
   * joinable until {@link Feed#start} after the table is truncated), or null. While a shared table
   * is still being read, idle workers join it, so no other table needs sharing. A table that is not
   * shared is loaded frozen (COPY FREEZE), which later scans and vacuums do not pay for.
   */
  private synchronized Feed share(Table t) {
    if (jobs == 1 || t.size() < splitBytes || t.replaces() != null) return null;
    for (Feed f : feeds) {
      if (f.open()) return null;
    }
    if (t.size() * (jobs - 1) <= waitingBytes.get() + loadingBytes.get()) return null;
    Feed f = new Feed(t);
    feeds.add(f);
    return f;
  }

  private void completed(Table t, long rows) {
    if (rows != t.rows()) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "table " + t.key() + ": loaded " + rows + " rows, the snapshot records " + t.rows());
    }
    synchronized (this) {
      totalRows += rows;
      totalBytes += t.size();
    }
    loaded.incrementAndGet();
    progress.files.incrementAndGet();
    if (t.afterLoad() != null) {
      followUps.add(
          () -> {
            long t0 = System.nanoTime();
            t.afterLoad().run();
            timeline.add(
                "indexes of "
                    + t.key()
                    + " "
                    + String.format("%.1f", (System.nanoTime() - t0) / 1e9)
                    + " s (until "
                    + at()
                    + ")");
          });
    }
  }

  /**
   * Loads a table in the transaction that truncates it, with COPY FREEZE; where TRUNCATE or FREEZE
   * is refused (a foreign key into the table, in a --data-only restore), with a plain COPY.
   */
  private long loadFrozen(Connection c, Table t) throws SQLException, IOException {
    progress.current = t.key();
    String copy = "COPY " + t.qualified() + t.columns() + " FROM STDIN";
    CopyManager api = c.unwrap(PGConnection.class).getCopyAPI();
    c.setAutoCommit(false);
    try {
      if (t.replaces() != null) {
        // Not truncated, so no FREEZE: the rows the snapshot holds replace their like.
        try {
          try (Statement st = c.createStatement()) {
            st.execute(t.replaces());
          }
          long rows = copyPieces(api, copy, t);
          c.commit();
          return rows;
        } catch (SQLException e) {
          throw sqlFailure(t, e);
        }
      }
      try {
        try (Statement st = c.createStatement()) {
          st.execute("TRUNCATE ONLY " + t.qualified());
        }
        long rows = copyPieces(api, copy + " WITH (FREEZE)", t);
        c.commit();
        return rows;
      } catch (SQLException e) {
        if (c.isClosed()) throw sqlFailure(t, e);
        c.rollback();
      }
      try {
        long rows = copyPieces(api, copy, t);
        c.commit();
        return rows;
      } catch (SQLException e2) {
        throw sqlFailure(t, e2);
      }
    } finally {
      if (!c.isClosed()) c.setAutoCommit(true);
    }
  }

  /** Sends {@code t}'s streams in order through {@code copy}; returns the rows loaded. */
  private long copyPieces(CopyManager api, String copy, Table t) throws SQLException, IOException {
    long rows = 0;
    for (Node piece : t.pieces()) {
      try (InputStream in = new ContentReader(repo, piece, t.key())) {
        rows += api.copyIn(copy, in, 1 << 16);
      }
    }
    return rows;
  }

  /**
   * Empties a shared table in a transaction of its own, so that other connections can load it at
   * once.
   */
  private static void truncateAlone(Connection c, Table t) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("TRUNCATE ONLY " + t.qualified());
    } catch (SQLException e) {
      // Referenced by a foreign key (--data-only into an existing schema): rows are appended, as a
      // plain COPY into the table would.
      if (c.isClosed()) throw e;
    }
  }

  private void consume(CopyManager api, Feed f)
      throws SQLException, IOException, InterruptedException {
    if (!f.join()) return;
    consumeJoined(api, f);
  }

  /**
   * Copies batches of a shared table until its streams end; the last worker to finish completes the
   * table.
   */
  private void consumeJoined(CopyManager api, Feed f)
      throws SQLException, IOException, InterruptedException {
    Table t = f.table;
    progress.current = t.key();
    long rows = 0;
    CopyIn in;
    try {
      in = api.copyIn("COPY " + t.qualified() + t.columns() + " FROM STDIN");
    } catch (SQLException e) {
      f.leave(0);
      throw sqlFailure(t, e);
    }
    try {
      while (true) {
        Batch b = f.take();
        if (b == null) break;
        in.writeToCopy(b.data(), 0, b.length());
        f.recycle(b);
      }
      rows = in.endCopy();
    } catch (SQLException e) {
      f.leave(rows);
      throw sqlFailure(t, e);
    } finally {
      if (in.isActive()) {
        try {
          in.cancelCopy();
        } catch (SQLException ignored) {
          // the failure is already on its way
        }
      }
    }
    Long total = f.leave(rows);
    if (total != null) {
      timeline.add(t.key() + " (shared) until " + at());
      completed(t, total);
    }
  }

  private static RoadieException sqlFailure(Table t, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String why =
        state.startsWith("08")
            ? "the connection to the server was lost (" + e.getMessage() + ")"
            : e.getMessage();
    return new RoadieException(
        ErrorCode.FAILURE, "loading table " + t.key() + ": " + PgConn.redact(why), e);
  }

  /** A batch of whole rows: data[0, length). */
  private record Batch(byte[] data, int length) {}

  /**
   * One shared table's rows: a reader thread cuts its streams into batches that end at a row end;
   * workers join while batches remain, and the one that leaves last (after the end) completes it.
   * Batch buffers are recycled (a fixed number in flight), so a shared table costs a few MiB of
   * memory whatever its size.
   */
  private final class Feed {
    private static final Batch END = new Batch(new byte[0], 0);
    private static final int BUFFERS = 8;
    final Table table;
    private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private int active;
    private boolean readable;
    private boolean drained;
    private boolean done;
    private long rows;

    Feed(Table table) {
      this.table = table;
      for (int i = 0; i < BUFFERS; i++) free.add(new byte[BATCH_BYTES]);
    }

    /** Starts reading; from now on workers may join (the table is already truncated). */
    void start() {
      synchronized (this) {
        readable = true;
      }
      Thread.ofVirtual()
          .name("read-" + table.key())
          .start(
              () -> {
                try {
                  read();
                } catch (Throwable t) {
                  fail(t);
                }
              });
    }

    private void read() throws IOException, InterruptedException {
      byte[] buf = next();
      int len = 0;
      for (Node piece : table.pieces()) {
        try (ContentReader r = new ContentReader(repo, piece, table.key())) {
          byte[] b;
          while ((b = r.nextBlock()) != null) {
            int off = 0;
            while (off < b.length) {
              int n = Math.min(b.length - off, buf.length - len);
              System.arraycopy(b, off, buf, len, n);
              len += n;
              off += n;
              if (len < buf.length) continue;
              int cut = lastNewline(buf, len);
              if (cut == 0) {
                // One row longer than the buffer: a larger buffer for it, never recycled; the
                // pool's
                // buffer goes back at once, so the pool never shrinks.
                byte[] grown = Arrays.copyOf(buf, buf.length * 2);
                if (buf.length == BATCH_BYTES) free.offer(buf);
                buf = grown;
                continue;
              }
              byte[] fresh = next();
              if (fresh.length < len - cut) {
                free.offer(fresh);
                fresh = new byte[buf.length];
              }
              System.arraycopy(buf, cut, fresh, 0, len - cut);
              put(new Batch(buf, cut));
              len -= cut;
              buf = fresh;
            }
          }
        }
      }
      if (len > 0) put(new Batch(buf, len));
      put(END);
    }

    private byte[] next() throws InterruptedException {
      while (true) {
        byte[] b = free.poll(100, TimeUnit.MILLISECONDS);
        if (b != null) return b;
        if (failure.get() != null) throw new InterruptedException("aborted");
      }
    }

    private void put(Batch b) throws InterruptedException {
      while (!queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
        if (failure.get() != null) throw new InterruptedException("aborted");
      }
    }

    /** Gives a batch's buffer back for reuse (a buffer grown for one long row is dropped). */
    void recycle(Batch b) {
      if (b.data().length == BATCH_BYTES) free.offer(b.data());
    }

    /**
     * The next batch, or null once the rows have ended; the end stays in the queue for the other
     * workers.
     */
    Batch take() throws InterruptedException, IOException {
      while (true) {
        Batch b = queue.poll(100, TimeUnit.MILLISECONDS);
        if (b == END) {
          synchronized (this) {
            drained = true;
          }
          queue.put(END);
          return null;
        }
        if (b != null) return b;
        if (failure.get() != null) throw new IOException("aborted: " + failure.get().getMessage());
      }
    }

    synchronized boolean open() {
      return !drained;
    }

    synchronized boolean join() {
      if (!readable || drained) return false;
      active++;
      return true;
    }

    /**
     * Counts a worker out; returns the table's total rows when it was the last one after the end.
     */
    synchronized Long leave(long n) {
      active--;
      rows += n;
      if (drained && active == 0 && !done) {
        done = true;
        return rows;
      }
      return null;
    }
  }

  /** Length of the prefix of buf[0, len) that ends with the last newline (0 if there is none). */
  static int lastNewline(byte[] buf, int len) {
    for (int i = len - 1; i >= 0; i--) {
      if (buf[i] == '\n') return i + 1;
    }
    return 0;
  }
}
