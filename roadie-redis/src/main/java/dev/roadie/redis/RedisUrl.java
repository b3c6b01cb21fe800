package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code redis://[USER:PASSWORD@]HOST[:PORT]} or {@code rediss://} (TLS). The password is never
 * part of {@link #toString()} or {@link #redacted()}; {@link #target()} is the URL without
 * credentials, the default snapshot target.
 */
public final class RedisUrl {
  private final boolean tls;
  private final String host;
  private final int port;
  private final String user;
  private final char[] password;

  private RedisUrl(boolean tls, String host, int port, String user, char[] password) {
    this.tls = tls;
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
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
    return new RedisUrl("rediss".equals(scheme), host, u.getPort() < 0 ? 6379 : u.getPort(), user, password);
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
