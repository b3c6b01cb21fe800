package dev.roadie.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary directory (owned by the postgres
 * user when the tests run as root), started on a free port with password (scram) authentication
 * over TCP, stopped and deleted by {@link #close}. Never touches any other cluster.
 */
public final class PgCluster implements AutoCloseable {
  public static final String PASSWORD = "s3cret-pw";
  public final Path dir;
  public final int port;
  public final Path bin;

  private PgCluster(Path dir, int port, Path bin) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
  }

  public static Path findBin() {
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) return null;
    try (Stream<Path> s = Files.list(base)) {
      return s.map(p -> p.resolve("bin"))
          .filter(p -> Files.isExecutable(p.resolve("initdb")))
          .max(
              Comparator.comparing(
                  p ->
                      Integer.parseInt(
                          p.getParent().getFileName().toString().replaceAll("\\D.*", ""))))
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static List<String> asPostgres(String... cmd) {
    List<String> c = new ArrayList<>();
    if (root()) c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    return c;
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * initdb into {@code data} as the postgres user (when the tests run as root; the parent directory
   * must be that user's): superuser postgres with the password in {@code passwordFile}, scram over
   * TCP, trust over the socket, UTF-8.
   */
  public static void initdb(Path bin, Path data, Path passwordFile)
      throws IOException, InterruptedException {
    run(
        asPostgres(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "--pwfile=" + passwordFile,
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync"));
  }

  public static PgCluster start() throws Exception {
    return start(Map.of());
  }

  /**
   * A cluster started with these server settings besides the usual ones ({@code ssl=on}, …); files
   * they name must be readable by the postgres user.
   */
  public static PgCluster start(Map<String, String> settings) throws Exception {
    Path bin = findBin();
    if (bin == null)
      throw new IllegalStateException(
          "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin");
    Path dir = Files.createTempDirectory("roadie-pg-");
    Files.writeString(dir.resolve("pw"), PASSWORD + "\n");
    if (root()) run(List.of("chown", "-R", "postgres", dir.toString()));
    initdb(bin, dir.resolve("data"), dir.resolve("pw"));
    int port = freePort();
    run(
        asPostgres(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-l",
            dir.resolve("log").toString(),
            "-o",
            "-p "
                + port
                + " -k "
                + dir
                + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
                + settings.entrySet().stream()
                    .map(e -> " -c " + e.getKey() + "=" + e.getValue())
                    .collect(java.util.stream.Collectors.joining()),
            "-w",
            "start"));
    return new PgCluster(dir, port, bin);
  }

  public String url(String db) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + db;
  }

  public PgConn conn(String db) {
    return PgConn.parse(
        "postgresql://postgres:" + PASSWORD + "@127.0.0.1:" + port + "/" + db, Map.of());
  }

  /** Another server of the test (a standby) on {@code port}, same password. */
  public static PgConn connTo(int port, String db) {
    return PgConn.parse(
        "postgresql://postgres:" + PASSWORD + "@127.0.0.1:" + port + "/" + db, Map.of());
  }

  public static Connection jdbcTo(int port, String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", PASSWORD);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
  }

  public Connection jdbc(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", PASSWORD);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
  }

  /** Runs a client program (psql, pg_dump, pg_restore) against this cluster; returns stdout. */
  public String client(String program, List<String> args, Path stdin)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.resolve(program).toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("PGHOST", "127.0.0.1");
    pb.environment().put("PGPORT", Integer.toString(port));
    pb.environment().put("PGUSER", "postgres");
    pb.environment().put("PGPASSWORD", PASSWORD);
    if (stdin != null) pb.redirectInput(stdin.toFile());
    Process p = pb.start();
    byte[][] e = new byte[1][];
    Thread err =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    e[0] = p.getErrorStream().readAllBytes();
                  } catch (IOException ignored) {
                    e[0] = new byte[0];
                  }
                });
    String out = new String(p.getInputStream().readAllBytes());
    int rc = p.waitFor();
    err.join();
    if (rc != 0) throw new IOException(program + " " + args + " failed: " + new String(e[0]));
    return out;
  }

  public void sql(String db, String sql) throws SQLException {
    try (Connection c = jdbc(db);
        var st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** Stops the server as a crash would (pg_ctl -m immediate): no shutdown checkpoint. */
  public void stopImmediately() throws IOException, InterruptedException {
    run(
        asPostgres(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-m",
            "immediate",
            "-w",
            "stop"));
  }

  @Override
  public void close() throws Exception {
    try {
      if (Files.exists(dir.resolve("data/postmaster.pid"))) {
        run(
            asPostgres(
                bin.resolve("pg_ctl").toString(),
                "-D",
                dir.resolve("data").toString(),
                "-m",
                "fast",
                "-w",
                "stop"));
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
