package dev.roadie.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Standard output for data (a dump, a restored stream). A write that fails because the reader went
 * away ({@code roadie dump --sql | head}) is marked as such, so the command ends quietly with the
 * status a shell gives a process killed by SIGPIPE ({@link #CLOSED_EXIT}), as {@code cat} would,
 * instead of printing "Broken pipe" as an error. Only a broken pipe on this stream is marked: a
 * broken pipe to a database or a child process, or a full disk under {@code > FILE}, is an error.
 */
final class StandardOutput {
  /** 128 + SIGPIPE. */
  static final int CLOSED_EXIT = 141;

  private StandardOutput() {}

  /** A buffered stream over file descriptor 1; close or flush it before the command returns. */
  static OutputStream open() {
    return new BufferedOutputStream(new Marked(new FileOutputStream(FileDescriptor.out)), 1 << 20);
  }

  /** True when {@code t}, or what caused it, is a failed write to standard output. */
  static boolean closed(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof Closed) return true;
      for (Throwable s : c.getSuppressed()) {
        if (s instanceof Closed) return true;
      }
    }
    return false;
  }

  /** A write to standard output failed because nobody reads it any more (EPIPE). */
  static final class Closed extends IOException {
    Closed(IOException cause) {
      super("standard output was closed: " + cause.getMessage(), cause);
    }
  }

  /** The failure of a write to standard output: marked when the pipe is broken, else explained. */
  private static IOException failure(IOException e) {
    if ("Broken pipe".equals(e.getMessage())) return new Closed(e);
    return new IOException("cannot write to standard output: " + e.getMessage(), e);
  }

  private static final class Marked extends FilterOutputStream {
    Marked(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw failure(e);
      }
    }
  }
}
