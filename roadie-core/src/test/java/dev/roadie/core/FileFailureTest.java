package dev.roadie.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failures java.nio reports with a bare path (or no path at all) are told in full. The errno
 * cases a test cannot cause without mounting file systems (read-only, full) are built as the JDK
 * builds them: a FileSystemException with strerror's text as its reason, or a plain IOException.
 */
class FileFailureTest {
  @TempDir Path tmp;

  @Test
  void bareJavaNioExceptionsAreToldInFull() {
    String denied = FileFailure.describe(new AccessDeniedException("/srv/repo/config"));
    assertTrue(denied.startsWith("/srv/repo/config: permission denied"), denied);
    assertTrue(denied.contains("user " + System.getProperty("user.name")), denied);

    assertEquals(
        "/srv/a -> /srv/b: no such file or directory",
        FileFailure.describe(new NoSuchFileException("/srv/a", "/srv/b", null)));

    String readOnly =
        FileFailure.describe(
            new FileSystemException("/srv/repo/leases/.tmp-1", null, "Read-only file system"));
    assertTrue(readOnly.startsWith("/srv/repo/leases/.tmp-1: read-only file system; "), readOnly);
    assertTrue(readOnly.contains("remount it read-write"), readOnly);
  }

  @Test
  void wrappedFailuresNameTheOperationAndWhatToDo() throws IOException {
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    IOException full =
        FileFailure.of(
            "repository " + repo,
            "write data/ab/abcd",
            new IOException("No space left on device"),
            repo);
    assertEquals(
        "repository "
            + repo
            + ": cannot write data/ab/abcd: no space left on device; free space there (df -h "
            + repo
            + ") or use a larger disk",
        full.getMessage());
    assertSame(full, FileFailure.of("x", "y", full, repo), "wrapped once");

    Files.writeString(tmp.resolve("file"), "x");
    IOException notDir =
        FileFailure.of(
            null,
            "write file/sub/x",
            new FileSystemException(tmp.resolve("file/sub/x").toString(), null, "Not a directory"),
            null);
    assertTrue(
        notDir
            .getMessage()
            .contains(tmp.resolve("file") + " is a file, where a directory is expected"),
        notDir.getMessage());

    IOException denied =
        FileFailure.of(
            "repository " + repo,
            "write leases/1",
            new AccessDeniedException(repo.resolve("leases/.tmp-1").toString()),
            repo);
    assertTrue(
        denied
            .getMessage()
            .startsWith("repository " + repo + ": cannot write leases/1: permission denied"),
        denied.getMessage());
    assertTrue(
        denied.getMessage().contains("chown -R " + System.getProperty("user.name") + " " + repo),
        denied.getMessage());
  }
}
