package dev.roadie.core.repo;

import dev.roadie.core.Id;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.json.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * A running writer's liveness record in {@code leases/}: prune does not delete packs planned after
 * a writer started while that writer's lease is fresh (DESIGN.md, "Concurrency and deletion"). The
 * lease is refreshed every {@link #REFRESH}; one not refreshed for {@link #TTL} has lapsed.
 */
public final class Lease implements AutoCloseable {
  public static final Duration REFRESH = Duration.ofMinutes(1);
  public static final Duration TTL = Duration.ofMinutes(5);

  public record Record(String host, long pid, String operation, String started, String refreshed) {}

  private final Repository repo;
  private final ObjectName name = ObjectName.of(ObjectKind.LEASE, Id.random().hex());
  private final Instant started = Instant.now();
  private final String operation;
  private final Thread refresher;
  private volatile Instant lastRefresh;

  public Lease(Repository repo, String operation) throws IOException {
    this.repo = repo;
    this.operation = operation;
    write();
    this.refresher = Thread.ofVirtual().name("roadie-lease").start(this::refreshLoop);
    // On SIGTERM or Ctrl-C the lease goes away with the process, so prune need not wait it out.
    this.onExit = new Thread(this::deleteQuietly, "roadie-lease-release");
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  private final Thread onExit;

  private void deleteQuietly() {
    try {
      repo.backend().delete(name);
    } catch (IOException | RuntimeException e) {
      // a stale lease is harmless: it lapses after TTL
    }
  }

  private void write() throws IOException {
    write(Instant.now());
  }

  private void write(Instant refreshed) throws IOException {
    repo.writeSealed(
        name,
        Json.write(
            new Record(
                Hosts.host(), Hosts.pid(), operation, started.toString(), refreshed.toString())));
    lastRefresh = refreshed;
  }

  /**
   * For tests: the lease stops being refreshed and looks lapsed, as after a long pause of its
   * process.
   */
  void lapseForTest() throws IOException {
    refresher.interrupt();
    write(Instant.now().minus(TTL.multipliedBy(2)));
  }

  /** This lease's object, so its owner can tell it from others when listing {@code leases/}. */
  public ObjectName name() {
    return name;
  }

  /** Whether a lease record was refreshed within {@link #TTL} of {@code now}. */
  public static boolean fresh(Record r, Instant now) {
    return Duration.between(Instant.parse(r.refreshed()), now).compareTo(TTL) < 0;
  }

  private void refreshLoop() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(REFRESH);
        write();
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        // A missed refresh only delays prune; lapsed() tells the writer to re-check before
        // committing.
      }
    }
  }

  public Instant started() {
    return started;
  }

  /**
   * True when the lease may have looked stale to a prune: the writer must re-check reused packs.
   */
  public boolean lapsed() {
    return Duration.between(lastRefresh, Instant.now()).compareTo(TTL) >= 0;
  }

  @Override
  public void close() throws IOException {
    refresher.interrupt();
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      // already shutting down: the hook deletes the lease
    }
    repo.backend().delete(name);
  }
}
