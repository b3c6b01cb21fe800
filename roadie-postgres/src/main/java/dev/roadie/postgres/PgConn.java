package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A PostgreSQL connection target parsed from {@code
 * postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=...]}. The password comes from the URL, then
 * {@code PGPASSWORD}, then the password file ({@code PGPASSFILE} or {@code ~/.pgpass}). It is never
 * put into a child's argv or a message: children get it in their environment ({@link #childEnv}),
 * messages use {@link #redacted}.
 */
public final class PgConn {
  public final String host;
  public final int port;
  public final String user;
  public final String database;
  private final String password;

  /** Query parameters of the URL (sslmode, sslrootcert, ...), passed on to the driver and libpq. */
  public final Map<String, String> params;

  private PgConn(
      String host,
      int port,
      String user,
      String database,
      String password,
      Map<String, String> params) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.database = database;
    this.password = password;
    this.params = params;
  }

  /**
   * {@code url} with libpq's environment ({@code PGUSER}, {@code PGPASSWORD}, {@code PGPASSFILE})
   * for what it leaves out. Frozen exception to "no environment reads below the command line"
   * (issue 15, ArchitectureTest): every caller that parses a user's URL wants libpq's semantics; to
   * lift it, callers pass their environment to {@link #parse(String, Map)}.
   */
  public static PgConn parse(String url) {
    return parse(url, System.getenv());
  }

  /**
   * {@code url} with {@code env} as libpq's environment ({@code PGUSER}, {@code PGPASSWORD}, {@code
   * PGPASSFILE}).
   */
  public static PgConn parse(String url, Map<String, String> env) {
    if (url == null || !(url.startsWith("postgresql://") || url.startsWith("postgres://"))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'" + redact(url) + "' is not a PostgreSQL URL; use postgresql://USER@HOST:PORT/DB");
    }
    URI u;
    try {
      u = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(ErrorCode.USAGE, "'" + redact(url) + "' is not a valid URL");
    }
    String host = u.getHost() == null ? "localhost" : u.getHost();
    int port = u.getPort() < 0 ? 5432 : u.getPort();
    String user = null;
    String password = null;
    String ui = u.getRawUserInfo();
    if (ui != null) {
      int c = ui.indexOf(':');
      user = decode(c < 0 ? ui : ui.substring(0, c));
      if (c >= 0) password = decode(ui.substring(c + 1));
    }
    if (user == null) user = env.getOrDefault("PGUSER", System.getProperty("user.name"));
    String path = u.getRawPath();
    String db = path == null || path.length() <= 1 ? user : decode(path.substring(1));
    Map<String, String> params = new LinkedHashMap<>();
    if (u.getRawQuery() != null) {
      for (String kv : u.getRawQuery().split("&")) {
        if (kv.isEmpty()) continue;
        int e = kv.indexOf('=');
        params.put(
            decode(e < 0 ? kv : kv.substring(0, e)), e < 0 ? "" : decode(kv.substring(e + 1)));
      }
    }
    if (password == null) password = params.remove("password");
    params.remove("password");
    checkParams(params);
    if (password == null) password = env.get("PGPASSWORD");
    if (password == null) password = fromPassFile(env, host, port, db, user);
    return new PgConn(host, port, user, db, password, params);
  }

  /**
   * The URL query parameters roadie passes on, to both the JDBC driver and libpq (pg_dump,
   * pg_restore).
   */
  static final List<String> PARAMETERS =
      List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout");

  static final List<String> SSLMODES =
      List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  /**
   * Refuses what the driver and libpq would treat differently or drop silently: an unknown
   * parameter, an sslmode neither knows, a connect_timeout that is not a number of seconds.
   */
  private static void checkParams(Map<String, String> params) {
    for (var e : params.entrySet()) {
      if (!PARAMETERS.contains(e.getKey())) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "the PostgreSQL URL's parameter '"
                + e.getKey()
                + "' is not "
                + "supported; accepted: "
                + String.join(", ", PARAMETERS)
                + " (and password)");
      }
    }
    String mode = params.get("sslmode");
    if (mode != null && !SSLMODES.contains(mode)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the PostgreSQL URL's sslmode '"
              + mode
              + "' is not valid; use one of "
              + String.join(", ", SSLMODES));
    }
    String timeout = params.get("connect_timeout");
    if (timeout != null && !timeout.matches("[0-9]{1,6}")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the PostgreSQL URL's connect_timeout '" + timeout + "' is not a " + "number of seconds");
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * Looks the password up in PGPASSFILE or ~/.pgpass (hostname:port:database:username:password, '*'
   * wildcards).
   */
  static String fromPassFile(
      Map<String, String> env, String host, int port, String db, String user) {
    Path file =
        env.get("PGPASSFILE") != null
            ? Path.of(env.get("PGPASSFILE"))
            : Path.of(System.getProperty("user.home"), ".pgpass");
    List<String> lines;
    try {
      if (!Files.isReadable(file)) return null;
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
    for (String line : lines) {
      if (line.isBlank() || line.startsWith("#")) continue;
      List<String> f = splitPgpass(line);
      if (f.size() < 5) continue;
      if (match(f.get(0), host)
          && match(f.get(1), Integer.toString(port))
          && match(f.get(2), db)
          && match(f.get(3), user)) {
        return f.get(4);
      }
    }
    return null;
  }

  private static boolean match(String pattern, String value) {
    return pattern.equals("*")
        || pattern.equals(value)
        || (pattern.equals("localhost") && (value.equals("127.0.0.1") || value.equals("::1")));
  }

  private static List<String> splitPgpass(String line) {
    List<String> out = new java.util.ArrayList<>();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (ch == '\\' && i + 1 < line.length()) {
        b.append(line.charAt(++i));
      } else if (ch == ':' && out.size() < 4) {
        out.add(b.toString());
        b.setLength(0);
      } else {
        b.append(ch);
      }
    }
    out.add(b.toString());
    return out;
  }

  /** The same server and credentials, another database. */
  public PgConn withDatabase(String db) {
    return new PgConn(host, port, user, db, password, params);
  }

  /** The URL without its password (for messages and snapshot metadata). */
  public String redacted() {
    return "postgresql://" + user + "@" + hostPort() + "/" + database;
  }

  public String hostPort() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** Removes a password from anything that looks like a URL with user info. */
  public static String redact(String s) {
    if (s == null) return null;
    return s.replaceAll("(://[^:/@\\s]*):[^@/\\s]*@", "$1:***@")
        .replaceAll("(?i)(password=)[^&\\s]*", "$1***");
  }

  public Connection connect() throws IOException {
    return connect(new Properties());
  }

  /**
   * A connection for a long {@code COPY ... TO STDOUT}: its socket reads are buffered ({@link
   * dev.roadie.postgres.internal.CopySocketFactory}).
   */
  public Connection connectForCopyOut() throws IOException {
    Properties p = new Properties();
    p.setProperty("socketFactory", dev.roadie.postgres.internal.CopySocketFactory.class.getName());
    return connect(p);
  }

  /**
   * A walsender connection ({@code replication=database}: replication commands and plain SQL),
   * simple query protocol only. A socket silent for 20 s counts as lost: the receiver asks the
   * server for a reply every few seconds, so only a stuck stream (the end of a timeline, which
   * pgjdbc's copy API cannot acknowledge) or a dead peer stays silent that long.
   */
  public Connection connectReplication() throws IOException {
    Properties p = new Properties();
    p.setProperty("replication", "database");
    p.setProperty("preferQueryMode", "simple");
    p.setProperty("assumeMinServerVersion", "10");
    p.setProperty("socketTimeout", "20");
    return connect(p);
  }

  private Connection connect(Properties p) throws IOException {
    p.setProperty("user", user);
    if (password != null) p.setProperty("password", password);
    p.setProperty("ApplicationName", "roadie");
    p.setProperty("connectTimeout", params.getOrDefault("connect_timeout", "10"));
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("sslmode", params.getOrDefault("sslmode", "prefer"));
    for (var e : params.entrySet()) {
      if (e.getKey().startsWith("ssl") && !e.getKey().equals("sslmode"))
        p.setProperty(e.getKey(), e.getValue());
    }
    String jdbc =
        "jdbc:postgresql://"
            + hostPort()
            + "/"
            + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8);
    try {
      return DriverManager.getConnection(jdbc, p);
    } catch (SQLException e) {
      throw connectError(e);
    }
  }

  RoadieException connectError(SQLException e) {
    String tls = tlsProblem(e);
    if (tls != null) {
      // Not retriable: the same certificate fails the same way next time.
      return new RoadieException(
          ErrorCode.FAILURE, "cannot connect to PostgreSQL at " + hostPort() + ": " + tls, e);
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String msg;
    if (state.equals("28P01")
        || state.equals("28000")
        || String.valueOf(e.getMessage()).contains("no password was provided")) {
      msg =
          "authentication failed for user '"
              + user
              + "' at "
              + hostPort()
              + (password == null
                  ? " (no password given: put it in the URL, PGPASSWORD, ~/.pgpass or PGPASSFILE)"
                  : "");
    } else if (state.equals("3D000")) {
      msg = "database '" + database + "' does not exist on " + hostPort();
    } else if (unreachable(e)) {
      msg =
          "cannot connect to PostgreSQL at "
              + hostPort()
              + ": "
              + redact(rootMessage(e))
              + " (is the server running and accepting TCP connections?)";
      if (lostSocket(e)) {
        // Refused, reset or timed out: the server may be restarting or failing over; the same
        // command can succeed later.
        return new RoadieException.Retriable(msg, e);
      }
    } else if (state.startsWith("08")) {
      msg = "cannot connect to PostgreSQL at " + hostPort() + ": " + redact(e.getMessage());
      if (lostSocket(e)) {
        return new RoadieException.Retriable(msg, e);
      }
    } else {
      msg = "connecting to " + redacted() + " failed: " + redact(e.getMessage());
    }
    return new RoadieException(ErrorCode.FAILURE, msg, e);
  }

  /**
   * A TLS failure in words a user can act on: which check failed and what to change; null when the
   * connection did not fail over TLS. The driver says "SSL error: PKIX path building failed" for a
   * certificate of another CA and names its host name verifier for a certificate of another host.
   */
  private String tlsProblem(SQLException e) {
    boolean tls = false;
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null && all.length() < 10_000; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) tls = true;
      all.append(t.getMessage()).append('\n');
      if (t.getCause() == t) break;
    }
    String text = all.toString();
    String mode = params.getOrDefault("sslmode", "prefer");
    String rootCert = params.get("sslrootcert");
    String roots =
        rootCert != null
            ? "sslrootcert " + rootCert
            : "the default root certificates (~/.postgresql/root.crt; set sslrootcert=FILE)";
    if (text.contains("could not be verified by hostnameverifier")) {
      return "TLS failed: the server's certificate does not name the host "
          + host
          + " (sslmode="
          + mode
          + " checks that it does); connect by a host name or address the certificate names, or "
          + "give the server a certificate that names "
          + host;
    }
    if (text.contains("PKIX path")
        || text.contains("unable to find valid certification path")
        || text.contains("signature check failed")) {
      return "TLS failed: the server's certificate is not signed by a CA in "
          + roots
          + " (sslmode="
          + mode
          + "); put the CA that signed the server's certificate in that file";
    }
    if (text.contains("does not support SSL")) {
      return "the server does not offer TLS (its ssl setting is off), and sslmode="
          + mode
          + " requires it";
    }
    if (tls || text.contains("SSL error") || text.contains("SSL root certificate")) {
      return "TLS failed (" + redact(rootMessage(e)) + "); check sslmode and " + roots;
    }
    return null;
  }

  /**
   * Whether the server could not be reached at all (refused, no route, unknown host, timed out).
   */
  private static boolean unreachable(Throwable t) {
    for (int i = 0; t != null && i < 16; t = t.getCause(), i++) {
      if (t instanceof java.net.ConnectException
          || t instanceof java.net.NoRouteToHostException
          || t instanceof java.net.UnknownHostException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the connection failed at the socket (refused, reset, timed out), not over a name, TLS
   * or a refusal by the server.
   */
  private static boolean lostSocket(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t instanceof java.net.SocketException || t instanceof java.net.SocketTimeoutException;
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /**
   * Environment for libpq children (pg_dump, pg_restore, psql): the whole connection, password
   * included, so nothing of it appears in argv.
   */
  public Map<String, String> childEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGUSER", user);
    env.put("PGDATABASE", database);
    env.put("PGAPPNAME", "roadie");
    if (password != null) env.put("PGPASSWORD", password);
    String[][] map = {
      {"sslmode", "PGSSLMODE"},
      {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcert", "PGSSLCERT"},
      {"sslkey", "PGSSLKEY"},
      {"sslcrl", "PGSSLCRL"},
      {"connect_timeout", "PGCONNECT_TIMEOUT"}
    };
    for (String[] m : map) {
      if (params.containsKey(m[0])) env.put(m[1], params.get(m[0]));
    }
    return env;
  }
}
