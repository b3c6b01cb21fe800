package dev.roadie.dashboard.page;

import dev.roadie.core.Redact;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.RecoverableWindow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The restore commands a snapshot page offers, ready to copy: each one a complete {@code roadie
 * restore} command line (docs/commands.md, "restore") that restores somewhere new, never over the
 * data it was taken from. The repository's password comes from the environment as for every command
 * ({@code ROADIE_PASSWORD_FILE}), a server's as for the backup; no command carries a secret.
 */
public final class RestoreCommands {
  private static final Pattern PG =
      Pattern.compile("^postgres(?:ql)?://(?:[^@/]*@)?([^/:?]+)(?::(\\d+))?(?:/([^?]*))?");
  private static final Pattern REDIS =
      Pattern.compile("^rediss?://(?:[^@/]*@)?([^/:?]+)(?::(\\d+))?");
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

  private RestoreCommands() {}

  /** One command: what it does, the command line, and what to know before running it (or null). */
  public record Command(String title, String line, String note) {}

  /**
   * The commands for {@code ref} in the repository at {@code repository} (a location without
   * credentials); {@code window} is the snapshot's recoverable window, or null.
   */
  public static List<Command> of(String repository, SnapshotRef ref, RecoverableWindow window) {
    Snapshot s = ref.snapshot();
    String id = ref.id().hex();
    String shortId = id.substring(0, 8);
    String base = "roadie restore " + id + " --repo " + quote(repository);
    Map<String, Object> src = s.source() == null ? Map.of() : s.source();
    List<Command> out = new ArrayList<>();
    switch (s.kind()) {
      case "file" ->
          out.add(
              new Command(
                  "Into a new directory",
                  base + " --target " + quote("/tmp/restore-" + shortId),
                  "the snapshot's top-level entries are created in the directory"));
      case "postgres" -> {
        Matcher m = PG.matcher(s.target());
        if (!m.find()) {
          m = PG.matcher(String.valueOf(src.getOrDefault("url", "")));
          if (!m.find()) m = null;
        }
        String host = m == null ? "localhost" : m.group(1);
        String port = m != null && m.group(2) != null ? m.group(2) : "5432";
        String db =
            src.get("database") != null
                ? src.get("database").toString()
                : m != null && m.group(3) != null && !m.group(3).isEmpty() ? m.group(3) : "db";
        String newDb = db + "_restored_" + shortId;
        out.add(
            new Command(
                "To a new database on the same server",
                base + " --to " + quote("postgresql://postgres@" + host + ":" + port + "/" + newDb),
                "creates database "
                    + newDb
                    + "; the password is found as for the backup (PGPASSWORD, PGPASSFILE); "
                    + "pass --pg-bin DIR when pg_restore is elsewhere"));
      }
      case "postgres-physical" -> {
        String dir = "/var/lib/postgresql/restore-" + shortId;
        out.add(
            new Command(
                "To a new data directory, to the end of the backup",
                base + " --pgdata " + quote(dir) + " --target immediate",
                "then start it: pg_ctl -D " + dir + " start (as the postgres user)"));
        if (window != null && window.complete()) {
          out.add(
              new Command(
                  "To a point in time (the newest this repository reaches)",
                  base
                      + " --pgdata "
                      + quote(dir)
                      + " --target-time "
                      + quote(window.to())
                      + " --target-action promote",
                  "any time from "
                      + window.from()
                      + " to "
                      + window.to()
                      + " works; then pg_ctl -D "
                      + dir
                      + " start"));
        }
      }
      case "redis" -> {
        out.add(
            new Command(
                "As a dump.rdb file",
                base + " --rdb-file " + quote("/tmp/restore-" + shortId + "/dump.rdb"),
                "for an offline restore: stop the server, put the file in its dir, start it"));
        Matcher m = REDIS.matcher(s.target());
        if (m.find()) {
          String port = m.group(2) != null ? m.group(2) : "6379";
          out.add(
              new Command(
                  "Into a running server",
                  base + " --to " + quote("redis://" + m.group(1) + ":" + port),
                  "refused while the server has keys: add --flush to empty it first or --merge to keep its other keys"));
        }
      }
      case "bucket" -> {
        String loc =
            src.get("location") == null ? null : Redact.url(src.get("location").toString());
        if (loc != null) {
          String to = loc.replaceAll("/+$", "") + "-restored-" + shortId;
          if (src.get("prefix") != null && !src.get("prefix").toString().isEmpty())
            to = loc.replaceAll("/+$", "") + "/restored-" + shortId;
          out.add(
              new Command(
                  "Into a new bucket (or prefix)",
                  base + " --to " + quote(to),
                  "the bucket must exist; credentials as for the backup"));
        }
        out.add(
            new Command(
                "As files in a directory",
                base + " --target " + quote("/tmp/restore-" + shortId),
                null));
      }
      case "k8s" -> {
        Object ns = src.get("namespaces");
        StringBuilder mapping = new StringBuilder();
        if (ns instanceof Collection<?> c) {
          for (Object n : c)
            mapping.append(" --namespace-mapping ").append(quote(n + ":" + n + "-restored"));
        }
        out.add(
            new Command(
                "Into another namespace (dry run first)",
                base + " --to-cluster" + mapping + " --dry-run",
                "drop --dry-run to create the objects; --context C picks another cluster"));
        out.add(
            new Command(
                "As YAML files",
                base + " --target " + quote("/tmp/restore-" + shortId),
                "for kubectl apply -R -f"));
      }
      default ->
          out.add(
              new Command(
                  "Into a new directory",
                  base + " --target " + quote("/tmp/restore-" + shortId),
                  null));
    }
    return out;
  }

  /** A shell word: as is when it needs no quoting, else in single quotes. */
  static String quote(String word) {
    if (SAFE.matcher(word).matches()) return word;
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
