package dev.roadie.cli;

import dev.roadie.postgres.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A PostgreSQL data directory of a test, run as the postgres user (when the tests run as root) on a
 * port of its own, its unix socket in the directory's parent and its log beside it ({@code
 * NAME.log}): a primary made by {@link #initdb}, or a copy roadie restored. Settings live in
 * postgresql.conf (not on the command line), so ALTER SYSTEM and a restart change them as they do
 * on a real server.
 */
final class PgServer implements AutoCloseable {
  /** The password of the postgres user in every cluster made by {@link #initdb}. */
  static final String DB_PW = "db-pw";

  final Path bin;
  final Path data;
  final int port;

  /** Set in the server's environment (and so its restore_command's), besides the test's own. */
  final Map<String, String> env;

  PgServer(Path bin, Path data, int port, Map<String, String> env) {
    this.bin = bin;
    this.data = data;
    this.port = port;
    this.env = env;
  }

  /**
   * Runs initdb into {@code data} (its parent belonging to the postgres user) with {@code
   * passwordFile} holding {@link #DB_PW}, and appends to postgresql.conf: listening on 127.0.0.1,
   * fsync off, then {@code conf}. The server is not started.
   */
  static PgServer initdb(Path bin, Path data, Path passwordFile, String conf) throws Exception {
    PgCluster.initdb(bin, data, passwordFile);
    Files.writeString(
        data.resolve("postgresql.conf"),
        "\nlisten_addresses = '127.0.0.1'\nfsync = off\n" + conf,
        StandardOpenOption.APPEND);
    return new PgServer(bin, data, freePort(), Map.of());
  }

  // ---- running as the postgres user ----

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** {@code cmd} run as the postgres user when the tests run as root. */
  static List<String> asPostgres(String... cmd) {
    List<String> c = new ArrayList<>();
    if (root()) c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    return c;
  }

  /** Runs {@code cmd} to its end; its output, or an IOException with it when it fails. */
  static String exec(List<String> cmd) throws Exception {
    return exec(cmd, Map.of());
  }

  static String exec(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(cmd + ": " + out);
    return out;
  }

  static int freePort() throws IOException {
    return PgCluster.freePort();
  }

  // ---- the server ----

  String url() {
    return "postgresql://postgres:" + DB_PW + "@127.0.0.1:" + port + "/postgres";
  }

  Connection connect() throws Exception {
    return connect("postgres");
  }

  Connection connect(String db) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", DB_PW);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
  }

  /** The rows of {@code sql}, joined by ';', their columns by '|' ({@code null} as "null"). */
  String query(String sql) throws Exception {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      StringBuilder b = new StringBuilder();
      while (rs.next()) {
        if (!b.isEmpty()) b.append(';');
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          if (i > 1) b.append('|');
          b.append(rs.getString(i));
        }
      }
      return b.toString();
    }
  }

  void sql(String sql) throws Exception {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  Path logFile() {
    return data.resolveSibling(data.getFileName() + ".log");
  }

  String log() throws IOException {
    return Files.exists(logFile()) ? Files.readString(logFile()) : "(no log)";
  }

  void start() throws Exception {
    try {
      exec(
          asPostgres(
              bin.resolve("pg_ctl").toString(),
              "-D",
              data.toString(),
              "-l",
              logFile().toString(),
              "-o",
              "-p " + port + " -k " + data.getParent(),
              "-w",
              "-t",
              "120",
              "start"),
          env);
    } catch (IOException e) {
      throw new IOException(e.getMessage() + "\nserver log:\n" + log(), e);
    }
  }

  boolean running() {
    return Files.exists(data.resolve("postmaster.pid"));
  }

  /** A clean shutdown (pg_ctl -m fast), if it runs. */
  void stop() throws Exception {
    if (running()) pgCtlStop("fast");
  }

  /** Stops the server as a crash would (pg_ctl -m immediate): no shutdown checkpoint. */
  void crash() throws Exception {
    pgCtlStop("immediate");
  }

  void restart() throws Exception {
    stop();
    start();
  }

  private void pgCtlStop(String mode) throws Exception {
    exec(
        asPostgres(
            bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", mode, "-w", "stop"));
  }

  /** Waits until recovery has ended (the server promoted) and it accepts writes. */
  void awaitPromoted() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (query("SELECT pg_is_in_recovery()").equals("f")) return;
      } catch (Exception e) {
        // not accepting connections yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("server on " + port + " did not finish recovery: " + log());
  }

  /**
   * Switches to a new segment and waits until PostgreSQL reports the one before it archived
   * (archive_command returned 0); returns that segment's name.
   */
  String archiveCurrentWal() throws Exception {
    String segment = query("SELECT pg_walfile_name(pg_switch_wal())");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      String last = query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (!last.isEmpty() && last.substring(8).compareTo(segment.substring(8)) >= 0) return segment;
      Thread.sleep(50);
    }
    throw new AssertionError(segment + " was not archived: " + log());
  }

  /**
   * Stops the server if it still runs, as a crash would (the end of a test needs no checkpoint).
   */
  @Override
  public void close() throws Exception {
    if (running()) crash();
  }
}
