package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A repository the user may not read or write: the error says what failed, why, which directory
 * stops whom, and how to give access. Root ignores permissions, so as root the commands run as the
 * postgres user (as archive_command does); as anyone else, as that user.
 */
class PermissionErrorsTest {
  static final String PW = "perm-pw";
  static Path dir;
  static Path launcher;
  static String user;

  @BeforeAll
  static void setUp() throws Exception {
    boolean root = PgServer.root();
    if (root) {
      Assumptions.assumeTrue(
          new ProcessBuilder("id", "postgres").start().waitFor() == 0, "no postgres user");
    }
    user = root ? "postgres" : System.getProperty("user.name");
    dir = Files.createTempDirectory("roadie-perm-");
    launcher = PhysicalFixture.writeLauncher(Files.createDirectories(dir.resolve("launcher")));
    Files.writeString(dir.resolve("password"), PW + "\n");
    PgServer.exec(List.of("chmod", "-R", "a+rX", dir.toString()));
    // The password file is the user's own, as it should be (one readable by others draws a
    // warning).
    if (root) PgServer.exec(List.of("chown", user, dir.resolve("password").toString()));
    PgServer.exec(List.of("chmod", "600", dir.resolve("password").toString()));
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (dir != null) PgServer.exec(List.of("rm", "-rf", dir.toString()));
  }

  /** A repository made by the test's own user (root), with one snapshot; readable by others. */
  private static Path repository(String name) throws Exception {
    Path repo = dir.resolve(name);
    RoadieProcess.of(repo, PW).run("init").assertOk();
    Path data = Files.writeString(dir.resolve(name + ".txt"), "data of " + name);
    RoadieProcess.of(repo, PW).run("backup", "file", data.toString()).assertOk();
    PgServer.exec(List.of("chmod", "-R", "a+rX,go-w", repo.toString()));
    return repo;
  }

  /**
   * Runs the launcher as the other user, with the repository and password file from the
   * environment.
   */
  private static RoadieProcess.Result asUser(Path repo, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (PgServer.root()) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(
        List.of(
            "env",
            "ROADIE_REPOSITORY=" + repo,
            "ROADIE_PASSWORD_FILE=" + dir.resolve("password"),
            launcher.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ROADIE_"));
    Process p =
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new RoadieProcess.Result(
        String.join(" ", args), p.waitFor(), out, err, java.time.Duration.ZERO, false);
  }

  private static void assertExplained(RoadieProcess.Result r, String what, String blocked) {
    String err = r.stderr();
    assertEquals(1, err.strip().lines().count(), "one line: " + r.describe());
    assertTrue(err.startsWith("roadie: repository "), r.describe());
    assertTrue(err.contains(what), "names what failed (" + what + "): " + r.describe());
    assertTrue(err.contains("permission denied"), "says why: " + r.describe());
    assertTrue(
        err.contains("user " + user + " may not " + blocked),
        "names who and where: " + r.describe());
    assertTrue(
        err.contains("chown -R " + user + " ") && err.contains("setfacl -R -m u:" + user + ":rwX"),
        "says what to do: " + r.describe());
    assertFalse(err.contains("Exception"), r.describe());
  }

  @Test
  void snapshotsOfAnUnreadableRepository() throws Exception {
    Path repo = repository("closed");
    PgServer.exec(List.of("chmod", "700", repo.toString()));
    RoadieProcess.Result r = asUser(repo, "snapshots").assertExit(1);
    assertExplained(r, "cannot read config", "enter " + repo);

    // Readable directory, unreadable key file: a permission problem, not damage (exit 1, not 3).
    PgServer.exec(List.of("chmod", "755", repo.toString()));
    try (Stream<Path> keys = Files.list(repo.resolve("keys"))) {
      for (Path k : keys.toList()) PgServer.exec(List.of("chmod", "600", k.toString()));
    }
    r = asUser(repo, "snapshots").assertExit(1);
    assertExplained(r, "cannot read keys/", "read " + repo.resolve("keys"));
  }

  @Test
  void backupIntoARepositoryTheUserMayNotWrite() throws Exception {
    Path repo = repository("readonly");
    Path data = Files.writeString(dir.resolve("more.txt"), "more data");
    PgServer.exec(List.of("chmod", "a+r", data.toString()));
    RoadieProcess.Result r = asUser(repo, "backup", "file", data.toString()).assertExit(1);
    assertExplained(r, "cannot write leases/", "create files in " + repo.resolve("leases"));
    String list = RoadieProcess.of(repo, PW).run("snapshots").assertOk().stdout();
    assertTrue(list.contains("1 snapshot\n"), "no snapshot written: " + list);
  }

  @Test
  void aPasswordFileTheUserMayNotRead() throws Exception {
    Path repo = repository("secret");
    Path secret = Files.writeString(dir.resolve("root-only-password"), PW + "\n");
    PgServer.exec(List.of("chmod", "600", secret.toString()));
    RoadieProcess.Result r =
        asUser(repo, "snapshots", "--password-file", secret.toString()).assertExit(1);
    String err = r.stderr();
    assertEquals(1, err.strip().lines().count(), r.describe());
    assertTrue(
        err.startsWith(
            "roadie: cannot read password file "
                + secret
                + ": permission denied: user "
                + user
                + " may not read "
                + secret),
        r.describe());
    assertTrue(err.contains("setfacl -m u:" + user + ":r " + secret), r.describe());
  }

  @Test
  void walPushIntoARepositoryTheUserMayNotWrite() throws Exception {
    Path repo = repository("archive");
    // A data directory of the postgres user's, with a timeline history file ready to archive.
    Path pgWal = Files.createDirectories(dir.resolve("pgdata/pg_wal"));
    Path history =
        Files.writeString(
            pgWal.resolve("00000002.history"), "1\t0/3000060\tno recovery target specified\n");
    PgServer.exec(List.of("chmod", "-R", "a+rwX", dir.resolve("pgdata").toString()));
    RoadieProcess.Result r =
        asUser(repo, "wal-push", "--system-id", "7311236696286654047", history.toString())
            .assertExit(1);
    assertExplained(r, "cannot write wal/", "create files in " + repo);
    assertFalse(Files.exists(repo.resolve("wal")), "nothing archived");
  }
}
