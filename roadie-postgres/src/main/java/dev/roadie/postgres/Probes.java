package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Probe queries ({@code backup postgres --probe NAME=SQL}): run inside the backup's own snapshot,
 * their results stored in the snapshot, run again on a restored copy and compared. A result is
 * compared as a canonical text: a header line of the column names, then one line per row, columns
 * as PostgreSQL's text output separated by tabs ({@code \N} for NULL; backslash, tab, newline and
 * carriage return escaped as COPY's text format does), the rows sorted, so that a copy whose rows
 * come back in another physical order still matches. The session settings that shape text output
 * (time zone, date and interval styles, float digits, bytea output, search path) are pinned, so a
 * result does not depend on the machine or the user that ran it.
 */
public final class Probes {
  /**
   * A probe result's canonical text is held whole (it is sorted); beyond this a probe is refused.
   */
  public static final int MAX_TEXT = 16 << 20;

  /** The start of the canonical text kept in the snapshot, for showing what differs. */
  static final int KEPT_TEXT = 4096;

  private Probes() {}

  /** A named query. */
  public record Probe(String name, String sql) {
    public Probe {
      if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "a probe's name is 1 to 64 letters, digits, '_', '.' or '-', not '" + name + "'");
      }
      if (sql == null || sql.isBlank()) {
        throw new RoadieException(ErrorCode.USAGE, "probe " + name + " has no SQL");
      }
    }

    /** {@code NAME=SQL}, as {@code --probe} takes it. */
    public static Probe parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--probe takes NAME=SQL (e.g. orders='SELECT count(*) FROM "
                + "orders'), not '"
                + spec
                + "'");
      }
      return new Probe(spec.substring(0, eq).trim(), spec.substring(eq + 1).trim());
    }
  }

  /**
   * A probe's result as stored in the snapshot ({@code source.probes.NAME}).
   *
   * @param sha256 of the whole canonical text
   * @param text the canonical text's first {@value #KEPT_TEXT} characters
   * @param truncated whether {@code text} is only the start
   * @param searchPath the search path the probe ran with at backup time; a verification runs it so
   *     too
   */
  public record Result(
      String sql,
      long rows,
      List<String> columns,
      String sha256,
      String text,
      boolean truncated,
      String searchPath) {}

  /** The settings that shape text output, pinned wherever a probe runs. */
  public static final String PINNED_SETTINGS =
      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
          + "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lc_monetary = 'C'";

  /** Pins the settings that shape text output; {@code searchPath} null keeps the session's. */
  public static void pinSettings(Statement st, String searchPath) throws SQLException {
    st.execute(PINNED_SETTINGS);
    if (searchPath != null) {
      try (var ps =
          st.getConnection().prepareStatement("SELECT set_config('search_path', ?, false)")) {
        ps.setString(1, searchPath);
        ps.execute();
      }
    }
  }

  public static String searchPath(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW search_path")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Runs one probe on {@code c} (whose settings are pinned) and returns its canonical result. */
  static Result run(Connection c, String sql, String searchPath, String name) throws SQLException {
    List<String> rows = new ArrayList<>();
    List<String> columns = new ArrayList<>();
    long size = 0;
    try (Statement st = c.createStatement()) {
      st.setFetchSize(1000);
      try (ResultSet rs = st.executeQuery(sql)) {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        for (int i = 1; i <= n; i++) columns.add(md.getColumnLabel(i));
        StringBuilder b = new StringBuilder();
        while (rs.next()) {
          b.setLength(0);
          for (int i = 1; i <= n; i++) {
            if (i > 1) b.append('\t');
            String v = rs.getString(i);
            if (v == null) b.append("\\N");
            else escape(v, b);
          }
          size += b.length() + 1;
          if (size > MAX_TEXT) {
            throw new RoadieException(
                ErrorCode.USAGE,
                "probe "
                    + name
                    + " returned more than "
                    + (MAX_TEXT >> 20)
                    + " MiB of rows; a probe is a small query (counts, sums, a few rows): aggregate in SQL");
          }
          rows.add(b.toString());
        }
      }
    }
    StringBuilder header = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) header.append('\t');
      escape(columns.get(i), header);
    }
    return canonical(sql, columns, header.toString(), rows, searchPath);
  }

  /**
   * A result from its header line and its rows (each one line, escaped), in canonical form: the
   * rows sorted, the text hashed whole and kept up to {@value #KEPT_TEXT} characters.
   */
  public static Result canonical(
      String sql, List<String> columns, String header, List<String> rows, String searchPath) {
    rows = new ArrayList<>(rows);
    rows.sort(null);
    StringBuilder text = new StringBuilder();
    MessageDigest md = sha256();
    byte[] h = (header + "\n").getBytes(StandardCharsets.UTF_8);
    md.update(h);
    text.append(header).append('\n');
    for (String r : rows) {
      md.update((r + "\n").getBytes(StandardCharsets.UTF_8));
      if (text.length() <= KEPT_TEXT) text.append(r).append('\n');
    }
    boolean truncated = text.length() > KEPT_TEXT;
    String kept = truncated ? text.substring(0, KEPT_TEXT) : text.toString();
    return new Result(
        sql,
        rows.size(),
        List.copyOf(columns),
        HexFormat.of().formatHex(md.digest()),
        kept,
        truncated,
        searchPath);
  }

  private static void escape(String v, StringBuilder b) {
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      switch (ch) {
        case '\\' -> b.append("\\\\");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> b.append(ch);
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The first line where two canonical texts differ, as "backup: … / copy: …"; null when the kept
   * starts agree.
   */
  public static String firstDifference(String backup, String copy) {
    String[] a = backup.split("\n", -1);
    String[] b = copy.split("\n", -1);
    for (int i = 0; i < Math.min(a.length, b.length) - 1; i++) {
      if (!a[i].equals(b[i]))
        return "line " + (i + 1) + ": backup '" + clip(a[i]) + "', copy '" + clip(b[i]) + "'";
    }
    return null;
  }

  private static String clip(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
