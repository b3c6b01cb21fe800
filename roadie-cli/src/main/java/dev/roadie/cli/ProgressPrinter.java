package dev.roadie.cli;

import dev.roadie.core.repo.Progress;
import java.io.PrintStream;
import java.time.Duration;

/**
 * Shows a running operation's progress on a terminal (bytes, rate, ETA when the total is known),
 * redrawn in place on stderr. When output is not a terminal it stays silent: commands print one
 * summary line at the end instead.
 */
final class ProgressPrinter implements AutoCloseable {
  private final Progress progress;
  private final String verb;
  private final long start = System.nanoTime();
  private final Thread thread;
  private final PrintStream err = System.err;

  ProgressPrinter(Progress progress, String verb, boolean enabled) {
    this.progress = progress;
    this.verb = verb;
    this.thread = enabled && Terminal.interactive() ? Thread.ofVirtual().start(this::loop) : null;
  }

  private void loop() {
    try {
      while (true) {
        Thread.sleep(250);
        err.print("\r\033[K" + line());
        err.flush();
      }
    } catch (InterruptedException e) {
      err.print("\r\033[K");
      err.flush();
    }
  }

  private String line() {
    long read = progress.bytesRead.get();
    long nanos = System.nanoTime() - start;
    StringBuilder b = new StringBuilder(verb).append(' ').append(Format.bytes(read));
    long total = progress.expectedBytes.get();
    if (total > 0) {
      b.append(" of ")
          .append(Format.bytes(total))
          .append(String.format(" (%.0f%%)", 100.0 * read / total));
    }
    b.append(", ").append(Format.rate(read, nanos));
    if (progress.bytesAdded.get() > 0) {
      b.append(", ").append(Format.bytes(progress.bytesAdded.get())).append(" added");
    }
    if (total > 0 && read > 0 && read < total) {
      long etaNanos = (long) ((double) nanos * (total - read) / read);
      b.append(", ETA ").append(Format.duration(Duration.ofNanos(etaNanos)));
    }
    String cur = progress.current;
    if (cur != null && !cur.isEmpty()) {
      b.append("  ").append(cur.length() > 40 ? "…" + cur.substring(cur.length() - 39) : cur);
    }
    return b.toString();
  }

  @Override
  public void close() {
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
