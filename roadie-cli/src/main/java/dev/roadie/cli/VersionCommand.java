package dev.roadie.cli;

import dev.roadie.core.repo.Config;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Print roadie's version.")
final class VersionCommand implements Runnable {
  static final String VERSION = "0.1.0";

  static String line() {
    return "roadie "
        + VERSION
        + " (repository format "
        + Config.CURRENT_VERSION
        + ", Java "
        + Runtime.version().feature()
        + ")";
  }

  @Override
  public void run() {
    System.out.println(line());
  }

  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {line()};
    }
  }
}
