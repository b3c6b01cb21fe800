package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * WAL archiving. It runs the start-up archive's training (a build step, outside the distribution's
 * class path) and answers archive_command for files archived ahead of their turn without a JVM.
 * Tested on a copy of the launcher in a small tree owned by root, with stand-ins for the JDK and
 * Maven that record being run, so no real build happens.
 */
class LauncherTest {
  Path dir;
  Path tree;
  Path stamp;
  Path mvnRan;

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(PgServer.root(), "needs root to run the launcher as another user");
    Assumptions.assumeTrue(
        new ProcessBuilder("id", "postgres").start().waitFor() == 0, "no postgres user");
    Path source = Path.of("").toAbsolutePath().getParent();
    Assumptions.assumeTrue(
        Files.isRegularFile(source.resolve("roadie")), "the launcher is at the source root");
    dir = Files.createTempDirectory("roadie-launcher-");
    tree = Files.createDirectories(dir.resolve("tree"));
    Files.copy(source.resolve("roadie"), tree.resolve("roadie"));
    Files.createDirectories(tree.resolve("scripts/lib"));
    Files.copy(source.resolve("scripts/lib/jdk.sh"), tree.resolve("scripts/lib/jdk.sh"));
    Files.copy(source.resolve("scripts/lib/wal-push.sh"), tree.resolve("scripts/lib/wal-push.sh"));
    Files.copy(
        source.resolve("scripts/lib/wal-fetch.sh"), tree.resolve("scripts/lib/wal-fetch.sh"));
    Files.copy(source.resolve("scripts/lib/jvm.sh"), tree.resolve("scripts/lib/jvm.sh"));
    Files.writeString(tree.resolve("pom.xml"), "<project/>\n");
    Path src = Files.createDirectories(tree.resolve("roadie-cli/src/main/java"));
    Files.writeString(src.resolve("Main.java"), "class Main {}\n");
    stamp =
        Files.createDirectories(tree.resolve("roadie-cli/target/dist/lib"))
            .resolve("roadie-cli.jar");
    Files.writeString(stamp, "the build");
    // A JDK whose java prints what it was asked to run, and a Maven that notes it ran and builds.
    Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
    Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"21.0.9\"\n");
    script(
        jdk.resolve("java"),
        String.join(
            "\n",
            "for a; do case $a in -XX:AOTCacheOutput=*) echo cache > \"${a#*=}\";; esac; done",
            "case \" $* \" in *' version '*) echo 'roadie stand-in';; esac",
            "echo \"java $*\""));
    script(jdk.resolve("javac"), "exit 0");
    mvnRan = dir.resolve("mvn-ran");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    script(
        bin.resolve("mvn"),
        "echo \"$(id -un)\" >> " + mvnRan + "; touch roadie-cli/target/dist/lib/roadie-cli.jar");
    PgServer.exec(List.of("chmod", "-R", "a+rX", dir.toString()));
    PgServer.exec(List.of("chmod", "a+rwx", dir.toString())); // mvn-ran, written by whoever ran it
  }

  @AfterEach
  void tearDown() throws Exception {
    if (dir != null) PgServer.exec(List.of("rm", "-rf", dir.toString()));
  }

  private static void script(Path p, String body) throws Exception {
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    PgServer.exec(List.of("chmod", "755", p.toString()));
  }

  /**
   * Makes the sources newer than the build, as an edit or a 'git pull' after the last build does.
   */
  private void touchSources() throws Exception {
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    Files.setLastModifiedTime(
        tree.resolve("roadie-cli/src/main/java/Main.java"), FileTime.from(Instant.now()));
  }

  private record Run(int exit, String out, String err) {}

  private Run launch(boolean asPostgres, String... args) throws Exception {
    return launch(asPostgres, dir, List.of("ROADIE_NO_ARCHIVE=1"), args);
  }

  private Run launch(boolean asPostgres, Path workDir, List<String> env, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(
        List.of(
            "env",
            "JAVA_HOME=" + dir.resolve("jdk"),
            "PATH=" + dir.resolve("bin") + ":/usr/bin:/bin"));
    cmd.addAll(env);
    cmd.add(tree.resolve("roadie").toString());
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .directory(workDir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
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
    assertTrue(
        r.out().contains("dev.roadie.cli.Main wal-push pg_wal/000000010000000000000001"),
        "ran the build: " + r);
    assertEquals(1, r.err().lines().count(), "one line on stderr: " + r);
    assertTrue(
        r.err().contains("warning: the sources in " + tree + " are newer than the build")
            && r.err().contains("user root rebuilds it"),
        r.toString());
    assertFalse(Files.exists(mvnRan), "no build attempted by postgres");
    assertFalse(
        Files.exists(tree.resolve("roadie-cli/target/.roadie-build.lock")),
        "nothing written in root's tree");

    // Up to date: not a word.
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.now().plusSeconds(5)));
    r = launch(true, "version");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.err(), r.toString());
  }

  /**
   * A restore into a cluster runs with C1 alone at the default thresholds (its requests run through
   * a wide stack that C2 and the scaled thresholds made expensive); every other command, a restore
   * elsewhere included, keeps the scaled thresholds and both compilers.
   */
  @Test
  void aClusterRestoreOrBackupCompilesWithC1Alone() throws Exception {
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.now().plusSeconds(5)));
    Run cluster = launch(false, "restore", "latest", "--to-cluster", "--namespace-mapping", "a:b");
    assertEquals(0, cluster.exit(), cluster.toString());
    String java = cluster.out().lines().filter(l -> l.startsWith("java ")).findFirst().orElse("");
    int scaled = java.indexOf("-XX:CompileThresholdScaling=10");
    int c1 = java.indexOf("-XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=1 ");
    assertTrue(scaled >= 0 && c1 > scaled, "C1 options after the base options: " + java);
    assertTrue(
        java.endsWith("dev.roadie.cli.Main restore latest --to-cluster --namespace-mapping a:b"),
        java);

    Run backup = launch(false, "backup", "k8s", "--namespace", "festival");
    assertEquals(0, backup.exit(), backup.toString());
    assertTrue(
        backup.out().contains("-XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=1 "),
        backup.toString());

    for (String[] args :
        List.of(
            new String[] {"restore", "latest", "--target", "/tmp/out"},
            new String[] {"backup", "file", "k8s"},
            new String[] {"restore", "latest", "--target", "x", "--", "--to-cluster"})) {
      Run other = launch(false, args);
      assertEquals(0, other.exit(), other.toString());
      assertTrue(other.out().contains("-XX:CompileThresholdScaling=10"), other.toString());
      assertFalse(other.out().contains("TieredStopAtLevel"), other.toString());
    }
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
    assertTrue(
        r.err().contains("not built yet")
            && r.err().contains("as user root")
            && r.err().contains(tree.resolve("roadie") + " version"),
        r.toString());
    assertFalse(Files.exists(mvnRan), "no build attempted by postgres");
    assertEquals("", r.out(), r.toString());
  }

  /**
   * The training run is a build step: the launcher runs roadie-training's jar after the
   * distribution's class path to record the start-up archive, checks that the archive maps, and
   * then runs commands with the distribution's class path alone and the archive.
   */
  @Test
  void theTrainingRunRecordsTheArchiveOutsideTheDistribution() throws Exception {
    Files.writeString(dir.resolve("jdk/release"), "JAVA_VERSION=\"25.0.1\"\n");
    Path training =
        Files.createDirectories(tree.resolve("roadie-training/target"))
            .resolve("roadie-training.jar");
    Files.writeString(training, "the training");
    Path dist = tree.resolve("roadie-cli/target/dist");
    Run r = launch(false, dir, List.of(), "version");
    assertEquals(0, r.exit(), r.toString());
    Path archive;
    try (var files = Files.list(dist)) {
      archive =
          files.filter(f -> f.getFileName().toString().endsWith(".aot")).findFirst().orElse(null);
    }
    assertTrue(archive != null, "the archive was recorded and kept: " + r);
    String run =
        r.out().lines().filter(l -> l.contains("Main version")).reduce((a, b) -> b).orElseThrow();
    assertTrue(
        run.contains("-XX:AOTCache=" + archive)
            && run.contains("-cp " + dist + "/lib/* dev.roadie.cli.Main version"),
        "the command ran with the archive and the distribution's class path alone: " + run);
    assertFalse(run.contains("training"), run);
    assertFalse(Files.exists(mvnRan), "no build: the distribution was up to date");

    // The training's own output is discarded; what it was run with shows in a second recording.
    Files.delete(archive);
    Path argv = dir.resolve("training-argv");
    script(
        dir.resolve("jdk/bin/java"),
        String.join(
            "\n",
            "for a; do case $a in -XX:AOTCacheOutput=*) echo \"$*\" > "
                + argv
                + "; echo cache > \"${a#*=}\";; esac; done",
            "case \" $* \" in *' version '*) echo 'roadie stand-in';; esac"));
    r = launch(false, dir, List.of(), "version");
    assertEquals(0, r.exit(), r.toString());
    String trained = Files.readString(argv);
    assertTrue(
        trained.contains("-cp " + dist + "/lib/*:" + training + " dev.roadie.training.TrainingRun"),
        trained);
  }

  /**
   * archive_command for a file that an earlier wal-push archived ahead of its turn: the launcher
   * checks the marker (SHA-256 and size) and answers without starting a JVM, for the forms
   * PostgreSQL is configured with; a marker that does not match goes to the JVM, and so does an
   * option the launcher does not know.
   */
  @Test
  void aFileArchivedAheadIsAnsweredWithoutAJvm() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path wal = Files.createDirectories(data.resolve("pg_wal"));
    String name = "000000010000000000000007";
    byte[] segment = "a WAL segment".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    Files.write(wal.resolve(name), segment);
    String repository = "/backup/repo";
    Path pushed =
        Files.createDirectories(
            data.resolve("pg_wal/roadie").resolve(key(repository)).resolve("pushed"));
    String fingerprint =
        java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(segment))
            + " "
            + segment.length
            + "\n";
    List<String> env = List.of("ROADIE_NO_ARCHIVE=1", "ROADIE_REPOSITORY=" + repository);

    Files.writeString(pushed.resolve(name), fingerprint);
    Run r = launch(false, data, env, "wal-push", "--verbose", "pg_wal/" + name);
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.out(), "no JVM started: " + r);
    assertEquals("roadie wal-push: " + name + " was archived by an earlier run\n", r.err());
    assertFalse(Files.exists(pushed.resolve(name)), "the marker is used once");

    // With the options PostgreSQL may be given, the repository from --repo.
    Files.writeString(pushed.resolve(name), fingerprint);
    r =
        launch(
            false,
            data,
            List.of("ROADIE_NO_ARCHIVE=1"),
            "wal-push",
            "--batch",
            "4",
            "--jobs=2",
            "--repo",
            repository,
            "--system-id",
            "42",
            "pg_wal/" + name);
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    assertFalse(Files.exists(pushed.resolve(name)));

    // --pgdata from elsewhere, and --spool.
    Files.writeString(pushed.resolve(name), fingerprint);
    r =
        launch(
            false, dir, env, "wal-push", "--pgdata", data.toString(), wal.resolve(name).toString());
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    Path spool = Files.createDirectories(dir.resolve("spool/pushed"));
    Files.writeString(spool.resolve(name), fingerprint);
    r = launch(false, data, env, "wal-push", "--spool=" + spool.getParent(), "pg_wal/" + name);
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    assertFalse(Files.exists(spool.resolve(name)));

    // Another content under the name: the JVM archives (or refuses) it; the marker is not consumed.
    Files.writeString(pushed.resolve(name), fingerprint);
    Files.write(wal.resolve(name), "another segment".getBytes(StandardCharsets.US_ASCII));
    r = launch(false, data, env, "wal-push", "pg_wal/" + name);
    assertTrue(
        r.out().contains("dev.roadie.cli.Main wal-push pg_wal/" + name), "the JVM ran: " + r);
    assertTrue(Files.exists(pushed.resolve(name)));

    // Another repository: its own spool, no marker there.
    Files.write(wal.resolve(name), segment);
    r =
        launch(
            false,
            data,
            List.of("ROADIE_NO_ARCHIVE=1", "ROADIE_REPOSITORY=/other/repo"),
            "wal-push",
            "pg_wal/" + name);
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-push"), "the JVM ran: " + r);

    // An option the launcher does not know: the JVM decides.
    r = launch(false, data, env, "wal-push", "--unknown", "pg_wal/" + name);
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-push --unknown"), "the JVM ran: " + r);
    assertTrue(Files.exists(pushed.resolve(name)));
  }

  /**
   * {@code wal-push --async}: an acknowledgment of the background archiver that matches the file
   * (size, inode, modification second) is answered without a JVM; the same name with other content
   * is not: the launcher starts an archiver and waits, and reports the archiver's error with its
   * exit status.
   */
  @Test
  void anAsyncAcknowledgmentCoversOnlyTheFileItWasWrittenFor() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path wal = Files.createDirectories(data.resolve("pg_wal"));
    String name = "000000010000000000000009";
    Path file = wal.resolve(name);
    Files.write(file, "a WAL segment".repeat(1000).getBytes(StandardCharsets.US_ASCII));
    String repository = "/backup/repo";
    Path spool = data.resolve("pg_wal/roadie").resolve(key(repository));
    Path queue = Files.createDirectories(spool.resolve("async"));
    var a = Files.readAttributes(file, "unix:size,ino,lastModifiedTime");
    Files.writeString(
        queue.resolve(name + ".ok"),
        a.get("size")
            + " "
            + a.get("ino")
            + " "
            + ((FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.SECONDS)
            + "\n");
    List<String> env = List.of("ROADIE_NO_ARCHIVE=1", "ROADIE_REPOSITORY=" + repository);

    Run r = launch(false, data, env, "wal-push", "--async", "--verbose", "pg_wal/" + name);
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.out(), "no JVM started: " + r);
    assertTrue(r.err().startsWith("roadie wal-push: " + name + " is archived"), r.toString());

    // Another file under the name (a new inode): not acknowledged. No archiver runs, so one is
    // started (here the stand-in java, which only prints its arguments) and waited for.
    Path other = dir.resolve("other");
    Files.write(other, "another segment".getBytes(StandardCharsets.US_ASCII));
    Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    r = launch(false, data, env, "wal-push", "--async", "--async-timeout", "2", "pg_wal/" + name);
    assertEquals(75, r.exit(), r.toString());
    assertTrue(r.err().contains(name + " was not archived within 2 s"), r.toString());
    String started = Files.readString(queue.resolve("archiver.log"));
    assertTrue(
        started.contains(
            "dev.roadie.cli.Main wal-push --archiver --pgdata " + data + " --spool " + spool),
        "the launcher started an archiver: " + started);

    // A running archiver's error for the file is archive_command's error, with its exit status.
    Files.writeString(queue.resolve("archiver.alive"), "1\n");
    Files.writeString(
        queue.resolve(name + ".error"),
        "1\nrepository /backup/repo: " + name + " is already archived with different content\n");
    r = launch(false, data, env, "wal-push", "--async", "pg_wal/" + name);
    assertEquals(1, r.exit(), r.toString());
    assertEquals(
        "roadie: repository /backup/repo: "
            + name
            + " is already archived with different content\n",
        r.err());
    assertEquals("", r.out(), "no JVM started: " + r);
  }

  /**
   * {@code wal-fetch NAME DEST} of a segment an earlier call prefetched is answered by moving it
   * from the spool that WalFetch writes (its path as WalPush names it), without a JVM; anything
   * else (not prefetched, not a whole segment, another repository, an unknown option) goes to the
   * JVM.
   */
  @Test
  void aPrefetchedSegmentIsFetchedWithoutAJvm() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(data.resolve("pg_wal"));
    String repository = "/backup/repo";
    Path prefetch =
        Files.createDirectories(
            dev.roadie.postgres.wal.WalPush.defaultSpool(data, repository).resolve("prefetch"));
    String name = "00000001000000000000000A";
    byte[] segment = "a prefetched WAL segment".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    List<String> env = List.of("ROADIE_NO_ARCHIVE=1", "ROADIE_REPOSITORY=" + repository);

    Files.write(prefetch.resolve(name), segment);
    Run r = launch(false, data, env, "wal-fetch", "--system-id=42", name, "pg_wal/RECOVERYXLOG");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    assertArrayEquals(segment, Files.readAllBytes(data.resolve("pg_wal/RECOVERYXLOG")));
    assertFalse(Files.exists(prefetch.resolve(name)), "the spooled copy is used once");

    // With --repo and --pgdata from elsewhere, as a hand-written restore_command may have them.
    Files.write(prefetch.resolve(name), segment);
    Path dest = dir.resolve("elsewhere");
    r =
        launch(
            false,
            dir,
            List.of("ROADIE_NO_ARCHIVE=1"),
            "wal-fetch",
            "--repo",
            repository,
            "--pgdata",
            data.toString(),
            name,
            dest.toString());
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    assertArrayEquals(segment, Files.readAllBytes(dest));

    // Being fetched by a running prefetcher: waited for, then taken without a JVM.
    Files.writeString(prefetch.resolve(name + ".pending"), "");
    Files.writeString(prefetch.resolve("prefetcher.alive"), "");
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    Thread.sleep(500);
                    Files.write(prefetch.resolve(name), segment);
                  } catch (Exception e) {
                    throw new RuntimeException(e);
                  }
                });
    r = launch(false, data, env, "wal-fetch", name, "pg_wal/RECOVERYXLOG");
    writer.join();
    assertEquals("", r.out() + r.err(), "no JVM started: " + r);
    assertArrayEquals(segment, Files.readAllBytes(data.resolve("pg_wal/RECOVERYXLOG")));
    // A pending mark whose prefetcher is gone (no recent heartbeat) is not waited for.
    Files.setLastModifiedTime(
        prefetch.resolve("prefetcher.alive"), FileTime.from(Instant.now().minusSeconds(60)));
    r = launch(false, data, env, "wal-fetch", name, "pg_wal/RECOVERYXLOG");
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-fetch " + name), "the JVM ran: " + r);
    Files.delete(prefetch.resolve(name + ".pending"));

    // Not prefetched, a history file, another repository's spool, an unknown option: the JVM.
    r = launch(false, data, env, "wal-fetch", name, "pg_wal/RECOVERYXLOG");
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-fetch " + name), "the JVM ran: " + r);
    Files.write(prefetch.resolve("00000002.history"), segment);
    r = launch(false, data, env, "wal-fetch", "00000002.history", "pg_wal/RECOVERYHISTORY");
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-fetch"), "the JVM ran: " + r);
    Files.write(prefetch.resolve(name), segment);
    r =
        launch(
            false,
            data,
            List.of("ROADIE_NO_ARCHIVE=1", "ROADIE_REPOSITORY=/other/repo"),
            "wal-fetch",
            name,
            "pg_wal/RECOVERYXLOG");
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-fetch"), "the JVM ran: " + r);
    r = launch(false, data, env, "wal-fetch", "--unknown", name, "pg_wal/RECOVERYXLOG");
    assertTrue(r.out().contains("dev.roadie.cli.Main wal-fetch --unknown"), "the JVM ran: " + r);
    assertTrue(Files.exists(prefetch.resolve(name)), "left for the JVM");
  }

  /** The spool directory's name for a repository location, as WalPush names it. */
  private static String key(String location) throws Exception {
    byte[] d =
        java.security.MessageDigest.getInstance("SHA-256")
            .digest(location.getBytes(StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(d, 0, 8);
  }
}
