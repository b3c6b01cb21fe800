package dev.roadie.core.repo;

import java.util.concurrent.atomic.AtomicLong;

/** Counters a running backup or restore updates and a progress display reads. */
public final class Progress {
  public final AtomicLong bytesRead = new AtomicLong();
  public final AtomicLong bytesAdded = new AtomicLong();
  public final AtomicLong blobsAdded = new AtomicLong();
  public final AtomicLong files = new AtomicLong();

  /** Total bytes expected, or -1 when unknown (stdin, a database stream). */
  public final AtomicLong expectedBytes = new AtomicLong(-1);

  public volatile String current = "";
}
