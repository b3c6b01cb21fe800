package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.source.Scratch;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server that roadie starts to verify a restore: {@code initdb} in a scratch
 * directory with the local binaries of the snapshot's major version (or the nearest newer one), a
 * free port on 127.0.0.1 only, its Unix socket in the scratch directory, a random password for the
 * {@code postgres} user (scram; never in argv), durability off (fsync, full page writes: a crash
 * loses only a scratch copy). initdb refuses to run as root, so when roadie runs as root the
 * directory is given to the {@code postgres} user and the server runs as that user ({@code
 * runuser}). Stopped ({@code pg_ctl -m immediate}) and removed by the {@link Scratch}.
 */
public final class ScratchCluster {
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * How many times a start is tried on another free port (another process may take the one picked).
   */
  private static final int PORT_TRIES = 3;

  public final Path bin;
  public final int major;
  public final Path data;
  private final Path dir;
  private final String password;
  private int port;

  private ScratchCluster(Path bin, int major, Path dir, Path data, String password) {
    this.bin = bin;
    this.major = major;
    this.dir = dir;
    this.data = data;
    this.password = password;
  }

  /** A new cluster, initialised and started, for a snapshot of PostgreSQL {@code major}. */
  public static ScratchCluster create(Scratch scratch, int major, Path pgBin) throws IOException {
    Path bin = serverBin(pgBin, major);
    Path dir = scratch.directory("pg");
    String password = HexFormat.of().formatHex(randomBytes(16));
    ScratchCluster c = new ScratchCluster(bin, binMajor(bin), dir, dir.resolve("data"), password);
    Path pwfile = dir.resolve("pwfile");
    Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
    giveToServerUser(dir);
    try {
      run(
          asServerUser(
              bin.resolve("initdb").toString(),
              "-D",
              c.data.toString(),
              "-U",
              "postgres",
              "--pwfile=" + pwfile,
              "--auth=scram-sha-256",
              "-E",
              "UTF8",
              "--locale=C",
              "--no-sync"),
          "initdb");
    } finally {
      Files.deleteIfExists(pwfile);
    }
    c.start(scratch, List.of(), true);
    return c;
  }

  /**
   * A cluster on a data directory that is already in scratch space (a physical restore), whose
   * {@code postgres} user has {@code password}; not started.
   */
  public static ScratchCluster existing(Path bin, Path dir, Path data, String password)
      throws IOException {
    return new ScratchCluster(bin, binMajor(bin), dir, data, password);
  }

  /**
   * Starts the server on a free port with {@code settings} ({@code name=value}, added to the
   * command line) and registers its stop. {@code tcp}: listen on 127.0.0.1 as well as on the Unix
   * socket in the scratch directory (reachable only by the server's user and root).
   */
  public void start(Scratch scratch, List<String> settings, boolean tcp) throws IOException {
    scratch.onClose("stop the scratch PostgreSQL server in " + data, this::stop);
    IOException last = null;
    for (int i = 0; i < PORT_TRIES; i++) {
      port = freePort();
      StringBuilder o =
          new StringBuilder(
              "-p "
                  + port
                  + " -k "
                  + dir
                  + " -c listen_addresses="
                  + (tcp ? "127.0.0.1" : "''")
                  + " -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c autovacuum=off");
      for (String s : settings) o.append(" -c ").append(s);
      try {
        run(
            asServerUser(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-l",
                dir.resolve("server.log").toString(),
                "-o",
                o.toString(),
                "-t",
                "3600",
                "-w",
                "start"),
            "pg_ctl start");
        return;
      } catch (RoadieException e) {
        last =
            new IOException(e.getMessage() + "; server log: " + tail(dir.resolve("server.log")), e);
        if (!tail(dir.resolve("server.log")).contains("could not bind")) break;
      }
    }
    throw last;
  }

  /**
   * Stops the server at once (a scratch copy needs no shutdown checkpoint); a stopped one is fine.
   */
  public void stop() throws IOException {
    if (!Files.exists(data.resolve("postmaster.pid"))) return;
    try {
      run(
          asServerUser(
              bin.resolve("pg_ctl").toString(),
              "-D",
              data.toString(),
              "-m",
              "immediate",
              "-w",
              "stop"),
          "pg_ctl stop");
    } catch (RoadieException e) {
      if (Files.exists(data.resolve("postmaster.pid"))) throw e;
    }
  }

  public int port() {
    return port;
  }

  /** A connection to {@code db} as the {@code postgres} user, over TCP. */
  public PgConn conn(String db) {
    return PgConn.parse(
        "postgresql://postgres:"
            + password
            + "@127.0.0.1:"
            + port
            + "/"
            + java.net.URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20"),
        Map.of());
  }

  /**
   * Runs one query with psql over the Unix socket as {@code user} (no password: the socket is
   * private to the scratch directory) and returns its rows, columns separated by '|'.
   */
  public List<String> psql(String user, String db, String sql) throws IOException {
    List<String> cmd =
        List.of(
            bin.resolve("psql").toString(),
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            dir.toString(),
            "-p",
            Integer.toString(port),
            "-U",
            user,
            "-d",
            db,
            "-c",
            sql);
    try (PgTools.Child child = new PgTools.Child(cmd, Map.of("PGCONNECT_TIMEOUT", "10"), false)) {
      String out =
          new String(child.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      child.finish("psql");
      List<String> rows = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isEmpty()) rows.add(line);
      }
      return rows;
    }
  }

  /**
   * Runs a psql script (fed on its standard input) over the Unix socket as {@code user}, stopping
   * at the first error, and returns what it printed, unchanged (UTF-8).
   */
  public String psqlScript(String user, String db, String script) throws IOException {
    List<String> cmd =
        List.of(
            bin.resolve("psql").toString(),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            dir.toString(),
            "-p",
            Integer.toString(port),
            "-U",
            user,
            "-d",
            db,
            "-f",
            "-");
    try (PgTools.Child child =
        new PgTools.Child(
            cmd, Map.of("PGCONNECT_TIMEOUT", "10", "PGCLIENTENCODING", "UTF8"), true)) {
      Thread feed =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (var in = child.process.getOutputStream()) {
                      in.write(script.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                      // psql ended early; its exit status says why
                    }
                  });
      String out =
          new String(child.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      try {
        feed.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      child.finish("psql");
      return out;
    }
  }

  /**
   * The environment of a libpq program that reaches this server over its Unix socket as {@code
   * user}.
   */
  public Map<String, String> socketEnv(String user, String db) {
    return Map.of(
        "PGHOST",
        dir.toString(),
        "PGPORT",
        Integer.toString(port),
        "PGUSER",
        user,
        "PGDATABASE",
        db);
  }

  /** Whether the server process is still there (postmaster.pid names a live process). */
  public boolean running() {
    try {
      List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"));
      return ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
          .map(ProcessHandle::isAlive)
          .orElse(false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** What reports say about this server. */
  public String describe() {
    return "a scratch PostgreSQL " + major + " server on 127.0.0.1:" + port;
  }

  /** The last lines of the server's log, for messages. */
  public String logTail() {
    return tail(dir.resolve("server.log"));
  }

  // ---- binaries and users ----

  /**
   * The directory of initdb, pg_ctl and postgres for a snapshot of {@code major}: {@code pgBin}
   * when given, else {@code /usr/lib/postgresql/N/bin} with N the snapshot's major version or, when
   * that is not installed, the nearest newer one. An older server cannot read what a newer one
   * wrote.
   */
  public static Path serverBin(Path pgBin, int major) throws IOException {
    if (pgBin != null) {
      if (!Files.isExecutable(pgBin.resolve("initdb"))
          || !Files.isExecutable(pgBin.resolve("pg_ctl"))) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "initdb and pg_ctl are not in "
                + pgBin
                + " (--pg-bin): a "
                + "verification starts its own scratch server; point --pg-bin at a PostgreSQL server's bin directory");
      }
      int found = binMajor(pgBin);
      if (found < major) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "the snapshot is of PostgreSQL "
                + major
                + ", and "
                + pgBin
                + " holds PostgreSQL "
                + found
                + ", which cannot restore it: install postgresql-"
                + major);
      }
      return pgBin;
    }
    List<Path> dirs = new ArrayList<>();
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> s = Files.list(base)) {
        s.map(p -> p.resolve("bin"))
            .filter(
                p ->
                    Files.isExecutable(p.resolve("initdb"))
                        && Files.isExecutable(p.resolve("pg_ctl")))
            .forEach(dirs::add);
      }
    }
    Path best = null;
    int bestMajor = Integer.MAX_VALUE;
    List<Integer> installed = new ArrayList<>();
    for (Path d : dirs) {
      int m = dirMajor(d);
      installed.add(m);
      if (m >= major && m < bestMajor) {
        best = d;
        bestMajor = m;
      }
    }
    if (best == null) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "verifying a PostgreSQL "
              + major
              + " snapshot needs the "
              + "PostgreSQL "
              + major
              + " server (or newer) to start a scratch cluster; "
              + (installed.isEmpty()
                  ? "none is installed in /usr/lib/postgresql"
                  : "installed: " + installed)
              + ": install postgresql-"
              + major
              + " (apt-get install postgresql-"
              + major
              + "), pass --pg-bin DIR, "
              + "or restore into a server of yours with --scratch postgresql://…");
    }
    return best;
  }

  private static int dirMajor(Path binDir) {
    try {
      return Integer.parseInt(binDir.getParent().getFileName().toString().replaceAll("\\..*", ""));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private static int binMajor(Path bin) throws IOException {
    String out =
        PgTools.runForOutput(List.of(bin.resolve("pg_ctl").toString(), "--version"), Map.of())
            .trim();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\) (\\d+)").matcher(out);
    if (!m.find())
      throw new RoadieException(
          ErrorCode.FAILURE, bin.resolve("pg_ctl") + " --version printed '" + out + "'");
    return Integer.parseInt(m.group(1));
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * {@code cmd} as the user the server runs as: the invoking user, or {@code postgres} when that is
   * root.
   */
  public static List<String> asServerUser(String... cmd) {
    List<String> c = new ArrayList<>();
    if (root()) c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    return c;
  }

  /** Makes {@code dir} (and what is in it) the server user's, when roadie runs as root. */
  public static void giveToServerUser(Path dir) throws IOException {
    if (!root()) return;
    try {
      run(List.of("chown", "-R", "postgres:", dir.toString()), "chown");
    } catch (RoadieException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "roadie runs as root, and PostgreSQL's server refuses to: the scratch "
              + "server runs as the postgres user, and giving it "
              + dir
              + " failed ("
              + e.getMessage()
              + "); create the "
              + "postgres user (install the PostgreSQL server package) or run roadie as another user");
    }
    try {
      run(asServerUser("test", "-w", dir.toString()), "test");
    } catch (RoadieException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the scratch server runs as the postgres user, who cannot reach "
              + dir
              + " (a directory above it is private to root): put scratch space where postgres can traverse "
              + "(--scratch-dir DIR, or TMPDIR)");
    }
  }

  static void run(List<String> cmd, String what) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int rc;
    try {
      rc = p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted during " + what);
    }
    if (rc != 0) {
      throw new RoadieException(
          ErrorCode.FAILURE, what + " failed (exit status " + rc + "): " + clip(out));
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no server log)";
    }
  }

  private static String clip(String s) {
    return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
  }
}
