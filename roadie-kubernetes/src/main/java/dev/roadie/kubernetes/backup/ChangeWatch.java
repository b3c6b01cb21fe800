package dev.roadie.kubernetes.backup;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.kubernetes.client.KubeConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code backup k8s --on-change}: takes a snapshot, then watches every collection it listed (from
 * the resource version of its list, so nothing between the two is missed) and takes the next
 * snapshot once a change has settled: no further change for {@code settle}. A change is an object
 * whose stored form differs from what the last snapshot stored (a status update or a controller's
 * bookkeeping is no change), or one that appeared or went away. Each snapshot stores only what
 * changed; the rest deduplicates. {@link #stop} ends the loop after the snapshot in progress, if
 * any; no half snapshot is ever written.
 *
 * <p>A watch the server ends is opened again from the last resource version seen; one whose version
 * has expired (410 Gone) counts as a change, and the snapshot it causes gives every watch a fresh
 * start.
 */
public final class ChangeWatch {
  private final KubeConnection conn;
  private final KubernetesBackupOptions options;
  private final Duration settle;
  private final Backup backup;
  private final Consumer<String> log;
  private final Object lock = new Object();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile boolean stopped;
  private long lastChange;
  private boolean dirty;
  private volatile Map<String, String> digests = Map.of();
  private final List<Thread> watchers = new ArrayList<>();

  /**
   * Bumped whenever the watches are closed: a watch of an older generation ends instead of
   * reopening.
   */
  private final java.util.concurrent.atomic.AtomicInteger generation =
      new java.util.concurrent.atomic.AtomicInteger();

  private final List<InputStream> streams =
      java.util.Collections.synchronizedList(new ArrayList<>());

  /** Takes one snapshot and says what it listed. */
  @FunctionalInterface
  public interface Backup {
    ClusterBackup.Saved take() throws IOException;
  }

  public ChangeWatch(
      KubeConnection conn,
      KubernetesBackupOptions options,
      Duration settle,
      Backup backup,
      Consumer<String> log) {
    this.conn = conn;
    this.options = options;
    this.settle = settle;
    this.backup = backup;
    this.log = log;
  }

  /** Parses {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h} (or an ISO-8601 duration). */
  public static Duration parseDuration(String option, String s) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(s.strip());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(s);
    } catch (java.time.format.DateTimeParseException e) {
      throw new RoadieException(
          ErrorCode.USAGE, option + " " + s + ": give a duration such as 10s, 500ms or 2m");
    }
  }

  /** Runs until {@link #stop}: a snapshot at once, then one after each settled change. */
  public void run() throws IOException {
    try {
      ClusterBackup.Saved saved = backup.take();
      while (!stopped) {
        restartWatches(saved);
        boolean take = false;
        synchronized (lock) {
          while (!stopped && !take) {
            long now = System.nanoTime();
            if (dirty && now - lastChange >= settle.toNanos()) {
              take = true;
              dirty = false;
            } else {
              long waitNanos =
                  dirty ? settle.toNanos() - (now - lastChange) : Duration.ofSeconds(1).toNanos();
              lock.wait(Math.max(1, waitNanos / 1_000_000));
            }
          }
        }
        if (take && !stopped) saved = backup.take();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeWatches();
      ended.countDown();
    }
  }

  /** Ends {@link #run} after the snapshot in progress, if any. */
  public void stop() {
    stopped = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    closeWatches();
  }

  /** Waits until {@link #run} has ended; whether it did within {@code timeout}. */
  public boolean awaitEnd(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void changed(String why) {
    synchronized (lock) {
      if (!dirty)
        log.accept(
            "change: "
                + why
                + "; a snapshot follows once changes settle for "
                + settle.toSeconds()
                + " s");
      dirty = true;
      lastChange = System.nanoTime();
      lock.notifyAll();
    }
  }

  private void restartWatches(ClusterBackup.Saved saved) {
    closeWatches();
    digests = new ConcurrentHashMap<>(saved.digests());
    int current = generation.get();
    for (ClusterBackup.Listed listed : saved.lists().values()) {
      Thread t =
          Thread.ofVirtual()
              .name("watch " + listed.resource().name())
              .start(() -> watch(listed, current));
      synchronized (watchers) {
        watchers.add(t);
      }
    }
  }

  private void closeWatches() {
    generation.incrementAndGet();
    synchronized (streams) {
      for (InputStream in : streams) {
        try {
          in.close();
        } catch (IOException e) {
          // closing to end the watch: nothing to do
        }
      }
      streams.clear();
    }
    synchronized (watchers) {
      watchers.forEach(Thread::interrupt);
      watchers.clear();
    }
  }

  private void watch(ClusterBackup.Listed listed, int mine) {
    String version = listed.resourceVersion();
    while (!stopped && generation.get() == mine) {
      StringBuilder path =
          new StringBuilder(listed.resource().path(listed.namespace()))
              .append("?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=")
              .append(version);
      if (options.selector() != null && !listed.related()) {
        path.append("&labelSelector=").append(KubeConnection.query(options.selector()));
      }
      try (InputStream in = conn.stream(path.toString())) {
        streams.add(in);
        if (generation.get() != mine) return; // closed while it was opening
        BufferedReader lines =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
          Map<String, Object> event = KubeConnection.JSON.readValue(line, new TypeReference<>() {});
          String type = String.valueOf(event.get("type"));
          @SuppressWarnings("unchecked")
          Map<String, Object> object =
              event.get("object") instanceof Map<?, ?> o ? (Map<String, Object>) o : Map.of();
          if ("ERROR".equals(type)) {
            if (Integer.valueOf(410).equals(object.get("code"))) {
              changed(listed.resource().name() + ": the watch fell too far behind");
              return; // the snapshot it causes starts every watch afresh
            }
            throw new IOException(String.valueOf(object.get("message")));
          }
          if (object.get("metadata") instanceof Map<?, ?> md
              && md.get("resourceVersion") instanceof String rv) {
            version = rv;
          }
          if (!"BOOKMARK".equals(type)) seen(listed, type, object);
        }
      } catch (IOException | RoadieException e) {
        if (stopped || generation.get() != mine) return;
        log.accept(
            "watch of "
                + listed.resource().name()
                + " ended ("
                + e.getMessage()
                + "); opening it again");
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private void seen(ClusterBackup.Listed listed, String type, Map<String, Object> object) {
    Map.Entry<String, byte[]> stored = ClusterBackup.stored(options, listed.resource(), object);
    if (stored == null) return;
    String before = digests.get(stored.getKey());
    if (listed.related() && before == null) return; // not one the namespaces use
    if ("DELETED".equals(type)) {
      if (before != null && digests.remove(stored.getKey()) != null)
        changed(stored.getKey() + " deleted");
      return;
    }
    String now = ClusterBackup.digest(stored.getValue());
    if (!now.equals(before)) {
      digests.put(stored.getKey(), now);
      changed(stored.getKey() + (before == null ? " created" : " changed"));
    }
  }
}
