package dev.roadie.cli;

import static dev.roadie.cli.PgServer.exec;
import static dev.roadie.cli.PgServer.root;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the physical PostgreSQL tests share: in a temporary directory (the postgres user's), a
 * repository with its password file, a launcher the postgres user can run (roadie on the test class
 * path), a scratch directory for verify and drills, and a started primary whose {@code
 * archive_command} is that launcher's {@code wal-push %p} into the repository. {@link #roadie} runs
 * commands against the repository. {@link #close} stops every server started through it and deletes
 * the directory. Aborts the test (an assumption) where PostgreSQL is not installed.
 */
final class PhysicalFixture implements AutoCloseable {
  /** What a test changes of the usual set-up. */
  static final class Options {
    String walLevel = "replica";

    /** The arguments archive_command passes the launcher; null: the primary does not archive. */
    String walPush = "wal-push %p";

    /** Given the JVM launcher, the launcher archive_command and restore_command run. */
    UnaryOperator<Path> launcher = jvm -> jvm;
  }

  final Path bin;
  final Path dir;
  final Path repo;
  final Path passwordFile;

  /** Holds {@link PgServer#DB_PW}: the primary's password. */
  final Path dbPasswordFile;

  final Path launcher;
  final Path scratch;
  final RoadieProcess roadie;
  final PgServer primary;
  private final List<PgServer> servers = new ArrayList<>();

  /** The usual set-up: a primary at wal_level replica archiving with {@code wal-push %p}. */
  static PhysicalFixture start(String name, String password) throws Exception {
    return start(name, password, o -> {});
  }

  static PhysicalFixture start(String name, String password, Consumer<Options> change)
      throws Exception {
    Path bin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    Options o = new Options();
    change.accept(o);
    return new PhysicalFixture(bin, Files.createTempDirectory("roadie-" + name + "-"), password, o);
  }

  private PhysicalFixture(Path bin, Path dir, String password, Options o) throws Exception {
    this.bin = bin;
    this.dir = dir;
    repo = dir.resolve("repo");
    passwordFile = Files.writeString(dir.resolve("password"), password + "\n");
    dbPasswordFile = Files.writeString(dir.resolve("dbpw"), PgServer.DB_PW + "\n");
    launcher = o.launcher.apply(writeLauncher(Files.createDirectories(dir.resolve("launcher"))));
    scratch = Files.createDirectories(dir.resolve("scratch"));
    if (root()) exec(List.of("chown", "-R", "postgres", dir.toString()));
    exec(List.of("chmod", "600", passwordFile.toString()));
    roadie =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo.toString())
            .env("ROADIE_PASSWORD_FILE", passwordFile.toString())
            .env("ROADIE_LAUNCHER", launcher.toString())
            .timeout(Duration.ofMinutes(5));
    roadie.run("init").assertOk();
    if (root()) exec(List.of("chown", "-R", "postgres", repo.toString()));
    String conf =
        o.walPush == null
            ? ""
            : "wal_level = "
                + o.walLevel
                + "\narchive_mode = on\narchive_command = '"
                + archiveCommand(o.walPush)
                + "'\n";
    primary = add(PgServer.initdb(bin, dir.resolve("primary"), dbPasswordFile, conf));
    primary.start();
  }

  /** A command line that runs the launcher with {@code args} against this fixture's repository. */
  String archiveCommand(String args) {
    return "ROADIE_REPOSITORY="
        + repo
        + " ROADIE_PASSWORD_FILE="
        + passwordFile
        + " "
        + launcher
        + " "
        + args;
  }

  private PgServer add(PgServer s) {
    servers.add(s);
    return s;
  }

  /** The outcome of {@link #restoreAndStart}: the started copy and what restore printed. */
  record Restored(PgServer server, RoadieProcess.Result restore) {}

  /**
   * Runs {@code restore ARGS --pgdata DIR/name} with {@code r}, gives the copy (and the tablespace
   * directories it links to) to the postgres user, starts it on a free port with {@code env} in its
   * environment, and returns it once recovery has ended; the caller stops it ({@link #close} does
   * otherwise).
   */
  Restored restoreAndStart(RoadieProcess r, String name, Map<String, String> env, String... args)
      throws Exception {
    Path data = dir.resolve(name);
    List<String> cmd = new ArrayList<>(List.of("restore"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--pgdata", data.toString()));
    RoadieProcess.Result result = r.run(cmd.toArray(String[]::new)).assertOk();
    if (root()) {
      exec(List.of("chown", "-R", "postgres", data.toString()));
      if (Files.isDirectory(data.resolve("pg_tblspc"))) {
        try (Stream<Path> links = Files.list(data.resolve("pg_tblspc"))) {
          for (Path link : links.toList())
            exec(List.of("chown", "-R", "postgres", link.toRealPath().toString()));
        }
      }
    }
    PgServer s = add(new PgServer(bin, data, PgServer.freePort(), env));
    s.start();
    s.awaitPromoted();
    return new Restored(s, result);
  }

  /**
   * Restores with this fixture's repository and without archiving ({@code --archive-mode off}),
   * starts the copy, runs {@code query} and stops it.
   */
  String restoreAndQuery(String name, String query, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--archive-mode", "off"));
    try (PgServer s =
        restoreAndStart(roadie, name, Map.of(), all.toArray(String[]::new)).server()) {
      String rows = s.query(query);
      s.stop();
      return rows;
    }
  }

  /**
   * A launcher script the postgres user can run: the test class path, with jars it cannot read (the
   * Maven repository under /root) copied next to it. The JVM runs with the options of the real
   * launchers that {@link RoadieProcess#LAUNCHER_OPTIONS} has too.
   */
  static Path writeLauncher(Path into) throws Exception {
    Path lib = Files.createDirectories(into.resolve("lib"));
    List<String> cp = new ArrayList<>();
    for (String e : RoadieProcess.classPath().split(java.io.File.pathSeparator)) {
      if (e.isEmpty() || e.contains("test-classes")) continue;
      Path p = Path.of(e);
      if (Files.isRegularFile(p)) {
        Path copy = lib.resolve(cp.size() + "-" + p.getFileName());
        Files.copy(p, copy);
        cp.add(copy.toString());
      } else {
        cp.add(e);
      }
    }
    String java = ProcessHandle.current().info().command().orElseThrow();
    Path script = into.resolve("roadie");
    Files.writeString(
        script,
        "#!/bin/sh\nROADIE_LAUNCHER="
            + script
            + " exec "
            + java
            + " "
            + String.join(" ", RoadieProcess.LAUNCHER_OPTIONS)
            + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp "
            + String.join(":", cp)
            + " dev.roadie.cli.Main \"$@\"\n");
    exec(List.of("chmod", "-R", "a+rX", into.toString()));
    exec(List.of("chmod", "755", script.toString()));
    return script;
  }

  /**
   * The JVM launcher {@code jvm} behind the fast paths of the real launchers (./roadie,
   * bin/roadie): it sources scripts/lib/wal-push.sh and scripts/lib/wal-fetch.sh, which answer what
   * they can without a JVM (a file archived ahead of its turn, a segment the prefetcher has
   * fetched), then starts the JVM.
   */
  static Path fastPathLauncher(Path jvm) {
    try {
      Path into = jvm.getParent();
      Files.move(jvm, into.resolve("roadie-jvm"));
      for (String lib : List.of("wal-push.sh", "wal-fetch.sh")) {
        Files.copy(PrometheusRulesTest.SOURCE.resolve("scripts/lib/" + lib), into.resolve(lib));
      }
      Path launcher = into.resolve("roadie");
      Files.writeString(
          launcher,
          "#!/usr/bin/env bash\nset -euo pipefail\n. "
              + into.resolve("wal-push.sh")
              + "\n. "
              + into.resolve("wal-fetch.sh")
              + "\nroadie_launcher="
              + launcher
              + "\nroadie_wal_push_fast \"$@\"\nroadie_wal_fetch_fast \"$@\"\nexec "
              + into.resolve("roadie-jvm")
              + " \"$@\"\n");
      exec(List.of("chmod", "-R", "a+rX", into.toString()));
      exec(List.of("chmod", "755", launcher.toString(), into.resolve("roadie-jvm").toString()));
      return launcher;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    for (PgServer s : servers) {
      try {
        s.close();
      } catch (Exception e) {
        // already stopped; the next one still has to be
      }
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
