package dev.roadie.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * How to start this roadie again, for the commands it hands to PostgreSQL and the background
 * processes it starts: its launcher when it runs through one (the launcher answers some calls
 * without a JVM), else the same java with the same class path.
 */
final class Relaunch {
  private Relaunch() {}

  static List<String> command() {
    String launcher = System.getenv("ROADIE_LAUNCHER");
    if (launcher != null && !launcher.isBlank())
      return List.of(Path.of(launcher).toAbsolutePath().normalize().toString());
    String java = ProcessHandle.current().info().command().orElse("java");
    return List.of(
        java,
        "--enable-native-access=ALL-UNNAMED",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        System.getProperty("java.class.path"),
        Main.class.getName());
  }
}
