package dev.roadie.postgres.wal;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgConn;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import org.postgresql.copy.CopyDual;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * {@code roadie wal-stream}: a WAL receiver on PostgreSQL's physical replication protocol that
 * archives into the repository, so the RPO is seconds rather than a segment or {@code
 * archive_timeout}.
 *
 * <p>It keeps the segment being received in memory. Bytes not yet durable are stored as a fragment
 * ({@link WalArchive#pushFragment}) once the oldest of them is {@code flushDelay} old; a completed
 * segment is stored whole and its fragments are then removed. Only after an object is durable does
 * the receiver report that position as flushed, so a replication slot never lets the server recycle
 * WAL that is not in the repository.
 *
 * <p>It resumes where the archive ends (whole segments and fragments, whoever wrote them),
 * re-reading the segment it was in from its start; after a timeline switch it first completes the
 * old timeline up to its switch point, archives the history files, then follows the new timeline
 * from the start of the segment that holds the switch point, as PostgreSQL's own receivers do. Lost
 * connections are retried with backoff; authentication and configuration errors stop it.
 *
 * <p>Protocol (CopyBoth after {@code START_REPLICATION}): the server sends XLogData {@code 'w'}
 * (start LSN, server WAL end, send time, bytes) and keepalives {@code 'k'} (WAL end, time, reply
 * requested); the receiver answers with standby status updates {@code 'r'} (received, flushed,
 * applied LSNs, time, reply requested).
 */
public final class WalStream {
  /** Options; {@code slot} null streams without a replication slot. */
  public record Options(
      String slot, Duration flushDelay, Duration statusInterval, Consumer<String> log) {
    public Options {
      if (slot != null && !slot.matches("[a-z0-9_]{1,63}")) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "replication slot name '"
                + slot
                + "' is not valid: use lower-case letters, digits and underscores (at most 63)");
      }
    }
  }

  private static final long PG_EPOCH_MILLIS = 946_684_800_000L;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final PgConn conn;
  private final Repository repo;
  private final Options opts;
  private volatile boolean stopping;
  private volatile long durableLsn = -1;
  private volatile int timeline;

  /** Set when the server no longer had the WAL we asked for: the next session starts here. */
  private long skipTo = -1;

  public WalStream(PgConn conn, Repository repo, Options opts) {
    this.conn = conn;
    this.repo = repo;
    this.opts = opts;
  }

  /** Asks {@link #run} to store what it holds and return. */
  public void stop() {
    stopping = true;
  }

  /** The end of the WAL durable in the repository so far (-1 before the first). */
  public long durableLsn() {
    return durableLsn;
  }

  /** The timeline being received. */
  public int timeline() {
    return timeline;
  }

  /**
   * Receives until {@link #stop}; reconnects after lost connections; throws on errors retrying
   * cannot fix.
   */
  public void run() throws IOException {
    Duration backoff = Duration.ofSeconds(1);
    while (!stopping) {
      try {
        session();
        backoff = Duration.ofSeconds(1);
      } catch (SQLException | IOException | RoadieException e) {
        if (stopping) break;
        if (!retriable(e)) throw fatal(e);
        opts.log()
            .accept(
                "lost the replication connection to "
                    + conn.hostPort()
                    + ": "
                    + PgConn.redact(message(e))
                    + "; reconnecting in "
                    + backoff.toSeconds()
                    + " s");
        pause(backoff);
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      }
    }
  }

  /**
   * Whether reconnecting may help: a lost or refused connection (SQLSTATE class 08, socket errors),
   * a transient storage fault. Authentication, privileges, a missing database or slot, and an
   * archive that disagrees with the server are not.
   */
  private static boolean retriable(Exception e) {
    if (e instanceof RoadieException.Retriable) return true;
    if (e instanceof RoadieException r) {
      // PgConn's connection errors carry the driver's exception.
      return r.getCause() instanceof SQLException s && state(s).startsWith("08");
    }
    if (e instanceof SQLException s)
      return !state(s).startsWith("42") && !state(s).startsWith("28");
    return true; // IOException: the socket or the stream
  }

  private RuntimeException fatal(Exception e) {
    if (e instanceof RoadieException r) return r;
    if (state((SQLException) e).equals("42704")) {
      return new RoadieException(
          ErrorCode.FAILURE,
          "replication slot "
              + opts.slot()
              + " does not exist on "
              + conn.hostPort()
              + ": "
              + message(e),
          e);
    }
    return new RoadieException(
        ErrorCode.FAILURE,
        "the server refused replication: "
            + message(e)
            + " (the user needs the REPLICATION attribute and pg_hba.conf a 'replication' line)",
        e);
  }

  private static String state(SQLException s) {
    return s.getSQLState() == null ? "" : s.getSQLState();
  }

  /** Sleeps for {@code d}, or less once {@link #stop} is asked. */
  private void pause(Duration d) throws InterruptedIOException {
    long end = System.nanoTime() + d.toNanos();
    while (!stopping && System.nanoTime() < end) sleep(Duration.ofMillis(50));
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  // --- one connection ---------------------------------------------------------------------------

  private void session() throws SQLException, IOException {
    try (Connection c = conn.connectReplication();
        Statement st = c.createStatement()) {
      long systemId;
      int tli;
      long serverLsn;
      try (ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
        rs.next();
        systemId = Long.parseUnsignedLong(rs.getString(1));
        tli = rs.getInt(2);
        serverLsn = WalNames.parseLsn(rs.getString(3));
      }
      long segSize;
      try (ResultSet rs = st.executeQuery("SHOW wal_segment_size")) {
        rs.next();
        segSize = parseSize(rs.getString(1));
      }
      WalArchive archive = new WalArchive(repo, systemId);
      TimelineHistory history = archiveHistories(st, archive, tli);
      long slotStart = opts.slot() == null ? -1 : ensureSlot(st);
      Plan plan = plan(archive, history, tli, serverLsn, slotStart, segSize);
      timeline = plan.tli();
      opts.log()
          .accept(
              "streaming WAL of system "
                  + WalNames.systemIdText(systemId)
                  + " from "
                  + conn.hostPort()
                  + ", timeline "
                  + plan.tli()
                  + ", from "
                  + WalNames.formatLsn(plan.start())
                  + (plan.end() >= 0
                      ? " to " + WalNames.formatLsn(plan.end()) + " (the end of that timeline)"
                      : "")
                  + (opts.slot() != null
                      ? " (slot " + opts.slot() + ")"
                      : " (no replication slot)"));
      String cmd =
          "START_REPLICATION "
              + (opts.slot() != null ? "SLOT " + opts.slot() + " " : "")
              + "PHYSICAL "
              + WalNames.formatLsn(plan.start())
              + (plan.tli() != tli ? " TIMELINE " + plan.tli() : "");
      CopyDual copy;
      try {
        copy = new CopyManager(c.unwrap(BaseConnection.class)).copyDual(cmd);
      } catch (SQLException e) {
        String m = message(e);
        if (m.contains("has already been removed") && slotStart > plan.start()) {
          skipTo = slotStart - slotStart % segSize;
          opts.log()
              .accept(
                  "warning: the server no longer has WAL from "
                      + WalNames.formatLsn(plan.start())
                      + "; WAL up to "
                      + WalNames.formatLsn(skipTo)
                      + " is not streamed (archive_command must have archived it)");
        }
        throw e;
      }
      new Receiver(copy, archive, plan, segSize).receive();
    }
  }

  private record Plan(int tli, long start, long end) {}

  /**
   * Where to start: the end of what the archive holds (on this server's timeline or an ancestor),
   * else the slot's restart point, else the server's current position; always a segment start.
   */
  private Plan plan(
      WalArchive archive,
      TimelineHistory history,
      int serverTli,
      long serverLsn,
      long slotStart,
      long segSize)
      throws IOException {
    long[] last = lastArchived(archive, segSize); // {tli, lsn} or null
    long forced = skipTo;
    skipTo = -1;
    if (last == null) {
      long from = forced >= 0 ? forced : slotStart >= 0 ? slotStart : serverLsn;
      return new Plan(serverTli, from - from % segSize, -1);
    }
    int tli = (int) last[0];
    long lsn = Math.max(last[1], tli == serverTli ? forced : -1);
    if (tli == serverTli) {
      return new Plan(tli, lsn - lsn % segSize, -1);
    }
    if (tli > serverTli || !history.contains(tli)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the archive of system "
              + WalNames.systemIdText(archive.systemId())
              + " ends on timeline "
              + tli
              + ", which is not in the history of the server's timeline "
              + serverTli
              + " at "
              + conn.hostPort()
              + "; a different cluster with the same system identifier streams into this "
              + "repository? Use another repository, or see docs/runbooks/postgres-pitr.md");
    }
    long end = history.endOf(tli);
    if (lsn < end) {
      return new Plan(tli, lsn - lsn % segSize, end);
    }
    int next = history.childOf(tli);
    return new Plan(next, end - end % segSize, next == serverTli ? -1 : history.endOf(next));
  }

  /** The furthest position archived, as {tli, lsn}, by timeline then position; null when none. */
  static long[] lastArchived(WalArchive archive, long segSize) throws IOException {
    long[] best = null;
    for (WalArchive.Entry e : archive.list()) {
      String n = e.name();
      long tli;
      long lsn;
      if (WalNames.isSegment(n)) {
        tli = WalNames.timeline(n);
        lsn = (WalNames.segmentNumber(n, segSize) + 1) * segSize;
      } else {
        var m = WalNames.FRAGMENT.matcher(n);
        if (!m.matches()) continue;
        tli = WalNames.timeline(n);
        lsn = WalNames.segmentNumber(n, segSize) * segSize + Long.parseLong(m.group(3), 16);
      }
      if (best == null || tli > best[0] || (tli == best[0] && lsn > best[1]))
        best = new long[] {tli, lsn};
    }
    return best;
  }

  /**
   * Archives every timeline history file up to {@code tli} that the archive lacks; returns tli's
   * history.
   */
  private static TimelineHistory archiveHistories(Statement st, WalArchive archive, int tli)
      throws SQLException, IOException {
    TimelineHistory history = new TimelineHistory(tli, java.util.List.of());
    for (int t = 2; t <= tli; t++) {
      String name = WalNames.historyName(t);
      byte[] content = archive.read(name);
      if (content == null) {
        try (ResultSet rs = st.executeQuery("TIMELINE_HISTORY " + t)) {
          rs.next();
          content = rs.getString(2).getBytes(StandardCharsets.UTF_8);
        } catch (SQLException e) {
          if (t < tli) continue; // an ancestor's file the server no longer has: not needed to go on
          throw e;
        }
        archive.push(name, content);
      }
      if (t == tli) history = TimelineHistory.parse(t, content);
    }
    return history;
  }

  /** Creates the slot when missing; returns its restart LSN (-1 when it has none yet). */
  private long ensureSlot(Statement st) throws SQLException {
    String q =
        "SELECT slot_type, restart_lsn FROM pg_replication_slots WHERE slot_name = '"
            + opts.slot()
            + "'";
    try (ResultSet rs = st.executeQuery(q)) {
      if (rs.next()) {
        if (!"physical".equals(rs.getString(1))) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              "replication slot "
                  + opts.slot()
                  + " on "
                  + conn.hostPort()
                  + " is a "
                  + rs.getString(1)
                  + " slot; wal-stream needs a physical one (choose another --slot)");
        }
        String lsn = rs.getString(2);
        return lsn == null ? -1 : WalNames.parseLsn(lsn);
      }
    }
    try (ResultSet rs =
        st.executeQuery("CREATE_REPLICATION_SLOT " + opts.slot() + " PHYSICAL RESERVE_WAL")) {
      rs.next();
    }
    opts.log()
        .accept(
            "created physical replication slot "
                + opts.slot()
                + " on "
                + conn.hostPort()
                + ": it keeps WAL on the server until roadie has it; drop it with SELECT pg_drop_replication_slot('"
                + opts.slot()
                + "') if you stop streaming for good, and consider max_slot_wal_keep_size");
    try (ResultSet rs = st.executeQuery(q)) {
      return rs.next() && rs.getString(2) != null ? WalNames.parseLsn(rs.getString(2)) : -1;
    }
  }

  static long parseSize(String s) {
    String t = s.strip().toUpperCase(java.util.Locale.ROOT);
    long mult = 1;
    if (t.endsWith("GB")) mult = 1L << 30;
    else if (t.endsWith("MB")) mult = 1L << 20;
    else if (t.endsWith("KB")) mult = 1L << 10;
    return Long.parseLong(t.replaceAll("[A-Z]", "")) * mult;
  }

  // --- receiving --------------------------------------------------------------------------------

  private final class Receiver {
    private final CopyDual copy;
    private final WalArchive archive;
    private final Plan plan;
    private final long segSize;
    private final byte[] buf;
    private long segStart;
    private int have;
    private int durable;
    private long received;
    private long oldestUnflushedNanos;
    private long lastStatusNanos;

    Receiver(CopyDual copy, WalArchive archive, Plan plan, long segSize) {
      this.copy = copy;
      this.archive = archive;
      this.plan = plan;
      this.segSize = segSize;
      this.buf = new byte[(int) segSize];
      this.segStart = plan.start();
      this.received = plan.start();
    }

    private String segment() {
      return WalNames.segmentOf(plan.tli(), segStart, segSize);
    }

    void receive() throws SQLException, IOException {
      try {
        while (!stopping) {
          byte[] msg = copy.readFromCopy(false);
          if (msg == null) {
            if (!copy.isActive()) {
              opts.log().accept("the server ended the stream at " + WalNames.formatLsn(received));
              break;
            }
            tick();
            sleep(Duration.ofMillis(5));
            continue;
          }
          if (msg.length == 0) continue;
          if (msg[0] == 'w') {
            data(msg);
            if (plan.end() >= 0 && received >= plan.end()) {
              flushFragment();
              opts.log()
                  .accept(
                      "timeline "
                          + plan.tli()
                          + " is archived to its end at "
                          + WalNames.formatLsn(plan.end()));
              return;
            }
          } else if (msg[0] == 'k') {
            if (msg.length >= 18 && msg[17] != 0) status(false);
          }
          tick();
        }
        flushFragment();
        status(false);
      } finally {
        try {
          if (copy.isActive()) copy.cancelCopy();
        } catch (SQLException ignored) {
          // The connection is closed next anyway.
        }
      }
    }

    private void data(byte[] msg) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(msg);
      long start = b.getLong(1);
      int off = 25;
      if (start > received) {
        throw new IOException(
            "the server sent WAL from "
                + WalNames.formatLsn(start)
                + " but roadie expected "
                + WalNames.formatLsn(received)
                + ": a gap");
      }
      off += (int) (received - start); // a resent overlap
      while (off < msg.length) {
        if (plan.end() >= 0 && received >= plan.end()) return;
        int pos = (int) (received - segStart);
        int n = (int) Math.min(msg.length - off, segSize - pos);
        if (plan.end() >= 0) n = (int) Math.min(n, plan.end() - received);
        System.arraycopy(msg, off, buf, pos, n);
        if (have == durable) oldestUnflushedNanos = System.nanoTime();
        off += n;
        received += n;
        have = pos + n;
        if (have == segSize) completeSegment();
      }
    }

    private void completeSegment() throws IOException {
      String name = segment();
      WalArchive.PushResult r = archive.push(name, buf);
      durableLsn = segStart + segSize;
      status(false);
      opts.log()
          .accept((r == WalArchive.PushResult.STORED ? "archived " : "already archived: ") + name);
      for (WalArchive.Fragment f : archive.fragments(name)) {
        archive.delete(f.name()); // the whole segment is durable: its fragments are superseded
      }
      segStart += segSize;
      have = 0;
      durable = 0;
    }

    private void tick() throws IOException {
      long now = System.nanoTime();
      if (have > durable && now - oldestUnflushedNanos >= opts.flushDelay().toNanos()) {
        flushFragment();
      }
      if (now - lastStatusNanos >= opts.statusInterval().toNanos()) {
        status(true);
      }
    }

    private void flushFragment() throws IOException {
      if (have <= durable) return;
      archive.pushFragment(segment(), segSize, durable, Arrays.copyOfRange(buf, durable, have));
      durable = have;
      durableLsn = segStart + have;
      status(false);
    }

    /** A standby status update: received and flushed (= durable in the repository) positions. */
    private void status(boolean replyRequested) throws IOException {
      long flushed = Math.max(durableLsn, 0);
      ByteBuffer b = ByteBuffer.allocate(34);
      b.put((byte) 'r')
          .putLong(received)
          .putLong(flushed)
          .putLong(0)
          .putLong((System.currentTimeMillis() - PG_EPOCH_MILLIS) * 1000)
          .put((byte) (replyRequested ? 1 : 0));
      try {
        copy.writeToCopy(b.array(), 0, b.position());
        copy.flushCopy();
      } catch (SQLException e) {
        throw new IOException("sending the flush position: " + message(e), e);
      }
      lastStatusNanos = System.nanoTime();
    }
  }
}
