package dev.roadie.core.repo;

import java.net.InetAddress;

/** The host and user a snapshot, key file or lease records. */
public final class Hosts {
  private Hosts() {}

  public static String host() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  public static String user() {
    return System.getProperty("user.name", "unknown");
  }

  public static long pid() {
    return ProcessHandle.current().pid();
  }
}
