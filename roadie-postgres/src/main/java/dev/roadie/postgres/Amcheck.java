package dev.roadie.postgres;

import dev.roadie.core.source.Check;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pg_amcheck --heapallindexed}: every heap page of the copy checked, every B-tree index
 * checked against its table (each tuple must be found in the index). Installs the amcheck extension
 * where it is missing ({@code --install-missing}), which is why it only ever runs on scratch
 * copies.
 */
public final class Amcheck {
  private Amcheck() {}

  /**
   * Runs pg_amcheck from {@code bin} (or the newest one installed, when null) on the databases the
   * {@code env} connection names ({@code all}: every database of the server). Skipped when
   * pg_amcheck is not installed.
   */
  public static Check run(Path bin, int major, Map<String, String> env, boolean all)
      throws IOException {
    String program;
    try {
      program =
          bin != null && java.nio.file.Files.isExecutable(bin.resolve("pg_amcheck"))
              ? bin.resolve("pg_amcheck").toString()
              : PgTools.find(null, major, "pg_amcheck").path("pg_amcheck");
    } catch (dev.roadie.core.RoadieException e) {
      return Check.skipped(
          "amcheck",
          "skipped: pg_amcheck not installed (it comes with the PostgreSQL "
              + major
              + " client or server package)");
    }
    List<String> cmd =
        new ArrayList<>(List.of(program, "--heapallindexed", "--install-missing", "--no-password"));
    if (all) cmd.add("--all");
    long start = System.nanoTime();
    String out;
    int rc;
    try (PgTools.Child child = new PgTools.Child(cmd, env, false)) {
      out =
          new String(child.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      try {
        rc = child.process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      String err = child.stderr();
      if (!err.isEmpty()) out = out.isEmpty() ? err : out + "\n" + err;
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put(
        "seconds",
        dev.roadie.core.source.ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    List<String> lines = out.isEmpty() ? List.of() : List.of(out.split("\n"));
    figures.put("problems", lines.size());
    if (rc == 0 && lines.isEmpty()) {
      return Check.pass(
          "amcheck",
          "pg_amcheck --heapallindexed: no corruption in tables and B-tree indexes",
          figures);
    }
    List<String> details = lines.subList(0, Math.min(lines.size(), 100));
    return Check.fail(
        "amcheck",
        rc == 2 || !lines.isEmpty() && rc != 1
            ? "pg_amcheck found corruption"
            : "pg_amcheck could not check the copy (exit status " + rc + ")",
        figures,
        details);
  }
}
