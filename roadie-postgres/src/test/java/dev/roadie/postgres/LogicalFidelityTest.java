package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
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
    return new PostgresBackup(repo, new Progress())
        .run(
            new PostgresBackup.Options(
                pg.conn(db),
                null,
                2,
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
}
