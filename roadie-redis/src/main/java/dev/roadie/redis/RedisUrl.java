package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code redis://[USER:PASSWORD@]HOST[:PORT][/DB]} or {@code rediss://…} (TLS). {@code /DB} names
 * one database, as redis-cli's {@code -u} reads it; {@code ?db=N} (redis-py's spelling) means the
 * same. A rediss:// URL also takes the query parameters {@code cacert=FILE} (PEM certificates to
 * trust instead of the JVM's trust store), {@code cert=FILE} and {@code key=FILE} (a client
 * certificate chain and its PKCS#8 key, for servers with {@code tls-auth-clients yes}): the names
 * of redis-cli's options. The password is never part of {@link #toString()} or {@link #redacted()};
 * {@link #target()} is the URL without credentials or query, the default snapshot target.
 */
public final class RedisUrl {
  /** The TLS files of a rediss:// URL; each may be null. */
  public record TlsFiles(Path caCert, Path cert, Path key) {
    static final TlsFiles NONE = new TlsFiles(null, null, null);
  }

  private final boolean tls;
  private final String host;
  private final int port;
  private final String user;
  private final char[] password;
  private final TlsFiles tlsFiles;
  private final int database;

  private RedisUrl(
      boolean tls,
      String host,
      int port,
      String user,
      char[] password,
      TlsFiles tlsFiles,
      int database) {
    this.tls = tls;
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.tlsFiles = tlsFiles;
    this.database = database;
  }

  /**
   * Parses a URL; if it has no password, {@code fallbackPassword} (e.g. $REDISCLI_AUTH) is used.
   */
  public static RedisUrl parse(String url, String fallbackPassword) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'" + redact(url) + "' is not a URL; expected redis://[USER:PASSWORD@]HOST:PORT");
    }
    String scheme = u.getScheme();
    if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
      throw new RoadieException(
          ErrorCode.USAGE, "'" + redact(url) + "' is not a redis:// or rediss:// URL");
    }
    if (u.getHost() == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'" + redact(url) + "' has no host; expected redis://[USER:PASSWORD@]HOST:PORT");
    }
    String user = null;
    char[] password = null;
    String info = u.getRawUserInfo();
    if (info != null && !info.isEmpty()) {
      int colon = info.indexOf(':');
      if (colon < 0) {
        password = decode(info).toCharArray(); // redis://PASSWORD@host, as redis-cli -u accepts
      } else {
        String un = decode(info.substring(0, colon));
        user = un.isEmpty() ? null : un;
        password = decode(info.substring(colon + 1)).toCharArray();
      }
    }
    if (password == null && fallbackPassword != null && !fallbackPassword.isEmpty()) {
      password = fallbackPassword.toCharArray();
    }
    String host = u.getHost();
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    boolean tls = "rediss".equals(scheme);
    String shown = redact(url);
    int database = database(u.getRawPath(), shown);
    Path ca = null;
    Path cert = null;
    Path key = null;
    String query = u.getRawQuery();
    for (String kv : query == null || query.isEmpty() ? new String[0] : query.split("&")) {
      int eq = kv.indexOf('=');
      String name = eq < 0 ? kv : decode(kv.substring(0, eq));
      String value = eq < 0 ? "" : decode(kv.substring(eq + 1));
      switch (name) {
        case "db" -> {
          int n = databaseNumber(value, shown, "db=");
          if (database >= 0 && database != n) {
            throw new RoadieException(
                ErrorCode.USAGE,
                "'"
                    + shown
                    + "' names two databases, "
                    + database
                    + " and "
                    + n
                    + "; give one, as /N or ?db=N");
          }
          database = n;
        }
        case "cacert", "cert", "key" -> {
          if (!tls) {
            throw new RoadieException(
                ErrorCode.USAGE,
                "'"
                    + shown
                    + "': "
                    + name
                    + "= is a TLS parameter; cacert, cert"
                    + " and key go with rediss:// (TLS) URLs");
          }
          if (value.isEmpty()) {
            throw new RoadieException(
                ErrorCode.USAGE, "'" + shown + "': " + name + "= needs a file name");
          }
          switch (name) {
            case "cacert" -> ca = Path.of(value);
            case "cert" -> cert = Path.of(value);
            default -> key = Path.of(value);
          }
        }
        default ->
            throw new RoadieException(
                ErrorCode.USAGE,
                "'"
                    + shown
                    + "': unknown parameter '"
                    + name
                    + "'; "
                    + (tls
                        ? "a rediss:// URL takes db=N, cacert=FILE, cert=FILE and key=FILE"
                        : "a redis:// URL takes db=N (and a rediss:// URL also cacert=FILE, cert=FILE and key=FILE)"));
      }
    }
    if ((cert == null) != (key == null)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + shown
              + "': cert=FILE and key=FILE go together (the client"
              + " certificate and its private key)");
    }
    TlsFiles files = ca == null && cert == null ? TlsFiles.NONE : new TlsFiles(ca, cert, key);
    return new RedisUrl(
        tls, host, u.getPort() < 0 ? 6379 : u.getPort(), user, password, files, database);
  }

  /** The database of the URL's path ({@code /N}), or -1 for none. */
  private static int database(String path, String shown) {
    if (path == null || path.isEmpty() || path.equals("/")) return -1;
    return databaseNumber(decode(path.substring(1)), shown, "the path /");
  }

  private static int databaseNumber(String s, String shown, String where) {
    if (s.matches("[0-9]{1,9}")) return Integer.parseInt(s);
    throw new RoadieException(
        ErrorCode.USAGE,
        "'"
            + shown
            + "': "
            + where
            + s
            + " is not a database number;"
            + " expected redis://HOST:PORT/N with N a database number (0, 1, …), or no path for all databases");
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * The URL with any password replaced by {@code ***}, for messages about a URL that did not parse.
   */
  public static String redact(String url) {
    if (url == null) return null;
    return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@").replaceAll("(://)([^:/@]+)@", "$1***@");
  }

  public boolean tls() {
    return tls;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** The TLS files of a rediss:// URL (each null when not given). */
  public TlsFiles tlsFiles() {
    return tlsFiles;
  }

  /**
   * The database the URL names ({@code /N} or {@code ?db=N}), or -1 when it names none (all
   * databases).
   */
  public int database() {
    return database;
  }

  public String user() {
    return user;
  }

  char[] password() {
    return password;
  }

  /** {@code redis://host:port[/N]}: what a snapshot records as its target. */
  public String target() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (tls ? "rediss" : "redis") + "://" + h + ":" + port + path();
  }

  /** The URL with the user but without the password. */
  public String redacted() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    String cred = user != null ? user + ":***@" : password != null ? "***@" : "";
    return (tls ? "rediss" : "redis") + "://" + cred + h + ":" + port + path();
  }

  private String path() {
    return database >= 0 ? "/" + database : "";
  }

  @Override
  public String toString() {
    return redacted();
  }
}
