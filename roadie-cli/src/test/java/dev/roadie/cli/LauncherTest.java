package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code roadie} launcher script builds only for the owner of the source tree: archive_command
 * runs it as postgres, and a rebuild attempted by postgres fails on the owner's files, which stops
 * WAL archiving. Tested on a copy of the launcher in a small tree owned by root, with stand-ins for
 * the JDK and Maven that record being run, so no real build happens.
 */
class LauncherTest {
  Path dir;
  Path tree;
  Path stamp;
  Path mvnRan;

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(PostgresPhysicalCliTest.root(), "needs root to run the launcher as another user");
    Assumptions.assumeTrue(new ProcessBuilder("id", "postgres").start().waitFor() == 0, "no postgres user");
    Path source = Path.of("").toAbsolutePath().getParent();
    Assumptions.assumeTrue(Files.isRegularFile(source.resolve("roadie")), "the launcher is at the source root");
    dir = Files.createTempDirectory("roadie-launcher-");
    tree = Files.createDirectories(dir.resolve("tree"));
    Files.copy(source.resolve("roadie"), tree.resolve("roadie"));
    Files.createDirectories(tree.resolve("scripts/lib"));
    Files.copy(source.resolve("scripts/lib/jdk.sh"), tree.resolve("scripts/lib/jdk.sh"));
    Files.writeString(tree.resolve("pom.xml"), "<project/>\n");
    Path src = Files.createDirectories(tree.resolve("roadie-cli/src/main/java"));
    Files.writeString(src.resolve("Main.java"), "class Main {}\n");
    stamp = Files.createDirectories(tree.resolve("roadie-cli/target/dist/lib")).resolve("roadie-cli.jar");
    Files.writeString(stamp, "the build");
    // A JDK whose java prints what it was asked to run, and a Maven that notes it ran and builds.
    Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
    Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"21.0.9\"\n");
    script(jdk.resolve("java"), "echo \"java $*\"");
    script(jdk.resolve("javac"), "exit 0");
    mvnRan = dir.resolve("mvn-ran");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    script(bin.resolve("mvn"), "echo \"$(id -un)\" >> " + mvnRan + "; touch roadie-cli/target/dist/lib/roadie-cli.jar");
    PostgresPhysicalCliTest.exec(List.of("chmod", "-R", "a+rX", dir.toString()));
    PostgresPhysicalCliTest.exec(List.of("chmod", "a+rwx", dir.toString())); // mvn-ran, written by whoever ran it
  }

  @AfterEach
  void tearDown() throws Exception {
    if (dir != null) PostgresPhysicalCliTest.exec(List.of("rm", "-rf", dir.toString()));
  }

  private static void script(Path p, String body) throws Exception {
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    PostgresPhysicalCliTest.exec(List.of("chmod", "755", p.toString()));
  }

  /** Makes the sources newer than the build, as an edit or a 'git pull' after the last build does. */
  private void touchSources() throws Exception {
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    Files.setLastModifiedTime(tree.resolve("roadie-cli/src/main/java/Main.java"), FileTime.from(Instant.now()));
  }

  private record Run(int exit, String out, String err) {}

  private Run launch(boolean asPostgres, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(List.of("env", "JAVA_HOME=" + dir.resolve("jdk"), "PATH=" + dir.resolve("bin") + ":/usr/bin:/bin",
        "ROADIE_NO_ARCHIVE=1", tree.resolve("roadie").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out, err);
  }

  @Test
  void anotherUserRunsTheExistingBuildWhenTheSourcesAreNewer() throws Exception {
    touchSources();
    Run r = launch(true, "wal-push", "pg_wal/000000010000000000000001");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-push pg_wal/000000010000000000000001"), "ran the build: " + r);
    assertEquals(1, r.err().lines().count(), "one line on stderr: " + r);
    assertTrue(r.err().contains("warning: the sources in " + tree + " are newer than the build")
        && r.err().contains("user root rebuilds it"), r.toString());
    assertFalse(Files.exists(mvnRan), "no build attempted by postgres");
    assertFalse(Files.exists(tree.resolve("roadie-cli/target/.roadie-build.lock")), "nothing written in root's tree");

    // Up to date: not a word.
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.now().plusSeconds(5)));
    r = launch(true, "version");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.err(), r.toString());
  }

  @Test
  void theOwnerRebuilds() throws Exception {
    touchSources();
    Run r = launch(false, "version");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("root\n", Files.readString(mvnRan), "the owner built: " + r);
    assertTrue(r.out().contains("dev.roadie.cli.Main version"), r.toString());
  }

  @Test
  void withoutAnyBuildAnotherUserIsToldWhoMustBuild() throws Exception {
    Files.delete(stamp);
    Run r = launch(true, "wal-push", "pg_wal/000000010000000000000001");
    assertEquals(1, r.exit(), r.toString());
    assertEquals(1, r.err().lines().count(), r.toString());
    assertTrue(r.err().contains("not built yet") && r.err().contains("as user root")
        && r.err().contains(tree.resolve("roadie") + " version"), r.toString());
    assertFalse(Files.exists(mvnRan), "no build attempted by postgres");
    assertEquals("", r.out(), r.toString());
  }
}
