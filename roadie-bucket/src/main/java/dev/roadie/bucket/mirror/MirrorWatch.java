package dev.roadie.bucket.mirror;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Keeps a mirror current until stopped: a full pass first, then the source's notifications ({@link
 * BucketEvents}) bring each changed key over within moments, and a full pass every {@code
 * fullEvery} catches whatever a notification missed (or everything, where the server sends none).
 *
 * <p>When a side goes out of reach, the watch says so once, retries with a growing pause (up to
 * {@code retryMax}), says once that it is back, and then compares in full: changes made meanwhile
 * sent notifications nobody heard. A failure on the first pass that no retry can fix (a missing
 * bucket, refused credentials) ends the watch at once: the command was wrong, not the network.
 */
public final class MirrorWatch {
  /**
   * @param fullEvery time between full passes
   * @param retryMax longest pause between attempts while a side is out of reach
   */
  public record Options(Duration fullEvery, Duration retryMax) {
    public Options {
      if (fullEvery.isNegative() || fullEvery.isZero()) {
        throw new RoadieException(ErrorCode.USAGE, "--full-every must be longer than zero");
      }
    }
  }

  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  private final BucketMirror mirror;
  private final Options options;
  private final Consumer<String> log;
  private final MirrorReport total = new MirrorReport();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Keys told by notifications and not yet brought over, each with whether it was removed. */
  private final Map<String, Boolean> pending = new LinkedHashMap<>();

  private boolean fullPassDue = true;
  private volatile boolean stopped;
  private volatile BucketEvents events;
  private Thread listener;

  private String outage;
  private long outageSince;

  public MirrorWatch(BucketMirror mirror, Options options, Consumer<String> log) {
    this.mirror = mirror;
    this.options = options;
    this.log = log;
  }

  /** Everything the watch did so far. */
  public MirrorReport total() {
    return total;
  }

  /**
   * Ends {@link #run} once the copies in hand are done (from another thread, such as a shutdown
   * hook).
   */
  public void stop() {
    stopped = true;
    mirror.cancel();
    BucketEvents e = events;
    if (e != null) e.close();
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Runs until {@link #stop}; returns what it did. */
  public MirrorReport run() throws InterruptedException {
    // Listening starts before the first pass, so that a change made during it is heard.
    listener = Thread.ofVirtual().name("roadie-mirror-events").start(this::listen);
    try {
      firstPass();
      long nextFull = System.nanoTime() + options.fullEvery().toNanos();
      Duration retry = FIRST_RETRY;
      while (!stopped) {
        String key = null;
        boolean removed = false;
        boolean full;
        lock.lock();
        try {
          long wait = nextFull - System.nanoTime();
          while (!stopped && !fullPassDue && pending.isEmpty() && wait > 0)
            wait = changed.awaitNanos(wait);
          if (stopped) break;
          full = fullPassDue || wait <= 0;
          if (!full) {
            var first = pending.entrySet().iterator().next();
            key = first.getKey();
            removed = first.getValue();
            pending.remove(key);
          }
        } finally {
          lock.unlock();
        }
        try {
          if (full) {
            fullPass();
            nextFull = System.nanoTime() + options.fullEvery().toNanos();
          } else {
            mirror.sync(key, total);
          }
          back();
          retry = FIRST_RETRY;
        } catch (RoadieException e) {
          if (stopped) break;
          if (!full) requeue(key, removed);
          down(e);
          pause(retry);
          retry = min(retry.multipliedBy(2), options.retryMax());
        }
      }
    } finally {
      stop();
      listener.join(Duration.ofSeconds(10));
    }
    return total;
  }

  /** A full pass; a side out of reach ends it early with {@link RoadieException.Retriable}. */
  private void fullPass() throws InterruptedException {
    setFullPassDue(false);
    MirrorReport r = mirror.mirror();
    total.addAll(r);
    if (r.stoppedForGood()) throw new RoadieException(ErrorCode.FAILURE, r.stoppedBy());
    if (r.stopped() && !stopped) {
      setFullPassDue(true);
      throw new RoadieException.Retriable(r.stoppedBy(), null);
    }
  }

  /**
   * The first pass: errors no retry can fix (a missing bucket, refused credentials) end the watch.
   */
  private void firstPass() throws InterruptedException {
    Duration retry = FIRST_RETRY;
    while (!stopped) {
      try {
        if (mirror.createDestinationBucket())
          log.accept("created the bucket " + mirror.destination().bucket());
        fullPass();
        back();
        return;
      } catch (RoadieException.Retriable e) {
        if (stopped) return;
        down(e);
        pause(retry);
        retry = min(retry.multipliedBy(2), options.retryMax());
      }
    }
  }

  /**
   * The notification listener: reconnects while the watch runs; a lost connection calls for a full
   * pass.
   */
  private void listen() {
    Duration retry = FIRST_RETRY;
    boolean connectedOnce = false;
    while (!stopped) {
      BucketEvents e = mirror.sourceEvents();
      events = e;
      if (stopped) return;
      boolean[] connected = {false};
      try {
        boolean reconnect = connectedOnce;
        e.listen(
            () -> {
              connected[0] = true;
              back();
              if (reconnect) {
                setFullPassDue(
                    true); // changes while the connection was down sent notifications nobody heard
              } else {
                log.accept(
                    "listening for changes of the "
                        + mirror.source().describe()
                        + "; a full compare every "
                        + human(options.fullEvery()));
              }
            },
            ev -> {
              lock.lock();
              try {
                pending.remove(ev.key());
                pending.put(ev.key(), ev.removed());
                changed.signalAll();
              } finally {
                lock.unlock();
              }
            });
      } catch (BucketEvents.NotOffered n) {
        log.accept(
            "the "
                + mirror.source().describe()
                + " sends no change notifications ("
                + n.getMessage()
                + "): changes arrive with the full compare every "
                + human(options.fullEvery()));
        return;
      } catch (SdkException x) {
        if (!stopped) down(S3Failures.of(mirror.source(), "listen to changes of", "", x));
      } catch (InterruptedException x) {
        return;
      }
      connectedOnce |= connected[0];
      if (connected[0]) retry = FIRST_RETRY;
      try {
        pauseListener(retry);
      } catch (InterruptedException x) {
        return;
      }
      retry = min(retry.multipliedBy(2), options.retryMax());
    }
  }

  private void pauseListener(Duration d) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (!stopped && System.nanoTime() < end)
      Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
  }

  private void setFullPassDue(boolean due) {
    lock.lock();
    try {
      fullPassDue = due;
      if (due) changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void requeue(String key, boolean removed) {
    lock.lock();
    try {
      pending.putIfAbsent(key, removed);
    } finally {
      lock.unlock();
    }
  }

  /** Waits {@code d}, or less when stopped. */
  private void pause(Duration d) throws InterruptedException {
    lock.lock();
    try {
      long wait = d.toNanos();
      while (!stopped && wait > 0) wait = changed.awaitNanos(wait);
    } finally {
      lock.unlock();
    }
  }

  /** Says once per outage that a side is out of reach (or failing), and what is done about it. */
  private synchronized void down(RoadieException e) {
    String what = e.getMessage();
    if (outage == null) {
      outageSince = System.nanoTime();
      log.accept("paused: " + what + "; retrying, at most every " + human(options.retryMax()));
    }
    outage = what;
  }

  /** Says once that the sides are reachable again after an outage. */
  private synchronized void back() {
    if (outage != null) {
      long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outageSince);
      log.accept("resumed after " + s + " s: both sides answer again");
      outage = null;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0 && s > 0) return s / 3600 + "h";
    if (s % 60 == 0 && s > 0) return s / 60 + "m";
    return s > 0 ? s + "s" : d.toMillis() + "ms";
  }
}
