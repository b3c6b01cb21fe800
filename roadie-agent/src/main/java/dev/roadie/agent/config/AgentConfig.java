package dev.roadie.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * The whole agent config ({@code roadie.yaml}), validated once by {@link ConfigLoader}: every value
 * here is already checked. docs/agent.md is its reference.
 *
 * @param file the file it was read from, for messages
 * @param repository the repository every target backs up into
 * @param copyTo the second region's repository ({@code secondRegion}) that targets with {@code
 *     copy: true} are copied to after each backup; null for none
 * @param timezone the zone of cron schedules (a target may name its own)
 * @param listen where the HTTP server listens
 * @param tokenFile the bearer token's file, needed when {@code listen} is not loopback
 * @param maxParallel jobs run at once, at most
 * @param missedRuns what a start does about runs missed while the agent was down
 * @param retry retries of retriable failures
 * @param targets the targets, in the file's order
 * @param notifications webhooks
 * @param files every file the config names by a {@code …File} key (passwords, tokens, webhook URLs,
 *     CA files), in the order written: what a Kubernetes Secret must hold for it
 */
public record AgentConfig(
    Path file,
    RepositoryConfig repository,
    RepositoryConfig copyTo,
    ZoneId timezone,
    Listen listen,
    Path tokenFile,
    int maxParallel,
    MissedRuns missedRuns,
    Retry retry,
    List<TargetConfig> targets,
    List<WebhookConfig> notifications,
    List<Path> files) {

  public AgentConfig {
    targets = List.copyOf(targets);
    notifications = List.copyOf(notifications);
    files = List.copyOf(files);
  }

  /** The target named {@code name}, or null. */
  public TargetConfig target(String name) {
    return targets.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
  }

  /** A host and port; loopback unless the config says otherwise. */
  public record Listen(String host, int port) {
    public boolean loopback() {
      return host.equals("127.0.0.1")
          || host.equals("localhost")
          || host.equals("::1")
          || host.equals("[::1]")
          || host.startsWith("127.");
    }

    @Override
    public String toString() {
      return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** {@code once}: one run of each schedule that was missed while down; {@code skip}: none. */
  public enum MissedRuns {
    ONCE,
    SKIP
  }

  /**
   * A failed job whose error is retriable (a transient storage or network failure) is tried again
   * up to {@code attempts} times in all, waiting {@code backoff}, then twice that, up to {@code
   * maxBackoff}.
   */
  public record Retry(int attempts, Duration backoff, Duration maxBackoff) {
    public static final Retry DEFAULT =
        new Retry(3, Duration.ofSeconds(30), Duration.ofMinutes(10));

    /** The wait before try {@code n + 1} (n from 1). */
    public Duration delayAfter(int n) {
      Duration d = backoff;
      for (int i = 1; i < n && d.compareTo(maxBackoff) < 0; i++) d = d.multipliedBy(2);
      return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }
  }
}
