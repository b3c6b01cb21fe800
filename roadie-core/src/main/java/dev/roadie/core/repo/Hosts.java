package dev.roadie.core.repo;

import java.net.InetAddress;

/**
 * The host and user a snapshot, key file or lease records. The host is the machine's name unless
 * the process set another ({@link #useHost}: the command line does for {@code $HOSTNAME}); the user
 * is the process's.
 */
public final class Hosts {
  private static volatile String host;

  private Hosts() {}

  /** Records {@code name} as this process's host from now on; null or blank: the machine's name. */
  public static void useHost(String name) {
    host = name == null || name.isBlank() ? null : name;
  }

  public static String host() {
    String named = host;
    if (named != null) {
      return named;
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
