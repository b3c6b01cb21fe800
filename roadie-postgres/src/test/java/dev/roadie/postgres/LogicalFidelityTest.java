package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Databases whose restored copy once differed from the original although backup and restore both
 * reported success.
 */
class LogicalFidelityTest {
  static PgCluster pg;
  static Repository repo;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    pg = PgCluster.start();
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (repo != null) repo.close();
    if (pg != null) pg.close();
  }

  static Id backup(String db) throws Exception {
    return backup(db, 2);
  }

  static Id backup(String db, int jobs) throws Exception {
    return new PostgresBackup(repo, new Progress())
        .run(
            new PostgresBackup.Options(
                pg.conn(db),
                null,
                jobs,
                List.of(),
                List.of(),
                false,
                false,
                "native",
                null,
                List.of(),
                "2026-01-01T00:00:00Z"));
  }

  static PostgresRestore.Result restore(Id id, String db) throws Exception {
    return new PostgresRestore(repo, new Progress())
        .restore(
            repo.readSnapshot(id).snapshot(),
            new PostgresRestore.Options(pg.conn(db), List.of(), false, false, false, 2, null));
  }

  static List<String> rows(String db, String sql) throws Exception {
    try (Connection c = pg.jdbc(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) out.add(rs.getString(1));
      return out;
    }
  }

  /**
   * "a.b"."c" and "a"."b.c" are both "a.b.c" when schema and name are joined with a dot: each keeps
   * its own rows, and the snapshot counts them apart.
   */
  @Test
  void tablesWhoseDottedNamesCoincideKeepTheirOwnRows() throws Exception {
    pg.sql("postgres", "CREATE DATABASE dots");
    pg.sql(
        "dots",
        "CREATE SCHEMA \"a.b\"; CREATE SCHEMA a; "
            + "CREATE TABLE \"a.b\".c (id int, v text); CREATE TABLE a.\"b.c\" (id int, v text); "
            + "INSERT INTO \"a.b\".c VALUES (1, 'of a.b'); "
            + "INSERT INTO a.\"b.c\" VALUES (2, 'of a'), (3, 'of a too')");
    Id id = backup("dots");
    PostgresRestore.Result r = restore(id, "dots_copy");
    for (String table : List.of("\"a.b\".c", "a.\"b.c\"")) {
      String sql = "SELECT x::text FROM " + table + " x ORDER BY 1";
      assertEquals(rows("dots", sql), rows("dots_copy", sql), table);
    }
    assertEquals(2, r.tables());

    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> counts =
        (Map<String, Map<String, Object>>) repo.readSnapshot(id).snapshot().source().get("tables");
    assertEquals(2, counts.size(), counts.toString());
    assertEquals(1, ((Number) counts.get("\"a.b\".\"c\"").get("rows")).intValue());
    assertEquals(2, ((Number) counts.get("\"a\".\"b.c\"").get("rows")).intValue());
  }

  /**
   * An extension's configuration table (pg_extension_config_dump) holds the rows a user added,
   * which CREATE EXTENSION does not make (pg_cron's jobs, pg_partman's settings): they are data,
   * and come back next to the extension's own rows, as pg_dump brings them back. The extension is
   * written into the server's share directory for the test, so the test runs where that is writable
   * (as root).
   */
  @Test
  void rowsUsersAddedToAnExtensionsConfigurationTableAreRestored() throws Exception {
    Path extensions =
        Path.of(rows("postgres", "SELECT setting FROM pg_config() WHERE name = 'SHAREDIR'").get(0))
            .resolve("extension");
    assumeTrue(Files.isWritable(extensions), extensions + " is not writable");
    Path control = extensions.resolve("roadie_test_config.control");
    Path script = extensions.resolve("roadie_test_config--1.0.sql");
    try {
      Files.writeString(control, "default_version = '1.0'\nrelocatable = false\nschema = public\n");
      Files.writeString(
          script,
          "CREATE TABLE jobs (id serial PRIMARY KEY, name text, builtin boolean DEFAULT false);\n"
              + "SELECT pg_catalog.pg_extension_config_dump('jobs', 'WHERE NOT builtin');\n"
              + "SELECT pg_catalog.pg_extension_config_dump('jobs_id_seq', '');\n"
              + "CREATE TABLE settings (k text PRIMARY KEY, v text);\n"
              + "SELECT pg_catalog.pg_extension_config_dump('settings', '');\n"
              + "INSERT INTO jobs (name, builtin) VALUES ('vacuum', true);\n");
      pg.sql("postgres", "CREATE DATABASE ext");
      pg.sql(
          "ext",
          "CREATE EXTENSION roadie_test_config; "
              + "INSERT INTO jobs (name) VALUES ('nightly report'), ('hourly sync'); "
              + "INSERT INTO settings VALUES ('mode', 'fast'); "
              + "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)");
      Id id = backup("ext");
      restore(id, "ext_copy");
      for (String sql :
          List.of(
              "SELECT x::text FROM jobs x ORDER BY 1",
              "SELECT x::text FROM settings x ORDER BY 1",
              "SELECT last_value::text FROM jobs_id_seq",
              "SELECT x::text FROM orders x ORDER BY 1")) {
        assertEquals(rows("ext", sql), rows("ext_copy", sql), sql);
      }
      assertTrue(rows("ext_copy", "SELECT name FROM jobs").contains("nightly report"));
      dev.roadie.core.source.Check counts =
          LogicalVerify.rowCounts(repo, repo.readSnapshot(id), pg.conn("ext_copy"), 2);
      assertEquals(List.of(), counts.details(), counts.summary());
    } finally {
      Files.deleteIfExists(control);
      Files.deleteIfExists(script);
    }
  }

  /**
   * A database that takes its collation from ICU (PostgreSQL 15+) is restored as one: a libc "C"
   * copy would put 'B' before 'a' and 'ä' after 'z', so ORDER BY, comparisons and the ranges of
   * text partitions would no longer be the original's.
   */
  @Test
  void aDatabaseWithAnIcuLocaleIsRestoredWithIt() throws Exception {
    assumeTrue(
        Integer.parseInt(rows("postgres", "SHOW server_version_num").get(0)) >= 150000,
        "ICU database locales need PostgreSQL 15");
    assumeTrue(
        !rows("postgres", "SELECT 1 FROM pg_collation WHERE collprovider = 'i' LIMIT 1").isEmpty(),
        "this server has no ICU");
    pg.sql(
        "postgres",
        "CREATE DATABASE sorted TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LOCALE 'C'");
    pg.sql(
        "sorted",
        "CREATE TABLE words (w text PRIMARY KEY); "
            + "INSERT INTO words VALUES ('a'), ('B'), ('z'), ('ä'), ('Zoo')");
    String order = "SELECT string_agg(w, ' ' ORDER BY w) FROM words";
    assertEquals(List.of("a ä B z Zoo"), rows("sorted", order));
    restore(backup("sorted"), "sorted_copy");
    String locale =
        "SELECT (j ->> 'datlocprovider') || ' ' || coalesce(j ->> 'datlocale', j ->> 'daticulocale') "
            + "FROM (SELECT to_jsonb(d) j FROM pg_database d WHERE datname = current_database()) x";
    assertEquals(rows("sorted", locale), rows("sorted_copy", locale));
    assertEquals(List.of("a ä B z Zoo"), rows("sorted_copy", order));
  }

  /**
   * money is written in lc_monetary's form, and read only in the session's own: a database whose
   * lc_monetary is not the server's (ALTER DATABASE ... SET, applied to the copy only once its rows
   * are in) must still load.
   */
  @Test
  void moneyOfADatabaseWithItsOwnMonetaryLocaleLoads() throws Exception {
    String locale = null;
    for (String candidate : List.of("de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8")) {
      try {
        pg.sql("postgres", "SET lc_monetary = '" + candidate + "'");
        locale = candidate;
        break;
      } catch (java.sql.SQLException notInstalled) {
        // try the next one
      }
    }
    assumeTrue(locale != null, "no de_DE or fr_FR locale on this system");
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql("postgres", "ALTER DATABASE shop SET lc_monetary = '" + locale + "'");
    pg.sql(
        "shop",
        "CREATE TABLE prices (id int, p money); INSERT INTO prices VALUES (1, 1234.56), (2, -0.5)");
    String sql = "SELECT p::numeric::text FROM prices ORDER BY id";
    assertEquals(List.of("1234.56", "-0.50"), rows("shop", sql));
    restore(backup("shop"), "shop_copy");
    assertEquals(List.of("1234.56", "-0.50"), rows("shop_copy", sql));
  }

  /**
   * Roles belong to the server, not to a database's backup: a restore onto a server that lacks the
   * owner of the snapshot's objects fails at the schema, naming the role and what to do.
   */
  @Test
  void aRestoreOntoAServerWithoutTheOwnerRoleSaysToCreateIt() throws Exception {
    pg.sql("postgres", "CREATE ROLE \"app owner\"");
    pg.sql("postgres", "CREATE DATABASE owned OWNER \"app owner\"");
    pg.sql(
        "owned",
        "CREATE TABLE t (i int); ALTER TABLE t OWNER TO \"app owner\"; INSERT INTO t VALUES (1)");
    Id id = backup("owned");
    pg.sql("postgres", "DROP DATABASE owned");
    pg.sql("postgres", "DROP ROLE \"app owner\"");
    dev.roadie.core.RoadieException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.roadie.core.RoadieException.class, () -> restore(id, "owned_copy"));
    assertTrue(
        e.getMessage().contains("create role \"app owner\" (and the snapshot's other roles)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("rerun the restore with --clean"), e.getMessage());
  }

  /** Sessions waiting for a lock on the table. */
  static int waiting(String db, String table) throws Exception {
    return Integer.parseInt(
        rows(
                db,
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    + "WHERE NOT l.granted AND c.relname = '"
                    + table
                    + "'")
            .get(0));
  }

  /**
   * TRUNCATE (like an ALTER TABLE that rewrites) is not MVCC-safe: a scan under a snapshot older
   * than its commit finds the table empty. One committed while the backup is under way must not
   * leave the table stored empty: the backup holds every table's lock, as pg_dump does, so the
   * table comes back as it was at the backup's snapshot, or at one after the TRUNCATE.
   */
  @Test
  void aTableTruncatedDuringTheBackupIsNotStoredEmpty() throws Exception {
    pg.sql("postgres", "CREATE DATABASE busy");
    pg.sql(
        "busy",
        "CREATE TABLE first (id int, pad text); "
            + "INSERT INTO first SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g; "
            + "CREATE TABLE small (id int PRIMARY KEY, v int); "
            + "INSERT INTO small SELECT g, 1 FROM generate_series(1, 1000) g");
    Id id;
    // A thread each: the common pool may have a single one on a small machine.
    java.util.concurrent.Executor own = r -> Thread.ofPlatform().start(r);
    try (Connection holder = pg.jdbc("busy")) {
      // Another session holds the larger table, which the backup copies first, so the backup
      // stops at it; meanwhile small is truncated and refilled.
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("LOCK TABLE first IN ACCESS EXCLUSIVE MODE");
      }
      java.util.concurrent.CompletableFuture<Id> backup =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return backup("busy", 1);
                } catch (Exception e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              },
              own);
      long until = System.nanoTime() + 30_000_000_000L;
      while (waiting("busy", "first") == 0 && System.nanoTime() < until) Thread.sleep(20);
      assertTrue(waiting("busy", "first") > 0, "the backup waits for the held table");
      java.util.concurrent.CompletableFuture<Void> truncate =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  pg.sql(
                      "busy",
                      "BEGIN; TRUNCATE small; "
                          + "INSERT INTO small SELECT g, 2 FROM generate_series(1, 10) g; COMMIT");
                } catch (java.sql.SQLException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              },
              own);
      // Done, or waiting for the backup's lock.
      while (!truncate.isDone() && waiting("busy", "small") == 0 && System.nanoTime() < until)
        Thread.sleep(20);
      holder.rollback();
      id = backup.get();
      truncate.get();
    }
    restore(id, "busy_copy");
    List<String> copy =
        rows("busy_copy", "SELECT count(*) || ' ' || min(v) || ' ' || max(v) FROM small");
    assertTrue(
        copy.equals(List.of("1000 1 1")) || copy.equals(List.of("10 2 2")),
        "small as before or after the TRUNCATE, not empty: " + copy);
  }
}
