package dev.roadie.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * The target names of PostgreSQL backups, from a URL as a user gives it: {@code
 * postgres://HOST:PORT/DB} for a logical backup, {@code postgres://HOST:PORT} for a physical one,
 * whatever the user, password, parameters or scheme spelling ({@code postgresql://} or {@code
 * postgres://}), the port 5432 when none is given. Parsed without connecting and without reading
 * the environment.
 */
public final class PostgresTargets {
  /** The URL schemes of PostgreSQL connection strings. */
  public static final Set<String> SCHEMES = Set.of("postgresql", "postgres");

  private PostgresTargets() {}

  /** {@code postgres://HOST:PORT/DB} for a URL with a database; null for anything else. */
  public static String logical(String given) {
    URI u = url(given);
    if (u == null || u.getRawPath() == null || u.getRawPath().length() <= 1) return null;
    String db =
        java.net.URLDecoder.decode(
            u.getRawPath().substring(1).replace("+", "%2B"),
            java.nio.charset.StandardCharsets.UTF_8);
    return "postgres://" + hostPort(u) + "/" + db;
  }

  /** {@code postgres://HOST:PORT} for a PostgreSQL URL; null for anything else. */
  public static String cluster(String given) {
    URI u = url(given);
    return u == null ? null : "postgres://" + hostPort(u);
  }

  private static URI url(String given) {
    int i = given.indexOf("://");
    if (i <= 0 || !SCHEMES.contains(given.substring(0, i).toLowerCase(Locale.ROOT))) return null;
    try {
      URI u = new URI(given);
      return u.getHost() == null ? null : u;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** HOST:PORT as {@link PgConn#hostPort()} writes it. */
  private static String hostPort(URI u) {
    String host = u.getHost();
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    return (host.contains(":") ? "[" + host + "]" : host)
        + ":"
        + (u.getPort() < 0 ? 5432 : u.getPort());
  }
}
