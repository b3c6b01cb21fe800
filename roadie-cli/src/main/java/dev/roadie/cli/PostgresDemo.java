package dev.roadie.cli;

import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.PostgresBackup;
import dev.roadie.postgres.PostgresRestore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The PostgreSQL part of {@code roadie demo}: a throwaway cluster (initdb in the demo directory, a
 * free port on 127.0.0.1, a random password), a small festival database backed up and restored into
 * a second database, row counts compared; the cluster is stopped afterwards.
 */
final class PostgresDemo {
  private PostgresDemo() {}

  static Path findBin() {
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) return null;
    try (Stream<Path> s = Files.list(base)) {
      return s.map(p -> p.resolve("bin"))
          .filter(p -> Files.isExecutable(p.resolve("initdb")))
          .max(Comparator.comparing(Path::toString))
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** Returns false when the round trip did not match. */
  static boolean run(Path base, Repository repo, java.util.function.Consumer<String> say)
      throws Exception {
    Path bin = findBin();
    if (bin == null) {
      say.accept(
          "$ (PostgreSQL part skipped: PostgreSQL's binaries are not installed; "
              + "install them with 'apt-get install postgresql' to see roadie back up and restore a database)");
      return true;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = base.resolve("postgres");
    Files.createDirectories(dir);
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    Files.writeString(dir.resolve("pw"), password + "\n");
    if (root) exec(List.of("chown", "-R", "postgres", dir.toString()), false);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    say.accept(
        "$ (a throwaway PostgreSQL cluster: initdb "
            + dir.resolve("data")
            + ", port "
            + port
            + ")");
    try {
      exec(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              "postgres",
              "--pwfile=" + dir.resolve("pw"),
              "--auth-host=scram-sha-256",
              "--auth-local=trust",
              "-E",
              "UTF8",
              "--no-sync"),
          root);
    } catch (IOException e) {
      say.accept(
          "  (PostgreSQL part skipped: initdb failed"
              + (root ? " as user postgres; is " + dir + " reachable by it?" : "")
              + ": "
              + e.getMessage().lines().findFirst().orElse("")
              + ")");
      return true;
    }
    Files.deleteIfExists(dir.resolve("pw"));
    exec(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-l",
            dir.resolve("log").toString(),
            "-o",
            "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start"),
        root);
    try {
      PgConn admin =
          PgConn.parse("postgresql://postgres:" + password + "@127.0.0.1:" + port + "/postgres");
      try (Connection c = admin.connect();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE festival");
      }
      try (Connection c = admin.withDatabase("festival").connect();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE, joined timestamptz);"
                + "CREATE TABLE tickets (id uuid PRIMARY KEY, user_id bigint REFERENCES users, kind text, price numeric(8,2));"
                + "INSERT INTO users (email, joined) SELECT 'fan' || g || '@example.org', now() - g * interval '1 hour' "
                + "FROM generate_series(1, 5000) g;"
                + "INSERT INTO tickets SELECT gen_random_uuid(), 1 + g % 5000, (ARRAY['day','weekend','vip'])[1 + g % 3], 49 + g % 150 "
                + "FROM generate_series(1, 50000) g");
      }
      String url = "postgresql://postgres@127.0.0.1:" + port + "/festival";
      say.accept("$ PGPASSWORD=... roadie backup postgres --url " + url);
      PgConn src = admin.withDatabase("festival");
      Id id =
          new PostgresBackup(repo, new Progress())
              .run(
                  new PostgresBackup.Options(
                      src,
                      null,
                      Runtime.getRuntime().availableProcessors(),
                      List.of(),
                      List.of(),
                      false,
                      false,
                      "native",
                      null,
                      List.of("demo"),
                      java.time.OffsetDateTime.now().toString()));
      var s = repo.readSnapshot(id).snapshot();
      say.accept(
          "  snapshot "
              + id.shortHex()
              + ": PostgreSQL "
              + s.source().get("serverVersion")
              + ", "
              + rowCounts(s.source().get("tables"))
              + ", "
              + Format.bytes(s.stats().bytesRead())
              + " read, "
              + Format.bytes(s.stats().bytesAdded())
              + " added");
      say.accept(
          "$ roadie restore "
              + id.shortHex()
              + " --to postgresql://postgres@127.0.0.1:"
              + port
              + "/festival_restored");
      PgConn dst = admin.withDatabase("festival_restored");
      var r =
          new PostgresRestore(repo, new Progress())
              .restore(
                  s,
                  new PostgresRestore.Options(
                      dst,
                      List.of(),
                      false,
                      false,
                      false,
                      Runtime.getRuntime().availableProcessors(),
                      null));
      String a = counts(src);
      String b = counts(dst);
      say.accept(
          "  restored "
              + Plural.count(r.tables(), "table")
              + ", "
              + Plural.count(r.rows(), "row")
              + "; source: "
              + a);
      say.accept("  restored: " + b);
      if (!a.equals(b)) {
        say.accept("  MISMATCH: the restored database differs");
        return false;
      }
      return true;
    } finally {
      exec(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-m",
              "fast",
              "-w",
              "stop"),
          root);
      say.accept("  (cluster stopped)");
    }
  }

  /**
   * The row counts the backup recorded (source metadata {@code tables}: table to rows and bytes),
   * as "2 tables (public.tickets: 50000 rows, public.users: 5000 rows)".
   */
  static String rowCounts(Object tables) {
    if (!(tables instanceof Map<?, ?> m)) return "no row counts recorded";
    List<String> each = new ArrayList<>();
    for (Map.Entry<?, ?> e : new java.util.TreeMap<>(m).entrySet()) {
      Object rows = e.getValue() instanceof Map<?, ?> t ? t.get("rows") : null;
      each.add(
          e.getKey()
              + ": "
              + (rows instanceof Number n ? Plural.count(n.longValue(), "row") : "? rows"));
    }
    return Plural.count(m.size(), "table")
        + (each.isEmpty() ? "" : " (" + String.join(", ", each) + ")");
  }

  private static String counts(PgConn c) throws Exception {
    try (Connection conn = c.connect();
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM tickets) "
                    + "|| ' tickets, ticket sum ' || (SELECT sum(price) FROM tickets) || ', next user id ' "
                    + "|| (SELECT last_value FROM users_id_seq)")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void exec(List<String> cmd, boolean asPostgres)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (asPostgres) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(cmd);
    Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0)
      throw new IOException(String.join(" ", cmd.subList(0, 1)) + " failed: " + out);
  }
}
