package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the roadie command line as a separate JVM (the java that runs the tests, with the test class
 * path), as a user would: arguments, environment, standard input, exit code, stdout and stderr. The
 * inherited environment is stripped of every {@code ROADIE_*} variable so tests are hermetic.
 */
final class RoadieProcess {
  /** Writes a process's standard input; the stream is closed afterwards by the harness. */
  @FunctionalInterface
  interface StdinWriter {
    void write(OutputStream in) throws IOException;
  }

  /** Reads a process's standard output as it is produced (instead of collecting it in memory). */
  @FunctionalInterface
  interface StdoutReader {
    void read(InputStream out) throws IOException;
  }

  private final Map<String, String> env = new LinkedHashMap<>();
  private final List<String> jvmOptions = new ArrayList<>();
  private Path workDir;
  private Path stdinFile;
  private StdinWriter stdinWriter;
  private StdoutReader stdoutReader;
  private Duration timeout = Duration.ofMinutes(2);
  private boolean quickStart = true;
  private int closeStdoutAfter = -1;

  private RoadieProcess() {}

  /** A command with no repository or password set. */
  static RoadieProcess bare() {
    return new RoadieProcess();
  }

  /** A command with ROADIE_REPOSITORY and ROADIE_PASSWORD set. */
  static RoadieProcess of(Path repo, String password) {
    return new RoadieProcess()
        .env("ROADIE_REPOSITORY", repo.toString())
        .env("ROADIE_PASSWORD", password);
  }

  /** A copy with the same settings (so one configured instance can serve as a template). */
  RoadieProcess copy() {
    RoadieProcess p = new RoadieProcess();
    p.env.putAll(env);
    p.jvmOptions.addAll(jvmOptions);
    p.workDir = workDir;
    p.stdinFile = stdinFile;
    p.stdinWriter = stdinWriter;
    p.stdoutReader = stdoutReader;
    p.timeout = timeout;
    p.quickStart = quickStart;
    p.closeStdoutAfter = closeStdoutAfter;
    return p;
  }

  RoadieProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Removes a variable (also one set earlier on this instance). */
  RoadieProcess unsetEnv(String name) {
    env.put(name, null);
    return this;
  }

  RoadieProcess jvm(String... options) {
    jvmOptions.addAll(Arrays.asList(options));
    return this;
  }

  /**
   * Runs the child with the full JIT (C2). By default commands run with C1 only, which starts about
   * a third faster: right for the many short commands, wrong for throughput (big backups).
   */
  RoadieProcess fullJit() {
    quickStart = false;
    return this;
  }

  RoadieProcess workDir(Path dir) {
    this.workDir = dir;
    return this;
  }

  RoadieProcess stdin(Path file) {
    this.stdinFile = file;
    this.stdinWriter = null;
    return this;
  }

  RoadieProcess stdin(byte[] bytes) {
    return stdin(out -> out.write(bytes));
  }

  RoadieProcess stdin(StdinWriter writer) {
    this.stdinWriter = writer;
    this.stdinFile = null;
    return this;
  }

  RoadieProcess stdout(StdoutReader reader) {
    this.stdoutReader = reader;
    return this;
  }

  /**
   * Reads this many bytes of standard output, then closes the pipe, as {@code | head -c N} does.
   */
  RoadieProcess closeStdoutAfter(int bytes) {
    this.closeStdoutAfter = bytes;
    return this;
  }

  RoadieProcess timeout(Duration t) {
    this.timeout = t;
    return this;
  }

  /**
   * The options of every run that the launchers pass (scripts/lib/jvm.sh), except the memory and
   * JIT tuning: commands run here as they do for users, and these also make each one cheaper.
   * zstd-jni through JNI (multi-release jars off: no FFM downcall stubs to generate and compile at
   * every start) and no wait at exit for the poller thread a socket on a virtual thread leaves in
   * native code (JDK 22+): docs/decisions/0009-multi-release-jars-off.md and
   * 0005-no-exit-wait-for-native-threads.md.
   */
  static final List<String> LAUNCHER_OPTIONS = launcherOptions();

  private static List<String> launcherOptions() {
    List<String> o =
        new ArrayList<>(
            List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:-UsePerfData",
                "-Djdk.util.jar.enableMultiRelease=false"));
    if (Runtime.version().feature() >= 22) o.add("-XX:UserThreadWaitAttemptsAtExit=0");
    return List.copyOf(o);
  }

  /** C1 only and the serial collector: a third faster start for the many short commands. */
  private static final List<String> QUICK_START =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  /**
   * The start-up archive (JDK 25+ AOT cache) that the quick-start commands of this test JVM map, as
   * the real launchers' runs map theirs: recorded once by a training run (a small file backup) on
   * the test class path as jars (an AOT cache takes classes from jars only: each class directory is
   * packed into one, beside the module's target directory). A command with JVM options of its own
   * (or the full JIT) runs without it, on the class path as it is. Should recording fail, there is
   * no archive and every command runs without one.
   */
  private static final class StartupArchive {
    private static StartupArchive instance;
    private static boolean tried;

    final String classPath;
    final List<String> options;

    private StartupArchive(String classPath, Path aot) {
      this.classPath = classPath;
      this.options = List.of("-XX:AOTCache=" + aot, "-Xlog:aot*=off", "-Xlog:cds*=off");
    }

    static synchronized StartupArchive get() {
      if (!tried) {
        tried = true;
        if (Runtime.version().feature() >= 25) {
          try {
            instance = record();
          } catch (Exception e) {
            System.err.println("no start-up archive for the roadie commands of the tests: " + e);
          }
        }
      }
      return instance;
    }

    private static StartupArchive record() throws Exception {
      Path dir =
          Files.createTempDirectory(
              Files.createDirectories(Path.of("target").toAbsolutePath()), "startup-archive-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
      List<String> cp = new ArrayList<>();
      for (String e : classPath().split(File.pathSeparator)) {
        Path p = Path.of(e);
        if (Files.isDirectory(p)) {
          Path jar = dir.resolve(cp.size() + "-" + p.getFileName() + ".jar");
          jar(p, jar);
          cp.add(jar.toString());
        } else if (Files.isRegularFile(p)) {
          cp.add(e);
        }
      }
      String classPath = String.join(File.pathSeparator, cp);
      Path data = Files.createDirectories(dir.resolve("training/data"));
      byte[] bytes = new byte[1 << 20];
      new java.util.Random(1).nextBytes(bytes);
      Files.write(data.resolve("random.bin"), bytes);
      Files.writeString(data.resolve("text.txt"), "roadie training\n".repeat(10_000));
      Path aot = dir.resolve("roadie.aot");
      RoadieProcess training =
          RoadieProcess.of(dir.resolve("training/repo"), "training").timeout(Duration.ofMinutes(2));
      training.run("init").assertOk();
      List<String> record = new ArrayList<>(List.of(java(), "-cp", classPath));
      record.addAll(LAUNCHER_OPTIONS);
      record.addAll(QUICK_START);
      record.addAll(List.of("-XX:AOTCacheOutput=" + aot, "-Xlog:aot*=off", "-Xlog:cds*=off"));
      record.addAll(List.of("dev.roadie.cli.Main", "backup", "file", data.toString()));
      ProcessBuilder pb =
          new ProcessBuilder(record)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("training.log").toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("ROADIE_"));
      pb.environment().put("ROADIE_REPOSITORY", dir.resolve("training/repo").toString());
      pb.environment().put("ROADIE_PASSWORD", "training");
      Process p = pb.start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("the training run did not end");
      }
      delete(dir.resolve("training"));
      if (p.exitValue() != 0 || !Files.isRegularFile(aot)) {
        throw new IOException(
            "the training run failed: " + Files.readString(dir.resolve("training.log")));
      }
      return new StartupArchive(classPath, aot);
    }

    /** Packs the files under {@code dir} into the jar {@code to}. */
    private static void jar(Path dir, Path to) throws IOException {
      try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(to));
          var files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          out.putNextEntry(new java.util.jar.JarEntry(dir.relativize(f).toString()));
          Files.copy(f, out);
          out.closeEntry();
        }
      }
    }

    private static void delete(Path dir) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // already gone
      }
    }
  }

  private static String java() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElseThrow(() -> new IllegalStateException("no java command"));
  }

  /** The test JVM's class path: in the reactor build it holds the modules' target/classes. */
  static String classPath() {
    return System.getProperty("java.class.path");
  }

  List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    StartupArchive archive = quickStart && jvmOptions.isEmpty() ? StartupArchive.get() : null;
    cmd.add("-cp");
    cmd.add(archive != null ? archive.classPath : classPath());
    cmd.addAll(LAUNCHER_OPTIONS);
    if (quickStart) cmd.addAll(QUICK_START);
    if (archive != null) cmd.addAll(archive.options);
    cmd.addAll(jvmOptions);
    cmd.add("dev.roadie.cli.Main");
    cmd.addAll(Arrays.asList(args));
    return cmd;
  }

  /** Runs to completion (or fails the test at the timeout, killing the process). */
  Result run(String... args) {
    Running r = start(args);
    return r.await(timeout);
  }

  /** Starts the command and returns at once. */
  Running start(String... args) {
    ProcessBuilder pb = new ProcessBuilder(command(args));
    pb.environment().keySet().removeIf(k -> k.startsWith("ROADIE_"));
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getValue() == null) pb.environment().remove(e.getKey());
      else pb.environment().put(e.getKey(), e.getValue());
    }
    if (workDir != null) pb.directory(workDir.toFile());
    if (stdinFile != null) pb.redirectInput(stdinFile.toFile());
    else if (stdinWriter == null)
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      StdoutReader reader = stdoutReader;
      if (closeStdoutAfter >= 0) {
        int n = closeStdoutAfter;
        reader =
            in -> {
              in.readNBytes(n);
              in.close();
            };
      }
      return new Running(
          pb.start(), String.join(" ", args), stdinWriter, reader, closeStdoutAfter >= 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A started command. Its output is drained on background threads so it never blocks on a full
   * pipe.
   */
  static final class Running {
    final Process process;
    final String description;
    final long startNanos = System.nanoTime();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outThread;
    private final Thread errThread;
    private final Thread inThread;
    private volatile Throwable ioFailure;
    private volatile boolean killed;

    Running(
        Process p,
        String description,
        StdinWriter stdin,
        StdoutReader stdoutReader,
        boolean closesStdout) {
      this.process = p;
      this.description = description;
      this.outThread =
          Thread.ofPlatform()
              .daemon()
              .name("roadie-stdout")
              .start(
                  () -> {
                    try (InputStream in = p.getInputStream()) {
                      if (stdoutReader != null) {
                        stdoutReader.read(in);
                        if (!closesStdout) in.transferTo(OutputStream.nullOutputStream());
                      } else {
                        copy(in, out);
                      }
                    } catch (Throwable t) {
                      if (!killed) ioFailure = t;
                    }
                  });
      this.errThread =
          Thread.ofPlatform()
              .daemon()
              .name("roadie-stderr")
              .start(
                  () -> {
                    try (InputStream in = p.getErrorStream()) {
                      copy(in, err);
                    } catch (IOException e) {
                      // process gone
                    }
                  });
      if (stdin != null) {
        this.inThread =
            Thread.ofPlatform()
                .daemon()
                .name("roadie-stdin")
                .start(
                    () -> {
                      try (OutputStream o = p.getOutputStream()) {
                        stdin.write(o);
                      } catch (Throwable t) {
                        if (!killed) ioFailure = t;
                      }
                    });
      } else {
        this.inThread = null;
      }
    }

    private static void copy(InputStream in, ByteArrayOutputStream to) throws IOException {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        synchronized (to) {
          to.write(buf, 0, n);
        }
      }
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Standard output so far. */
    String stdoutSoFar() {
      synchronized (out) {
        return out.toString(StandardCharsets.UTF_8);
      }
    }

    /**
     * SIGKILL (on Linux destroyForcibly sends signal 9); returns the result after the process is
     * gone.
     */
    Result kill() {
      killed = true;
      process.destroyForcibly();
      return await(Duration.ofSeconds(30));
    }

    Result await(Duration timeout) {
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          killed = true;
          process.destroyForcibly();
          process.waitFor(30, TimeUnit.SECONDS);
          joinAll();
          fail(
              "roadie "
                  + description
                  + " did not finish in "
                  + timeout
                  + "; stderr:\n"
                  + stderrNow());
        }
        long nanos = System.nanoTime() - startNanos;
        joinAll();
        byte[] o;
        synchronized (out) {
          o = out.toByteArray();
        }
        Result r =
            new Result(
                description, process.exitValue(), o, stderrNow(), Duration.ofNanos(nanos), killed);
        if (ioFailure != null) {
          throw new AssertionError(
              "feeding or reading the process failed: " + r.describe(), ioFailure);
        }
        return r;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new AssertionError("interrupted", e);
      }
    }

    String stderrNow() {
      synchronized (err) {
        return err.toString(StandardCharsets.UTF_8);
      }
    }

    private void joinAll() throws InterruptedException {
      outThread.join(60_000);
      errThread.join(10_000);
      if (inThread != null) {
        if (killed || !process.isAlive()) inThread.join(10_000);
        else inThread.join();
      }
    }
  }

  /** How a command ended. */
  record Result(
      String command,
      int exitCode,
      byte[] stdoutBytes,
      String stderr,
      Duration wallTime,
      boolean killed) {
    String stdout() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** A description for assertion messages. */
    String describe() {
      return "roadie "
          + command
          + " -> exit "
          + exitCode
          + (killed ? " (killed)" : "")
          + "\n--- stdout:\n"
          + (stdoutBytes.length > 4000 ? stdout().substring(0, 4000) + "..." : stdout())
          + "\n--- stderr:\n"
          + stderr;
    }

    Result assertOk() {
      if (exitCode != 0) fail("expected exit 0: " + describe());
      return this;
    }

    Result assertFailed() {
      if (exitCode == 0) fail("expected a failure: " + describe());
      return this;
    }

    Result assertExit(int code) {
      if (exitCode != code) fail("expected exit " + code + ": " + describe());
      return this;
    }
  }
}
