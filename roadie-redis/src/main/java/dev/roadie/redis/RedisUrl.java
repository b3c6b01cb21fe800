package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code redis://[USER:PASSWORD@]HOST[:PORT]} or {@code rediss://…} (TLS), the latter with optional
 * query parameters {@code cacert=FILE} (PEM certificates to trust instead of the JVM's trust
 * store), {@code cert=FILE} and {@code key=FILE} (a client certificate chain and its PKCS#8 key, for
 * servers with {@code tls-auth-clients yes}): the names of redis-cli's options. The password is
 * never part of {@link #toString()} or {@link #redacted()}; {@link #target()} is the URL without
 * credentials or parameters, the default snapshot target.
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

  private RedisUrl(boolean tls, String host, int port, String user, char[] password, TlsFiles tlsFiles) {
    this.tls = tls;
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.tlsFiles = tlsFiles;
  }

  /** Parses a URL; if it has no password, {@code fallbackPassword} (e.g. $REDISCLI_AUTH) is used. */
  public static RedisUrl parse(String url, String fallbackPassword) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new RoadieException(ErrorCode.USAGE, "'" + redact(url) + "' is not a URL; expected redis://[USER:PASSWORD@]HOST:PORT");
    }
    String scheme = u.getScheme();
    if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
      throw new RoadieException(ErrorCode.USAGE, "'" + redact(url) + "' is not a redis:// or rediss:// URL");
    }
    if (u.getHost() == null) {
      throw new RoadieException(ErrorCode.USAGE, "'" + redact(url) + "' has no host; expected redis://[USER:PASSWORD@]HOST:PORT");
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
    return new RedisUrl(tls, host, u.getPort() < 0 ? 6379 : u.getPort(), user, password,
        tlsFiles(u.getRawQuery(), tls, redact(url)));
  }

  private static TlsFiles tlsFiles(String query, boolean tls, String shown) {
    if (query == null || query.isEmpty()) return TlsFiles.NONE;
    if (!tls) {
      throw new RoadieException(ErrorCode.USAGE, "'" + shown + "': cacert, cert and key go with rediss:// (TLS) URLs");
    }
    Path ca = null;
    Path cert = null;
    Path key = null;
    for (String kv : query.split("&")) {
      int eq = kv.indexOf('=');
      String name = eq < 0 ? kv : kv.substring(0, eq);
      String value = eq < 0 ? "" : decode(kv.substring(eq + 1));
      if (value.isEmpty()) {
        throw new RoadieException(ErrorCode.USAGE, "'" + shown + "': " + name + "= needs a file name");
      }
      switch (name) {
        case "cacert" -> ca = Path.of(value);
        case "cert" -> cert = Path.of(value);
        case "key" -> key = Path.of(value);
        default -> throw new RoadieException(ErrorCode.USAGE, "'" + shown + "': unknown parameter '" + name
            + "'; a rediss:// URL takes cacert=FILE, cert=FILE and key=FILE");
      }
    }
    if ((cert == null) != (key == null)) {
      throw new RoadieException(ErrorCode.USAGE, "'" + shown + "': cert=FILE and key=FILE go together (the client"
          + " certificate and its private key)");
    }
    return new TlsFiles(ca, cert, key);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The URL with any password replaced by {@code ***}, for messages about a URL that did not parse. */
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

  public String user() {
    return user;
  }

  char[] password() {
    return password;
  }

  /** {@code redis://host:port}: what a snapshot records as its target. */
  public String target() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (tls ? "rediss" : "redis") + "://" + h + ":" + port;
  }

  /** The URL with the user but without the password. */
  public String redacted() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    String cred = user != null ? user + ":***@" : password != null ? "***@" : "";
    return (tls ? "rediss" : "redis") + "://" + cred + h + ":" + port;
  }

  @Override
  public String toString() {
    return redacted();
  }
}
