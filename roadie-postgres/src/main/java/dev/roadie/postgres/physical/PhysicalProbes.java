package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.Check;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.Probes;
import dev.roadie.postgres.ScratchCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Probe queries of a physical backup ({@code backup postgres --physical --probe NAME=SQL}), taken
 * at a point of the WAL that recovery reproduces exactly. At the end of the backup a temporary
 * logical replication slot is created: PostgreSQL exports a snapshot that sees exactly the
 * transactions whose commit records lie before the slot's consistent point, and the probes run in a
 * transaction on that snapshot. Verification recovers the copy with {@code recovery_target_lsn} at
 * that point ({@code recovery_target_inclusive = off}: every record before it replayed, none
 * after), pauses there as a hot standby and runs the probes again: the same transactions are
 * visible, so an unchanged copy returns the same rows.
 *
 * <p>A logical slot needs {@code wal_level = logical}; without it there is no exact point to take
 * probes at, and they are refused at backup time rather than compared inexactly. Both sides read a
 * probe's result the same way, from the server's own text: {@code COPY (SQL) TO STDOUT} for the
 * rows, the CSV header of the same query for the column names, under {@link
 * Probes#PINNED_SETTINGS}; the canonical form is {@link Probes#canonical}.
 */
final class PhysicalProbes {
  private static final SecureRandom RANDOM = new SecureRandom();

  private PhysicalProbes() {}

  /**
   * What a backup recorded: the probes' results, the LSN they were taken at and the database they
   * ran in.
   */
  record Taken(String lsn, String database, Map<String, Probes.Result> results) {}

  /** Refuses probes that this server and backup cannot take at an exact point, saying why. */
  static void check(PgConn conn, Map<String, String> settings, String walMethod)
      throws IOException {
    if ("fetch".equals(walMethod)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--probe with --physical needs the WAL archive: probes are taken just after the base "
              + "backup ends and verified by recovering to that point, which a --wal-method fetch "
              + "backup (restorable to its own end only) cannot reach; use --wal-method none");
    }
    if (!"logical".equals(settings.get("wal_level"))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          conn.hostPort()
              + ": --probe with --physical needs wal_level = logical (it is "
              + settings.get("wal_level")
              + "): the probes run on the snapshot a temporary logical replication slot exports, the "
              + "only snapshot that matches an exact point of the WAL, which verify recovers to; set "
              + "wal_level = logical and restart PostgreSQL, or take probes with a logical backup "
              + "(backup postgres --probe without --physical). No backup was taken");
    }
    // The segment holding the probes' point must be archived before the snapshot is written, so
    // that verify can recover to it; only a WAL switch makes that happen now.
    try (Connection c = conn.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT has_function_privilege('pg_switch_wal()', 'EXECUTE')")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        throw new RoadieException(
            ErrorCode.USAGE,
            conn.hostPort()
                + ": --probe with --physical needs pg_switch_wal(), which user "
                + conn.user
                + " may not run: the WAL holding the probes' point is archived at once so that "
                + "verify can recover to it; GRANT EXECUTE ON FUNCTION pg_switch_wal() TO "
                + conn.user
                + " (as a superuser). No backup was taken");
      }
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "reading privileges on " + conn.redacted() + ": " + PgConn.redact(e.getMessage()),
          e);
    }
  }

  /**
   * Creates a temporary logical slot on {@code conn}'s database, runs every probe on the snapshot
   * it exports and drops the slot (by closing its connection).
   */
  static Taken take(PgConn conn, List<Probes.Probe> probes) throws IOException {
    String slot = "roadie_probe_" + HexFormat.of().formatHex(randomBytes(6));
    try (Connection replication = conn.connectReplication();
        Statement rs = replication.createStatement()) {
      String lsn;
      String snapshot;
      // A logical slot waits for the transactions running when it is created to end: only then
      // can it tell exactly which commits its snapshot sees.
      try (ResultSet r =
          rs.executeQuery(
              "CREATE_REPLICATION_SLOT " + slot + " TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT")) {
        r.next();
        lsn = r.getString("consistent_point");
        snapshot = r.getString("snapshot_name");
      }
      Map<String, Probes.Result> results = new LinkedHashMap<>();
      try (Connection c = conn.connect()) {
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
          Probes.pinSettings(st, null);
        }
        String searchPath = Probes.searchPath(c);
        org.postgresql.copy.CopyManager copy =
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
        for (Probes.Probe p : probes) {
          try {
            Bounded header = new Bounded(p.name());
            copy.copyOut(headerQuery(p.sql()), header);
            Bounded rows = new Bounded(p.name());
            copy.copyOut(rowsQuery(p.sql()), rows);
            results.put(p.name(), result(p.sql(), header.text(), rows.text(), searchPath));
          } catch (SQLException e) {
            throw new RoadieException(
                ErrorCode.USAGE,
                "probe "
                    + p.name()
                    + " fails on "
                    + conn.redacted()
                    + ": "
                    + PgConn.redact(e.getMessage())
                    + " (a probe is one query that COPY can run: SELECT, VALUES, WITH ... SELECT); "
                    + "no snapshot was written");
          }
        }
        c.rollback();
      }
      return new Taken(lsn, conn.database, results);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "taking the probes on "
              + conn.redacted()
              + " (a temporary logical replication slot and its exported snapshot): "
              + PgConn.redact(e.getMessage())
              + "; no snapshot was written",
          e);
    }
  }

  /** The CSV header of {@code sql}'s result: its column names as the server prints them. */
  static String headerQuery(String sql) {
    return "COPY (SELECT * FROM ("
        + bare(sql)
        + ") AS probe LIMIT 0) TO STDOUT (FORMAT csv, HEADER)";
  }

  static String rowsQuery(String sql) {
    return "COPY (" + bare(sql) + ") TO STDOUT";
  }

  private static String bare(String sql) {
    return sql.strip().replaceFirst(";+\\s*$", "");
  }

  /** A result from the two COPY outputs: the first line of the header's, one row per line. */
  static Probes.Result result(String sql, String header, String rows, String searchPath) {
    String head = header.endsWith("\n") ? header.substring(0, header.length() - 1) : header;
    List<String> lines = new ArrayList<>();
    for (String line : rows.split("\n", -1)) lines.add(line);
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
    return Probes.canonical(sql, List.of(head.split(",", -1)), head, lines, searchPath);
  }

  /**
   * Runs the recorded probes in a copy paused at {@code lsn} (a hot standby on its private socket),
   * as {@code user} in the database they ran in at backup time, and compares each result with the
   * recorded one. A probe that fails or differs is named.
   */
  static Check compare(ScratchCluster cluster, String user, PhysicalMetadata m, String replayedLsn)
      throws IOException {
    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, Probes.Result> e : m.probes().entrySet()) {
      Probes.Result want = e.getValue();
      Probes.Result got;
      try {
        String settings =
            Probes.PINNED_SETTINGS
                + ";\nSELECT set_config('search_path', '"
                + want.searchPath().replace("'", "''")
                + "', false) \\g /dev/null\n";
        String header =
            cluster.psqlScript(user, m.probeDatabase(), settings + headerQuery(want.sql()) + ";\n");
        String rows =
            cluster.psqlScript(user, m.probeDatabase(), settings + rowsQuery(want.sql()) + ";\n");
        got = result(want.sql(), header, rows, want.searchPath());
      } catch (RoadieException ex) {
        differences.add("probe " + e.getKey() + " fails on the copy: " + ex.getMessage());
        continue;
      }
      if (!got.sha256().equals(want.sha256())) {
        String where = Probes.firstDifference(want.text(), got.text());
        differences.add(
            "probe "
                + e.getKey()
                + " returns "
                + Plural.count(got.rows(), "row")
                + " that differ from the "
                + Plural.count(want.rows(), "row")
                + " it returned at backup time"
                + (where == null ? "" : " (" + where + ")"));
      }
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("probes", m.probes().size());
    figures.put("lsn", m.probeLsn());
    figures.put("replayedLsn", replayedLsn);
    return Check.of(
        "probes",
        differences.isEmpty()
            ? "every probe returns what it returned at backup time (WAL replayed to "
                + m.probeLsn()
                + ", where they were taken)"
            : differences.size()
                + " of "
                + Plural.count(m.probes().size(), "probe")
                + " differ from backup time",
        figures,
        differences);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** COPY output held in memory, refused beyond {@link Probes#MAX_TEXT}. */
  private static final class Bounded extends OutputStream {
    private final String name;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Bounded(String name) {
      this.name = name;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (bytes.size() + len > Probes.MAX_TEXT) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "probe "
                + name
                + " returned more than "
                + (Probes.MAX_TEXT >> 20)
                + " MiB of rows; a probe is a small query (counts, sums, a few rows): aggregate in SQL");
      }
      bytes.write(b, off, len);
    }

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
