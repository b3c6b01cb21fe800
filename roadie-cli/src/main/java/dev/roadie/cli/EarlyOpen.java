package dev.roadie.cli;

import dev.roadie.core.repo.Repository;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Opens the repository named by the environment while picocli is still parsing the command line.
 * Parsing (building the command's model by reflection) and opening (reading config and key files,
 * deriving the key with scrypt) each take a few hundred milliseconds in a fresh JVM and need
 * nothing from each other, so on two cores they overlap. This matters for commands run once per WAL
 * segment ({@code archive_command}, {@code restore_command}), which take the repository and
 * password from the environment.
 *
 * <p>Only a repository and password that come from the environment alone are opened early, and the
 * result is used only by a command whose options name neither ({@link RepoOptions#open()}): the
 * inputs are then the same as those of a normal open. A failed early open is ignored and the open
 * is done again in the normal way, so errors and their messages are exactly those of a normal open.
 */
final class EarlyOpen {
  /** Commands that open the repository given by {@link RepoOptions} once, near their start. */
  private static final Set<String> COMMANDS =
      Set.of(
          "backup",
          "wal-push",
          "wal-fetch",
          "restore",
          "snapshots",
          "stats",
          "check",
          "forget",
          "prune",
          "dump");

  /** Options that change which repository or password is used, or ask for help. */
  private static final Set<String> OPTIONS =
      Set.of(
          "-r",
          "--repo",
          "--password-file",
          "--s3-endpoint",
          "--profile",
          "--s3-ca-file",
          "-h",
          "--help",
          "-V",
          "--version");

  private static volatile CompletableFuture<Repository> pending;

  private EarlyOpen() {}

  /** Starts opening in the background when the command and the environment allow it. */
  static void start(String[] args) {
    if (args.length == 0 || !COMMANDS.contains(args[0])) return;
    for (String a : args) {
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (OPTIONS.contains(name) || (a.startsWith("-r") && !a.startsWith("--"))) return;
    }
    String location = System.getenv("ROADIE_REPOSITORY");
    String file = System.getenv("ROADIE_PASSWORD_FILE");
    String env = System.getenv("ROADIE_PASSWORD");
    if (location == null || location.isEmpty() || (file == null && env == null)) return;
    CompletableFuture<Repository> f = new CompletableFuture<>();
    pending = f;
    Thread.ofPlatform()
        .daemon()
        .name("roadie-open")
        .start(
            () -> {
              try {
                char[] password =
                    file != null ? RepoOptions.readPasswordFile(Path.of(file)) : env.toCharArray();
                f.complete(
                    Repository.open(
                        RepoOptions.backend(location, null, null, null, null, null, null),
                        password));
              } catch (Throwable t) {
                f.completeExceptionally(t);
              }
            });
  }

  /**
   * The repository opened early, or null when none was started or it failed (the caller then opens
   * it itself). Hands it out once.
   */
  static Repository take() {
    CompletableFuture<Repository> f = pending;
    pending = null;
    if (f == null) return null;
    try {
      return f.join();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
