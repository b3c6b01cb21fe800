package dev.roadie.bucket;

import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * An object's content read from the repository, as uploads open it (again for each attempt). A
 * failure of the repository's side (a damaged or missing blob) is kept, so that the caller reports
 * it as what it is instead of as the upload's failure.
 */
final class RepositoryStream implements Supplier<InputStream> {
  private final Repository repo;
  private final Node node;
  private final String what;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  RepositoryStream(Repository repo, Node node, String what) {
    this.repo = repo;
    this.node = node;
    this.what = what;
  }

  @Override
  public InputStream get() {
    try {
      return new FilterInputStream(new ContentReader(repo, node, what)) {
        @Override
        public int read() throws IOException {
          try {
            return in.read();
          } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
            throw e;
          }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          try {
            return in.read(b, off, len);
          } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
            throw e;
          }
        }
      };
    } catch (IOException e) {
      failure.compareAndSet(null, e);
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      throw e;
    }
  }

  /** The repository's failure while the content was read, or null. */
  Throwable failure() {
    return failure.get();
  }
}
