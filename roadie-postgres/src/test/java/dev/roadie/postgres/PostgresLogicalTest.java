package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logical backup and restore against a PostgreSQL cluster this class starts itself. */
class PostgresLogicalTest {
  static PgCluster pg;
  static Repository repo;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    pg = PgCluster.start();
    pg.sql("postgres", "CREATE DATABASE rich");
    Path sql = Path.of(PostgresLogicalTest.class.getResource("/rich.sql").toURI());
    pg.client(
        "psql",
        List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "rich", "-f", sql.toString()),
        null);
    repo = Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (repo != null) repo.close();
    if (pg != null) pg.close();
  }

  /**
   * Small heap ranges, so that the bigger tables are copied as several streams (as >256 MiB tables
   * are).
   */
  static final long PART_BYTES = 256 << 10;

  /**
   * A small split size at restore, so that the largest table is loaded over several connections.
   */
  static final long SPLIT_BYTES = 64 << 10;

  static PostgresBackup backup() {
    return new PostgresBackup(repo, new Progress()).partBytes(PART_BYTES);
  }

  static PostgresRestore restorer() {
    return new PostgresRestore(repo, new Progress()).splitBytes(SPLIT_BYTES);
  }

  static Id backup(String db, int jobs, String format, List<String> tables) throws Exception {
    return backup(db, jobs, format, tables, PART_BYTES);
  }

  static Id backup(String db, int jobs, String format, List<String> tables, long partBytes)
      throws Exception {
    return new PostgresBackup(repo, new Progress())
        .partBytes(partBytes)
        .run(
            new PostgresBackup.Options(
                pg.conn(db),
                null,
                jobs,
                tables,
                List.of(),
                false,
                false,
                format,
                null,
                List.of(),
                "2026-01-01T00:00:00Z"));
  }

  static Snapshot snapshot(Id id) throws Exception {
    return repo.readSnapshot(id).snapshot();
  }

  static PostgresRestore.Result restore(Id id, String db, boolean clean, List<String> tables)
      throws Exception {
    return restorer()
        .restore(
            snapshot(id),
            new PostgresRestore.Options(pg.conn(db), tables, clean, false, false, 3, null));
  }

  /**
   * pg_dump of a whole database (schema, data, sequences, large objects) minus the random \restrict
   * key.
   */
  static String fullDump(String db) throws Exception {
    return pg.client("pg_dump", List.of("-d", db), null)
        .lines()
        .filter(l -> !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
        .collect(Collectors.joining("\n"));
  }

  /**
   * Same schema, rows, sequence values and large objects. The dumps' lines are compared as sorted
   * lists: a table loaded over several connections holds its rows in another physical order, which
   * is the order pg_dump writes them in.
   */
  static void assertSameDatabase(String expected, String actual) throws Exception {
    assertEquals(schemaDump(expected), schemaDump(actual));
    assertEquals(sortedRows(expected), sortedRows(actual));
    assertEquals(
        fullDump(expected).lines().sorted().toList(),
        fullDump(actual).lines().sorted().toList(),
        "sequences, large objects and data identical");
  }

  static String schemaDump(String db) throws Exception {
    return pg.client("pg_dump", List.of("--schema-only", "-d", db), null)
        .lines()
        .filter(l -> !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
        .collect(Collectors.joining("\n"));
  }

  /** Every table's rows, sorted, as text. */
  static String sortedRows(String db) throws Exception {
    StringBuilder b = new StringBuilder();
    try (Connection c = pg.jdbc(db);
        Statement st = c.createStatement()) {
      List<String> tables;
      try (ResultSet rs =
          st.executeQuery(
              "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n "
                  + "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                  + "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1")) {
        tables = new java.util.ArrayList<>();
        while (rs.next()) tables.add(rs.getString(1));
      }
      for (String t : tables) {
        b.append("== ").append(t).append('\n');
        try (ResultSet rs = st.executeQuery("SELECT x::text FROM " + t + " x ORDER BY 1")) {
          while (rs.next()) b.append(rs.getString(1)).append('\n');
        }
      }
      try (ResultSet rs =
          st.executeQuery("SELECT oid, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY 1")) {
        while (rs.next())
          b.append("lo ").append(rs.getLong(1)).append(' ').append(rs.getString(2)).append('\n');
      }
    }
    return b.toString();
  }

  @Test
  void richDatabaseRoundTripIsExact() throws Exception {
    Id id = backup("rich", 3, "native", List.of());
    Snapshot s = snapshot(id);
    assertEquals("postgres", s.kind());
    assertTrue(
        ((String) s.source().get("serverVersion"))
            .startsWith(pg.bin.getParent().getFileName().toString()));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> tables =
        (Map<String, Map<String, Object>>) s.source().get("tables");
    assertEquals(3000, ((Number) tables.get("public.users").get("rows")).intValue());
    assertEquals(20000, ((Number) tables.get("public.tickets").get("rows")).intValue());
    assertEquals(3, ((Number) tables.get("public.no_columns").get("rows")).intValue());
    assertEquals(2, ((Number) tables.get("Festival Ops.Stage.Plan").get("rows")).intValue());
    assertFalse(
        tables.containsKey("public.measurements"), "a partitioned parent has no rows of its own");
    assertTrue(
        repo
            .readTree(
                Id.parse(
                    repo.readTree(Id.parse(s.tree())).nodes().stream()
                        .filter(n -> n.name().equals("tables"))
                        .findFirst()
                        .orElseThrow()
                        .subtree()))
            .nodes()
            .stream()
            .anyMatch(n -> n.name().equals("public.tickets#000001")),
        "tickets is copied as several heap ranges");

    PostgresRestore.Result whole = restore(id, "rich_copy", false, List.of());
    assertTrue(
        whole.notes().stream().anyMatch(n -> n.contains("public.tickets (shared)")),
        whole.notes().toString());
    assertEquals(schemaDump("rich"), schemaDump("rich_copy"));
    assertEquals(sortedRows("rich"), sortedRows("rich_copy"));
    assertSameDatabase("rich", "rich_copy");

    // Non-empty target: refused without --clean, replaced with it.
    RoadieException e =
        assertThrows(RoadieException.class, () -> restore(id, "rich_copy", false, List.of()));
    assertTrue(e.getMessage().contains("--clean"), e.getMessage());
    restore(id, "rich_copy", true, List.of());
    assertSameDatabase("rich", "rich_copy");

    // A dropped table comes back alone, with its indexes, constraints and triggers.
    pg.sql("rich_copy", "DROP TABLE tickets CASCADE; CREATE VIEW recent_tickets AS SELECT 1 AS x");
    pg.sql("rich_copy", "DROP VIEW recent_tickets");
    RoadieException exists =
        assertThrows(
            RoadieException.class, () -> restore(id, "rich_copy", false, List.of("users")));
    assertTrue(exists.getMessage().contains("public.users"), exists.getMessage());
    PostgresRestore.Result r = restore(id, "rich_copy", false, List.of("tickets"));
    assertTrue(
        r.notes().stream().anyMatch(n -> n.contains("public.tickets (shared)")),
        "one table alone is shared too");
    assertEquals(1, r.tables());
    assertEquals(20000, r.rows());
    String copy = schemaDump("rich_copy");
    assertTrue(copy.contains("CREATE INDEX tickets_user_idx"), copy);
    assertTrue(copy.contains("tickets_festival_id_fkey"));
    assertTrue(copy.contains("CREATE TRIGGER tickets_touch"));
    try (Connection c = pg.jdbc("rich_copy");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT id) FROM tickets")) {
      rs.next();
      assertEquals(20000, rs.getInt(1));
    }

    // dump --sql: one script psql loads into an empty database.
    Path sql = tmp.resolve("rich.sql");
    try (OutputStream out = Files.newOutputStream(sql)) {
      restorer().writeSql(s, out, null);
    }
    pg.sql("postgres", "CREATE DATABASE rich_sql");
    pg.client(
        "psql",
        List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "rich_sql", "-f", sql.toString()),
        null);
    assertEquals(fullDump("rich"), fullDump("rich_sql"));
  }

  /**
   * Owner, connection limit, tablespace, comment, privileges and settings (database-wide and per
   * role), as pg_restore --create brings them back: into a new database, and with --clean into the
   * original one. They are compared as PostgreSQL's catalogs show them.
   */
  static String databaseProperties(String db) throws Exception {
    try (Connection c = pg.jdbc("postgres");
        var ps =
            c.prepareStatement(
                "SELECT pg_get_userbyid(d.datdba), d.datconnlimit, "
                    + "t.spcname, d.datacl::text, shobj_description(d.oid, 'pg_database'), (SELECT string_agg(coalesce(r.rolname, '*') "
                    + "|| ':' || array_to_string(s.setconfig, ','), ' ; ' ORDER BY r.rolname NULLS FIRST) FROM pg_db_role_setting s "
                    + "LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = d.oid) FROM pg_database d "
                    + "JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = ?")) {
      ps.setString(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), db);
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 6; i++) b.append(rs.getString(i)).append('\n');
        return b.toString();
      }
    }
  }

  @Test
  void databaseSettingsCommentOwnerAndPrivilegesAreRestored() throws Exception {
    Path space = Files.createDirectories(pg.dir.resolve("props_space"));
    if ("root".equals(System.getProperty("user.name"))) {
      assertEquals(0, new ProcessBuilder("chown", "postgres", space.toString()).start().waitFor());
    }
    pg.sql(
        "postgres", "CREATE ROLE props_app LOGIN; CREATE ROLE props_owner; CREATE ROLE props_gone");
    pg.sql("postgres", "CREATE TABLESPACE props_space LOCATION '" + space + "'");
    pg.sql(
        "postgres",
        "CREATE DATABASE props OWNER props_owner CONNECTION LIMIT 7 TABLESPACE props_space");
    pg.sql(
        "postgres",
        "ALTER DATABASE props SET work_mem = '64MB'; "
            + "ALTER DATABASE props SET search_path = app, \"$user\", \"Odd, \"\"name\"\"\", public; "
            + "ALTER ROLE props_app IN DATABASE props SET statement_timeout = '5s'; "
            + "COMMENT ON DATABASE props IS 'the props''s database'; "
            + "REVOKE CONNECT ON DATABASE props FROM PUBLIC; GRANT CONNECT ON DATABASE props TO props_app; "
            + "GRANT CREATE ON DATABASE props TO props_app WITH GRANT OPTION; GRANT CONNECT ON DATABASE props TO props_gone");
    pg.sql("props", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
    String original = databaseProperties("props");
    assertTrue(
        original.contains("work_mem=64MB") && original.contains("props_app=C*c/props_owner"),
        original);
    Id id = backup("props", 1, "native", List.of());

    PostgresRestore.Result copy = restore(id, "props_copy", false, List.of());
    assertEquals(original, databaseProperties("props_copy"));
    assertTrue(copy.warnings().isEmpty(), copy.warnings().toString());

    // --clean into the original: dropped, recreated, and given its properties back.
    PostgresRestore.Result clean = restore(id, "props", true, List.of());
    assertTrue(
        clean.notes().contains("dropped and recreated database props"), clean.notes().toString());
    assertEquals(original, databaseProperties("props"));
    assertEquals(2, clean.rows());

    // A role the snapshot grants to is gone: the data comes back, the grant is named as left out.
    pg.sql(
        "postgres",
        "REVOKE ALL ON DATABASE props FROM props_gone; REVOKE ALL ON DATABASE props_copy FROM props_gone; "
            + "DROP ROLE props_gone");
    PostgresRestore.Result gone = restore(id, "props_gone_copy", false, List.of());
    assertEquals(2, gone.rows());
    assertTrue(
        gone.warnings().stream()
            .anyMatch(w -> w.contains("props_gone") && w.contains("GRANT CONNECT")),
        gone.warnings().toString());
    assertEquals(
        original.replace(",props_gone=c/props_owner", ""), databaseProperties("props_gone_copy"));
  }

  static String query(String db, String sql) throws Exception {
    try (Connection c = pg.jdbc(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<String> out = new java.util.ArrayList<>();
      while (rs.next()) out.add(rs.getString(1));
      return String.join(",", out);
    }
  }

  static final String FOREIGN_KEYS =
      "SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1";
  static final String TICKETS_INDEXES =
      "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets' ORDER BY 1";

  /**
   * --table of a table with foreign keys to tables that are not restored: its rows, indexes and the
   * foreign keys whose referenced tables exist in the target come back; the others are named.
   */
  @Test
  void aTableWithForeignKeysToTablesNotRestoredComesBackWithItsRows() throws Exception {
    Id id = backup("rich", 2, "native", List.of());
    // Into an empty database: neither festivals nor users (nor the trigger's function) is there.
    PostgresRestore.Result alone = restore(id, "tickets_alone", false, List.of("tickets"));
    assertEquals(20000, alone.rows());
    assertEquals("20000", query("tickets_alone", "SELECT count(*) FROM tickets"));
    assertEquals("tickets_pkey,tickets_user_idx", query("tickets_alone", TICKETS_INDEXES));
    assertEquals("", query("tickets_alone", FOREIGN_KEYS));
    String w = String.join("\n", alone.warnings());
    assertTrue(
        w.contains(
            "foreign key tickets_festival_id_fkey on public.tickets: relation \"public.festivals\" does not exist"),
        w);
    assertTrue(w.contains("foreign key tickets_user_id_fkey on public.tickets"), w);
    assertTrue(w.contains("trigger tickets_touch on public.tickets"), w);

    // Into a database that has festivals: that foreign key is made, the one to users is left out.
    restore(id, "tickets_fest", false, List.of("festivals"));
    PostgresRestore.Result fest = restore(id, "tickets_fest", false, List.of("tickets"));
    assertEquals(20000, fest.rows());
    assertEquals("tickets_festival_id_fkey", query("tickets_fest", FOREIGN_KEYS));
    assertEquals("tickets_pkey,tickets_user_idx", query("tickets_fest", TICKETS_INDEXES));
    String wf = String.join("\n", fest.warnings());
    assertFalse(wf.contains("tickets_festival_id_fkey"), wf);
    assertTrue(
        wf.contains(
            "foreign key tickets_user_id_fkey on public.tickets: relation \"public.users\" does not exist"),
        wf);
  }

  @Test
  void oneStreamPerTableIsSharedAtRestoreAndLongRowsSurvive() throws Exception {
    // Snapshots written before tables were split (or of small tables) hold one stream per table; a
    // row longer than a load batch (256 KiB) must not be cut.
    pg.sql("postgres", "CREATE DATABASE wide");
    pg.sql(
        "wide",
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, tag text);"
            + "INSERT INTO notes SELECT g, CASE WHEN g % 5000 = 2500 THEN repeat(md5(g::text) || E'\\n\\t', 40000) "
            + "ELSE 'line ' || g || E'\nwith a newline and a tab\t' END, CASE WHEN g % 3 = 0 THEN NULL ELSE 'x' END "
            + "FROM generate_series(1, 30000) g;"
            + "CREATE INDEX notes_tag_idx ON notes (tag)");
    Id id;
    id = backup("wide", 2, "native", List.of(), Long.MAX_VALUE);
    Snapshot s = snapshot(id);
    assertTrue(
        repo
            .readTree(
                Id.parse(
                    repo.readTree(Id.parse(s.tree())).nodes().stream()
                        .filter(n -> n.name().equals("tables"))
                        .findFirst()
                        .orElseThrow()
                        .subtree()))
            .nodes()
            .stream()
            .noneMatch(n -> n.name().contains("#")),
        "one stream per table");
    PostgresRestore.Result r =
        restorer()
            .restore(
                s,
                new PostgresRestore.Options(
                    pg.conn("wide_copy"), List.of(), false, false, false, 2, null));
    assertTrue(
        r.notes().stream().anyMatch(n -> n.contains("public.notes (shared)")),
        r.notes().toString());
    assertEquals(30000, r.rows());
    assertSameDatabase("wide", "wide_copy");
    try (Connection c = pg.jdbc("wide_copy");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*), sum(length(body)), count(tag) FROM notes")) {
      rs.next();
      assertEquals(30000, rs.getLong(1));
      try (Connection o = pg.jdbc("wide");
          Statement so = o.createStatement();
          ResultSet ro = so.executeQuery("SELECT sum(length(body)), count(tag) FROM notes")) {
        ro.next();
        assertEquals(ro.getLong(1), rs.getLong(2));
        assertEquals(ro.getLong(2), rs.getLong(3));
      }
    }
  }

  @Test
  void lastNewlineEndsABatchAtARowEnd() {
    byte[] b = "a\tb\nc\\nd\ne".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(b.length - 1, TableLoad.lastNewline(b, b.length));
    assertEquals(4, TableLoad.lastNewline(b, 6));
    assertEquals(0, TableLoad.lastNewline(b, 3));
  }

  @Test
  void secondBackupOfUnchangedDatabaseAddsAlmostNothing() throws Exception {
    Id first = backup("rich", 2, "native", List.of());
    Id second = backup("rich", 2, "native", List.of());
    long added = snapshot(second).stats().bytesAdded();
    assertTrue(added < 64 * 1024, "second backup added " + added + " bytes");
    assertTrue(snapshot(first).stats().bytesRead() > 1_000_000);
  }

  /**
   * A second backup after rows were updated in place (scattered, and densely in the newest part of
   * the table) stores changed chunks as deltas against the first backup's table stream, and
   * restores to identical rows.
   */
  @Test
  void secondBackupAfterUpdatesStoresDeltasAndRestoresIdenticalRows() throws Exception {
    pg.sql("postgres", "CREATE DATABASE busy");
    pg.sql(
        "busy",
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload text, n int) WITH (fillfactor = 90); "
            + "INSERT INTO events SELECT i, 'kind-' || (i % 17), md5(i::text) || md5((i * 7)::text), i % 1000 "
            + "FROM generate_series(1, 60000) i");
    Id first = backup("busy", 2, "native", List.of());
    int deltasBefore = repo.index().deltaCount();
    pg.sql(
        "busy",
        "UPDATE events SET n = n + 1 WHERE id % 97 = 0; "
            + "UPDATE events SET payload = md5(payload) || 'x' WHERE id > 57000 AND id % 5 = 0; "
            + "INSERT INTO events SELECT i, 'new', md5(i::text), 0 FROM generate_series(60001, 60600) i");
    Id second = backup("busy", 2, "native", List.of());
    assertTrue(repo.index().deltaCount() > deltasBefore, "the second backup stored deltas");
    long a = snapshot(first).stats().bytesAdded();
    long b = snapshot(second).stats().bytesAdded();
    assertTrue(b < a / 2, "second backup added " + b + " bytes of the first's " + a);
    pg.sql("postgres", "CREATE DATABASE busy_copy");
    restore(second, "busy_copy", false, List.of());
    assertEquals(sortedRows("busy"), sortedRows("busy_copy"));
  }

  /**
   * The bench's busy day in small: a fifth of the rows of the table's newest part updated, so their
   * new versions move to the heap's end and their old places vanish from the stream. Changed chunks
   * are stored as deltas (against one parent chunk, or two when they span two); they restore to
   * identical rows.
   */
  @Test
  void rowsMovedToTheHeapsEndStoreDeltasAndRestoreIdenticalRows() throws Exception {
    pg.sql("postgres", "CREATE DATABASE moved");
    // Autovacuum off: a vacuum after the load would record the pages' small free space, and some
    // new row versions would land there instead of at the heap's end.
    pg.sql(
        "moved",
        "CREATE TABLE tickets (id bigint PRIMARY KEY, kind text, payload text, scanned timestamptz) "
            + "WITH (autovacuum_enabled = false); "
            + "INSERT INTO tickets SELECT i, 'kind-' || (i % 17), md5(i::text) || md5((i * 7)::text), NULL "
            + "FROM generate_series(1, 60000) i");
    backup("moved", 2, "native", List.of());
    long before = repo.index().deltaCount();
    pg.sql("moved", "UPDATE tickets SET scanned = now() WHERE id > 57000 AND id % 5 = 0");
    Id second = backup("moved", 2, "native", List.of());
    // Whether a changed chunk spans two parent chunks (a two-base delta) varied between runs of the
    // whole suite and of this class alone; that the changes are stored as deltas does not.
    assertTrue(repo.index().deltaCount() > before, "the second backup stored deltas");
    pg.sql("postgres", "CREATE DATABASE moved_copy");
    restore(second, "moved_copy", false, List.of());
    assertEquals(sortedRows("moved"), sortedRows("moved_copy"));
  }

  @Test
  void schemaOnlyThenDataOnlyRestoreIsTheWholeDatabase() throws Exception {
    Id id = backup("rich", 2, "native", List.of());
    Snapshot s = snapshot(id);
    restorer()
        .restore(
            s,
            new PostgresRestore.Options(
                pg.conn("rich_two_steps"), List.of(), false, true, false, 2, null));
    assertEquals(
        schemaDump("rich").replace("REFRESH MATERIALIZED VIEW public.user_counts;", ""),
        schemaDump("rich_two_steps").replace("REFRESH MATERIALIZED VIEW public.user_counts;", ""));
    restorer()
        .restore(
            s,
            new PostgresRestore.Options(
                pg.conn("rich_two_steps"), List.of(), false, false, true, 2, null));
    assertSameDatabase("rich", "rich_two_steps");
  }

  @Test
  void pgDumpFormatIsReadByStockPgRestore() throws Exception {
    Id id = backup("rich", 1, "pg_dump", List.of());
    Path file = tmp.resolve("rich.dump");
    try (OutputStream out = Files.newOutputStream(file)) {
      restorer().writePgDump(snapshot(id), out);
    }
    pg.sql("postgres", "CREATE DATABASE rich_pgrestore");
    pg.client("pg_restore", List.of("-d", "rich_pgrestore", file.toString()), null);
    assertEquals(fullDump("rich"), fullDump("rich_pgrestore"));
  }

  @Test
  void tableFilterAtBackup() throws Exception {
    Id id = backup("rich", 2, "native", List.of("\"Festival Ops\".*", "measurements"));
    @SuppressWarnings("unchecked")
    Map<String, Object> tables = (Map<String, Object>) snapshot(id).source().get("tables");
    assertEquals(
        java.util.Set.of(
            "Festival Ops.Stage.Plan", "public.measurements_2025", "public.measurements_2026"),
        tables.keySet());
    restore(id, "filtered", false, List.of());
    try (Connection c = pg.jdbc("filtered");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM measurements), (SELECT count(*) FROM \"Festival Ops\".\"Stage.Plan\"), "
                    + "(SELECT count(*) FROM pg_tables WHERE tablename = 'users')")) {
      rs.next();
      assertEquals(5000, rs.getInt(1));
      assertEquals(2, rs.getInt(2));
      assertEquals(0, rs.getInt(3));
    }
  }

  @Test
  void backupIsConsistentUnderConcurrentTransfers() throws Exception {
    pg.sql("postgres", "CREATE DATABASE bank");
    pg.sql(
        "bank",
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, transfers int NOT NULL DEFAULT 0);"
            + "CREATE TABLE transfers (id bigserial PRIMARY KEY, src int, dst int, amount bigint);"
            + "CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 200000) g;"
            + "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 100) g");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<Thread> movers = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      movers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (Connection c = pg.jdbc("bank")) {
                      c.setAutoCommit(false);
                      try (var ps1 =
                              c.prepareStatement(
                                  "UPDATE accounts SET balance = balance - ?, transfers = transfers + 1 WHERE id = ?");
                          var ps2 =
                              c.prepareStatement(
                                  "UPDATE accounts SET balance = balance + ?, transfers = transfers + 1 WHERE id = ?");
                          var ps3 =
                              c.prepareStatement(
                                  "INSERT INTO transfers (src, dst, amount) VALUES (?, ?, ?)")) {
                        while (!stop.get()) {
                          int a = ThreadLocalRandom.current().nextInt(1, 101);
                          int b = ThreadLocalRandom.current().nextInt(1, 101);
                          long amt = ThreadLocalRandom.current().nextLong(1, 50);
                          ps1.setLong(1, amt);
                          ps1.setInt(2, a);
                          ps1.executeUpdate();
                          ps3.setInt(1, a);
                          ps3.setInt(2, b);
                          ps3.setLong(3, amt);
                          ps3.executeUpdate();
                          ps2.setLong(1, amt);
                          ps2.setInt(2, b);
                          ps2.executeUpdate();
                          try {
                            c.commit();
                            done.incrementAndGet();
                          } catch (java.sql.SQLException deadlock) {
                            c.rollback();
                          }
                        }
                      }
                    } catch (java.sql.SQLException e) {
                      if (!stop.get()) throw new RuntimeException(e);
                    }
                  }));
    }
    while (done.get() < 200) Thread.sleep(10);
    Id id;
    try {
      id = backup("bank", 3, "native", List.of());
    } finally {
      stop.set(true);
      for (Thread t : movers) t.join();
    }
    assertTrue(done.get() > 200);
    PostgresRestore.Result r = restore(id, "bank_copy", false, List.of());
    assertTrue(
        r.notes().stream().anyMatch(n -> n.contains("public.filler (shared)")),
        r.notes().toString());
    try (Connection c = pg.jdbc("bank_copy");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT sum(balance) FROM accounts), (SELECT sum(transfers) FROM accounts), "
                    + "(SELECT count(*) FROM transfers)")) {
      rs.next();
      assertEquals(100_000, rs.getLong(1), "money is neither created nor lost");
      assertEquals(
          2 * rs.getLong(3), rs.getLong(2), "accounts and the transfer log are from one snapshot");
    }
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> tables =
        (Map<String, Map<String, Object>>) snapshot(id).source().get("tables");
    try (Connection c = pg.jdbc("bank_copy");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM transfers")) {
      rs.next();
      assertEquals(
          rs.getLong(1), ((Number) tables.get("public.transfers").get("rows")).longValue());
    }
  }

  @Test
  void errorsSayWhatIsWrong() throws Exception {
    int closed = PgCluster.freePort();
    RoadieException unreachable =
        assertThrows(
            RoadieException.class,
            () ->
                backup()
                    .run(
                        new PostgresBackup.Options(
                            PgConn.parse(
                                "postgresql://postgres:pw@127.0.0.1:" + closed + "/x", Map.of()),
                            null,
                            1,
                            List.of(),
                            List.of(),
                            false,
                            false,
                            "native",
                            null,
                            List.of(),
                            "2026-01-01T00:00:00Z")));
    assertTrue(
        unreachable.getMessage().contains("cannot connect to PostgreSQL at 127.0.0.1:" + closed),
        unreachable.getMessage());

    RoadieException auth =
        assertThrows(
            RoadieException.class,
            () ->
                backup()
                    .run(
                        new PostgresBackup.Options(
                            PgConn.parse(
                                "postgresql://postgres:wrong-pw@127.0.0.1:" + pg.port + "/rich",
                                Map.of()),
                            null,
                            1,
                            List.of(),
                            List.of(),
                            false,
                            false,
                            "native",
                            null,
                            List.of(),
                            "2026-01-01T00:00:00Z")));
    assertTrue(
        auth.getMessage().contains("authentication failed for user 'postgres'"), auth.getMessage());
    assertFalse(auth.getMessage().contains("wrong-pw"));

    RoadieException missing =
        assertThrows(RoadieException.class, () -> backup("no_such_db", 1, "native", List.of()));
    assertTrue(
        missing.getMessage().contains("database 'no_such_db' does not exist"),
        missing.getMessage());

    Path fake = tmp.resolve("oldbin");
    Files.createDirectories(fake);
    Path script = fake.resolve("pg_dump");
    Files.writeString(script, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    RoadieException old =
        assertThrows(
            RoadieException.class,
            () ->
                backup()
                    .run(
                        new PostgresBackup.Options(
                            pg.conn("rich"),
                            null,
                            1,
                            List.of(),
                            List.of(),
                            false,
                            false,
                            "native",
                            fake,
                            List.of(),
                            "2026-01-01T00:00:00Z")));
    String major = pg.bin.getParent().getFileName().toString();
    assertTrue(
        old.getMessage()
            .contains(
                "PostgreSQL "
                    + major
                    + " server needs pg_dump "
                    + major
                    + " or newer; found pg_dump 9.6.24"),
        old.getMessage());
    assertTrue(
        old.getMessage().contains("postgresql-client-" + major)
            && old.getMessage().contains("--pg-bin"),
        old.getMessage());

    RoadieException none =
        assertThrows(
            RoadieException.class,
            () ->
                backup()
                    .run(
                        new PostgresBackup.Options(
                            pg.conn("rich"),
                            null,
                            1,
                            List.of(),
                            List.of(),
                            false,
                            false,
                            "native",
                            tmp.resolve("nothing-here"),
                            List.of(),
                            "2026-01-01T00:00:00Z")));
    assertTrue(none.getMessage().contains("pg_dump not found"), none.getMessage());

    // pg_restore is looked for before the database is created: nothing is left behind.
    Id id = backup("rich", 1, "native", List.of("users"));
    RoadieException noRestore =
        assertThrows(
            RoadieException.class,
            () ->
                restorer()
                    .restore(
                        snapshot(id),
                        new PostgresRestore.Options(
                            pg.conn("never_created"),
                            List.of(),
                            false,
                            false,
                            false,
                            1,
                            tmp.resolve("nothing-here"))));
    assertTrue(
        noRestore.getMessage().contains("pg_restore not found in " + tmp.resolve("nothing-here"))
            && noRestore.getMessage().contains("postgresql-client-" + major),
        noRestore.getMessage());
    assertEquals(
        "", query("postgres", "SELECT datname FROM pg_database WHERE datname = 'never_created'"));

    // No password for a server that asks for one is an authentication error, not an unreachable
    // server.
    PgConn noPassword =
        PgConn.parse(
            "postgresql://postgres@127.0.0.1:" + pg.port + "/rich",
            Map.of("PGPASSFILE", tmp.resolve("no-pgpass").toString()));
    RoadieException asked = assertThrows(RoadieException.class, noPassword::connect);
    assertTrue(
        asked.getMessage().contains("authentication failed for user 'postgres'")
            && asked.getMessage().contains("no password given"),
        asked.getMessage());
    assertFalse(asked.getMessage().contains("is the server running"), asked.getMessage());

    // A bad URL parameter is named, with what is accepted.
    RoadieException sslmode =
        assertThrows(
            RoadieException.class,
            () ->
                PgConn.parse(
                    "postgresql://postgres@127.0.0.1:" + pg.port + "/rich?sslmode=bogus",
                    Map.of()));
    assertTrue(
        sslmode.getMessage().contains("sslmode 'bogus'")
            && sslmode.getMessage().contains("verify-full"),
        sslmode.getMessage());
    assertFalse(sslmode.getMessage().contains("is the server running"), sslmode.getMessage());
    RoadieException unknown =
        assertThrows(
            RoadieException.class,
            () ->
                PgConn.parse(
                    "postgresql://postgres@127.0.0.1:" + pg.port + "/rich?sslmod=require",
                    Map.of()));
    assertTrue(
        unknown.getMessage().contains("parameter 'sslmod'")
            && unknown.getMessage().contains("sslmode, sslrootcert"),
        unknown.getMessage());
  }

  @Test
  void passwordComesFromPgpassAndNeverAppearsInChildArgv() throws Exception {
    Path pgpass = tmp.resolve("pgpass");
    Files.writeString(
        pgpass, "# comment\n127.0.0.1:" + pg.port + ":*:postgres:" + PgCluster.PASSWORD + "\n");
    PgConn c =
        PgConn.parse(
            "postgresql://postgres@127.0.0.1:" + pg.port + "/rich",
            Map.of("PGPASSFILE", pgpass.toString()));
    try (Connection conn = c.connect()) {
      assertTrue(conn.isValid(2));
    }
    assertEquals(PgCluster.PASSWORD, c.childEnv().get("PGPASSWORD"));
    assertFalse(c.redacted().contains(PgCluster.PASSWORD));
    assertEquals("postgresql://u:***@h/db", PgConn.redact("postgresql://u:secret@h/db"));
    PgConn env =
        PgConn.parse(
            "postgresql://postgres@127.0.0.1:" + pg.port + "/rich?sslmode=disable",
            Map.of("PGPASSWORD", PgCluster.PASSWORD));
    assertEquals("disable", env.childEnv().get("PGSSLMODE"));
    try (Connection conn = env.connect()) {
      assertTrue(conn.isValid(2));
    }
  }

  @Test
  void sslmodeIsHonouredByTheDriverAndPgDump() throws Exception {
    Path data = pg.dir.resolve("data");
    Path hba = data.resolve("pg_hba.conf");
    String original = Files.readString(hba);
    List<String> asPg =
        "root".equals(System.getProperty("user.name"))
            ? List.of("runuser", "-u", "postgres", "--")
            : List.of();
    List<String> cmd = new java.util.ArrayList<>(asPg);
    cmd.addAll(
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            data.resolve("server.key").toString(),
            "-out",
            data.resolve("server.crt").toString()));
    assertEquals(
        0,
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start()
            .waitFor());
    try {
      // Only TLS connections are accepted from now on.
      Files.writeString(
          hba,
          "local all all trust\nhostnossl all all 127.0.0.1/32 reject\n"
              + "hostssl all all 127.0.0.1/32 scram-sha-256\n");
      pg.sql("postgres", "ALTER SYSTEM SET ssl = on; SELECT pg_reload_conf()");
      Thread.sleep(500);
      pg.sql("postgres", "CREATE DATABASE tls");
      pg.sql(
          "tls",
          "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
      String base =
          "postgresql://postgres:" + PgCluster.PASSWORD + "@127.0.0.1:" + pg.port + "/tls?sslmode=";
      for (String format : List.of("native", "pg_dump")) {
        Id id =
            backup()
                .run(
                    new PostgresBackup.Options(
                        PgConn.parse(base + "require", Map.of()),
                        null,
                        1,
                        List.of(),
                        List.of(),
                        false,
                        false,
                        format,
                        null,
                        List.of(),
                        "2026-01-01T00:00:00Z"));
        assertTrue(snapshot(id).stats().bytesRead() > 0);
      }
      RoadieException plain =
          assertThrows(
              RoadieException.class,
              () ->
                  backup()
                      .run(
                          new PostgresBackup.Options(
                              PgConn.parse(base + "disable", Map.of()),
                              null,
                              1,
                              List.of(),
                              List.of(),
                              false,
                              false,
                              "native",
                              null,
                              List.of(),
                              "2026-01-01T00:00:00Z")));
      assertFalse(plain.getMessage().contains(PgCluster.PASSWORD), plain.getMessage());
    } finally {
      Files.writeString(hba, original);
      pg.sql("postgres", "ALTER SYSTEM RESET ssl; SELECT pg_reload_conf()");
    }
  }

  @Test
  void tablePatternsFollowPgDumpRules() {
    assertTrue(TablePattern.parse("Users").matches("public", "users"));
    assertFalse(TablePattern.parse("\"Users\"").matches("public", "users"));
    assertTrue(
        TablePattern.parse("\"Festival Ops\".\"Stage.Plan\"")
            .matches("Festival Ops", "Stage.Plan"));
    assertTrue(TablePattern.parse("public.tick*").matches("public", "tickets"));
    assertFalse(TablePattern.parse("public.tick*").matches("other", "tickets"));
    assertTrue(TablePattern.parse("t?ck").matches("s", "tick"));
  }
}
