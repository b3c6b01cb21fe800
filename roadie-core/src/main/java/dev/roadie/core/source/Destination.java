package dev.roadie.core.source;

import dev.roadie.core.Redact;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Where a restore writes: the place a user names ({@code roadie restore} builds one from {@code
 * --target DIR}, {@code --stdout}, {@code --to URL}, {@code --pgdata DIR}, {@code --rdb-file PATH}
 * or {@code --to-cluster [--context C]}; the agent builds one from its config). A destination only
 * says where; what fits a snapshot is the source's to say ({@link SourceProvider#destinations}),
 * and the source checks the one it is given before it writes anything.
 */
public sealed interface Destination {

  /** The shapes a destination takes, for {@link Fit}. */
  enum Type {
    DIRECTORY,
    STREAM,
    SERVER,
    DATA_DIRECTORY,
    FILE,
    CLUSTER
  }

  Type type();

  /** How messages show this destination (never with credentials). */
  String describe();

  /** A directory that files and directories are written into (created if missing). */
  record Directory(Path path) implements Destination {
    @Override
    public Type type() {
      return Type.DIRECTORY;
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /** One byte stream (standard output): a snapshot's single file or stream, or the one chosen. */
  record Stream(OutputStream out) implements Destination {
    @Override
    public Type type() {
      return Type.STREAM;
    }

    @Override
    public String describe() {
      return "standard output";
    }
  }

  /**
   * A running server, by URL ({@code postgresql://USER@HOST:PORT/DB}, {@code redis://HOST:PORT},
   * ...). The URL may carry a password: {@link #describe()} and {@link #toString()} leave it out.
   */
  record Server(String url) implements Destination {
    @Override
    public Type type() {
      return Type.SERVER;
    }

    /** The URL's scheme in lower case, or "" when it has none. */
    public String scheme() {
      int i = url.indexOf("://");
      return i <= 0 ? "" : url.substring(0, i).toLowerCase(Locale.ROOT);
    }

    @Override
    public String describe() {
      return Redact.url(url);
    }

    @Override
    public String toString() {
      return "Server[" + describe() + "]";
    }
  }

  /** A server's data directory, set up for the server to start on (a PostgreSQL data directory). */
  record DataDirectory(Path path) implements Destination {
    @Override
    public Type type() {
      return Type.DATA_DIRECTORY;
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /** One file the snapshot's data is written to (a Redis {@code dump.rdb}). */
  record File(Path path) implements Destination {
    @Override
    public Type type() {
      return Type.FILE;
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /**
   * A Kubernetes cluster: the kubeconfig context {@code context}, or the kubeconfig's current
   * context when null. How the kubeconfig is found (and its credentials) is the restore options' to
   * say; a destination only names the cluster.
   */
  record Cluster(String context) implements Destination {
    @Override
    public Type type() {
      return Type.CLUSTER;
    }

    @Override
    public String describe() {
      return context == null
          ? "the cluster of the current kubeconfig context"
          : "the cluster of context " + context;
    }
  }

  /**
   * One destination a kind restores to: its {@code type}, for {@link Type#SERVER} the URL schemes
   * it takes, and {@code form}, how a user writes it (e.g. {@code postgresql://USER@HOST:PORT/DB};
   * null when the type says it all).
   */
  record Fit(Type type, Set<String> schemes, String form) {
    public Fit {
      schemes = schemes == null ? Set.of() : Set.copyOf(schemes);
    }

    public static Fit of(Type type) {
      return new Fit(type, Set.of(), null);
    }

    public static Fit server(String form, String... schemes) {
      return new Fit(Type.SERVER, Set.of(schemes), form);
    }

    /** Whether {@code d} is of this shape (and, for a server, one of its schemes). */
    public boolean accepts(Destination d) {
      if (d.type() != type) return false;
      return !(d instanceof Server s) || schemes.isEmpty() || schemes.contains(s.scheme());
    }
  }
}
