package dev.roadie.core.backend;

import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Wraps a backend and injects the faults real storage has, for tests: writes that fail before
 * storing, writes whose response is lost after the object was stored, slow reads, and failing
 * reads. Faults are chosen by a predicate on the object name and limited in count, so a test says
 * exactly which operation fails.
 */
public final class FaultInjectingBackend implements Backend {
  public enum Fault {
    /** The write fails and nothing is stored. */
    FAIL_WRITE,
    /** The object is stored, then the write reports failure (a lost response). */
    LOSE_WRITE_RESPONSE,
    /** A read (whole or ranged) fails. */
    FAIL_READ,
    /** A read waits before answering. */
    SLOW_READ,
    /** A listing waits before answering (the predicate is not asked: a listing has no name). */
    SLOW_LIST
  }

  private final Backend inner;
  private volatile Fault fault;
  private volatile Predicate<ObjectName> which = n -> true;
  private final AtomicInteger remaining = new AtomicInteger();
  private volatile long delayMillis = 200;
  private final AtomicInteger injected = new AtomicInteger();

  public FaultInjectingBackend(Backend inner) {
    this.inner = inner;
  }

  /** Injects {@code fault} into the next {@code times} matching operations. */
  public FaultInjectingBackend inject(Fault fault, Predicate<ObjectName> which, int times) {
    this.which = which;
    this.remaining.set(times);
    this.fault = fault;
    return this;
  }

  public FaultInjectingBackend delay(long millis) {
    this.delayMillis = millis;
    return this;
  }

  public void clear() {
    fault = null;
    remaining.set(0);
  }

  /** How many faults were injected so far. */
  public int injected() {
    return injected.get();
  }

  private boolean fire(Fault f, ObjectName name) {
    if (fault != f || (name != null && !which.test(name))) return false;
    while (true) {
      int r = remaining.get();
      if (r <= 0) return false;
      if (remaining.compareAndSet(r, r - 1)) {
        injected.incrementAndGet();
        return true;
      }
    }
  }

  @Override
  public String location() {
    return inner.location();
  }

  @Override
  public void write(ObjectName name, ByteBuffer data, boolean exclusive) throws IOException {
    if (fire(Fault.FAIL_WRITE, name)) {
      throw new RoadieException.Retriable(
          "injected write failure for " + name, new IOException("connection reset"));
    }
    inner.write(name, data, exclusive);
    if (fire(Fault.LOSE_WRITE_RESPONSE, name)) {
      throw new RoadieException.Retriable(
          "injected lost response for " + name, new IOException("read timed out"));
    }
  }

  private void beforeRead(ObjectName name) throws IOException {
    if (fire(Fault.FAIL_READ, name)) {
      throw new RoadieException.Retriable(
          "injected read failure for " + name, new IOException("connection reset"));
    }
    if (fire(Fault.SLOW_READ, name)) pause();
  }

  private void pause() throws IOException {
    try {
      Thread.sleep(delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public byte[] read(ObjectName name) throws IOException {
    beforeRead(name);
    return inner.read(name);
  }

  @Override
  public byte[] readRange(ObjectName name, long offset, int length) throws IOException {
    beforeRead(name);
    return inner.readRange(name, offset, length);
  }

  @Override
  public long size(ObjectName name) throws IOException {
    return inner.size(name);
  }

  @Override
  public List<ObjectInfo> list(ObjectKind kind) throws IOException {
    if (fire(Fault.SLOW_LIST, null)) pause();
    return inner.list(kind);
  }

  @Override
  public void delete(ObjectName name) throws IOException {
    inner.delete(name);
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
