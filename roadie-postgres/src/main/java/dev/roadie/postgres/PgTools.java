package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds PostgreSQL's client programs (pg_dump, pg_restore, pg_basebackup): in {@code --pg-bin DIR}
 * or {@code ROADIE_PG_BIN} when given, else the newest {@code /usr/lib/postgresql/N/bin} (Debian
 * and Ubuntu's layout), else on PATH; and checks that the program is at least as new as the server.
 */
public final class PgTools {
  private final Path dir; // null: found on PATH
  public final int major;
  public final String version;

  private PgTools(Path dir, int major, String version) {
    this.dir = dir;
    this.major = major;
    this.version = version;
  }

  public String path(String program) {
    return dir == null ? program : dir.resolve(program).toString();
  }

  /**
   * Finds the directory of {@code program} (pg_dump, pg_restore, pg_basebackup) for a server of
   * major version {@code serverMajor} (e.g. 15; 0 when unknown). A directory named by {@code
   * --pg-bin} or {@code ROADIE_PG_BIN} is the only one tried: one without the program, or with an
   * older one, is refused rather than passed over for another.
   */
  public static PgTools find(Path pgBin, int serverMajor, String program) throws IOException {
    // Frozen exception to "no environment reads below the command line" (issue 15,
    // ArchitectureTest): ROADIE_PG_BIN is named in the errors as where the directory came from, so
    // moving it to the command line means carrying that origin in every options record with a
    // pgBin.
    // PATH is the process's own search path, as for any program it starts.
    String env = System.getenv("ROADIE_PG_BIN");
    String named =
        pgBin != null
            ? "--pg-bin " + pgBin
            : env != null && !env.isBlank() ? "ROADIE_PG_BIN=" + env : null;
    String client = "postgresql-client" + (serverMajor > 0 ? "-" + serverMajor : "");
    String install = "install " + client + " (apt-get install " + client + ") or pass --pg-bin DIR";
    List<Path> candidates = new ArrayList<>();
    if (named != null) {
      Path dir = pgBin != null ? pgBin : Path.of(env);
      if (!Files.isExecutable(dir.resolve(program))) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            program
                + " not found in "
                + dir
                + " ("
                + named
                + "): "
                + install
                + (pgBin != null ? "" : ", or unset ROADIE_PG_BIN"));
      }
      candidates.add(dir);
    } else {
      Path base = Path.of("/usr/lib/postgresql");
      if (Files.isDirectory(base)) {
        try (Stream<Path> s = Files.list(base)) {
          s.map(p -> p.resolve("bin"))
              .filter(p -> Files.isExecutable(p.resolve(program)))
              .sorted(Comparator.comparingInt(PgTools::dirMajor).reversed())
              .forEach(candidates::add);
        }
      }
      for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
        if (!p.isEmpty()) candidates.add(Path.of(p));
      }
    }
    PgTools best = null;
    for (Path c : candidates) {
      if (!Files.isExecutable(c.resolve(program))) continue;
      PgTools t = probe(c, program);
      if (best == null || t.major > best.major) best = t;
      if (serverMajor == 0 || t.major >= serverMajor) {
        best = t;
        break;
      }
    }
    if (best == null) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          program + " not found in /usr/lib/postgresql/*/bin or on PATH: " + install);
    }
    if (serverMajor > 0 && best.major < serverMajor) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "PostgreSQL "
              + serverMajor
              + " server needs "
              + program
              + " "
              + serverMajor
              + " or newer; found "
              + program
              + " "
              + best.version
              + " at "
              + best.path(program)
              + ": "
              + install);
    }
    return best;
  }

  private static int dirMajor(Path binDir) {
    try {
      return Integer.parseInt(binDir.getParent().getFileName().toString().replaceAll("\\..*", ""));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.\\d+)*");

  private static PgTools probe(Path dir, String program) throws IOException {
    String out =
        runForOutput(List.of(dir.resolve(program).toString(), "--version"), Map.of()).trim();
    // "pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)"
    int paren = out.indexOf(')');
    Matcher m = VERSION.matcher(paren >= 0 ? out.substring(paren) : out);
    if (!m.find()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          dir.resolve(program) + " --version printed '" + out + "', not a version");
    }
    int major = Integer.parseInt(m.group(1));
    return new PgTools(dir, major, m.group());
  }

  static String runForOutput(List<String> cmd, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /**
   * A started child whose stderr is collected (bounded) for the error message. The connection
   * settings go in the environment (see {@link PgConn#childEnv}).
   */
  public static final class Child implements AutoCloseable {
    public final Process process;
    private final String name;
    private final Thread errReader;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    public Child(List<String> cmd, Map<String, String> env, boolean stdinFromUs)
        throws IOException {
      this.name = Path.of(cmd.get(0)).getFileName().toString();
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
      pb.environment().putAll(env);
      if (!stdinFromUs)
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new RoadieException(
            ErrorCode.FAILURE, "cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
      }
      InputStream es = process.getErrorStream();
      errReader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    byte[] b = new byte[8192];
                    int n;
                    try {
                      while ((n = es.read(b)) > 0) {
                        synchronized (err) {
                          if (err.size() < 64 * 1024) err.write(b, 0, n);
                        }
                      }
                    } catch (IOException ignored) {
                      // the child is gone
                    }
                  });
    }

    public String stderr() {
      try {
        errReader.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (err) {
        return PgConn.redact(err.toString(StandardCharsets.UTF_8).trim());
      }
    }

    /** Waits for the child; fails with its stderr when it exits non-zero. */
    public void finish(String what) throws IOException {
      int rc;
      try {
        rc = process.waitFor();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      if (rc != 0) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            what + ": " + name + " failed (exit status " + rc + "): " + stderr());
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) process.destroyForcibly();
    }
  }
}
