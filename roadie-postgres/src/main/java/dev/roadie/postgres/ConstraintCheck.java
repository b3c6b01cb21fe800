package dev.roadie.postgres;

import dev.roadie.core.source.Check;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether every foreign key and check constraint holds in a copy, whatever PostgreSQL believes: a
 * constraint added {@code NOT VALID} (or with triggers disabled while rows were loaded) can be
 * violated by rows that a backup faithfully carries, and a restore recreates it {@code NOT VALID}
 * again without a complaint. Each foreign key is checked with an anti-join (rows whose key columns
 * are all set, as MATCH SIMPLE requires, or any set for MATCH FULL, with no referenced row), each
 * check constraint by counting the rows for which its expression is false. Read-only.
 */
final class ConstraintCheck {
  private ConstraintCheck() {}

  private static final String USER_TABLES =
      "n.nspname NOT IN ('pg_catalog', 'information_schema') "
          + "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

  static Check run(Connection c) throws SQLException {
    long start = System.nanoTime();
    List<String> violations = new ArrayList<>();
    int fks = 0;
    int checks = 0;
    int notValid = 0;
    List<String[]> queries = new ArrayList<>(); // {description, count query}
    try (Statement st = c.createStatement()) {
      // Foreign keys declared on a table itself (a partition's copy of its parent's is covered by
      // the parent's).
      try (ResultSet rs =
          st.executeQuery(
              "SELECT con.conname, n.nspname, cl.relname, cl.relkind, rn.nspname, "
                  + "rcl.relname, rcl.relkind, con.confmatchtype, con.convalidated, "
                  + "ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a "
                  + "ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i)::text[], "
                  + "ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a "
                  + "ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.i)::text[] "
                  + "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace "
                  + "JOIN pg_class rcl ON rcl.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rcl.relnamespace "
                  + "WHERE con.contype = 'f' AND con.conparentid = 0 AND "
                  + USER_TABLES
                  + " ORDER BY 2, 3, 1")) {
        while (rs.next()) {
          String[] cols = (String[]) rs.getArray(10).getArray();
          String[] refCols = (String[]) rs.getArray(11).getArray();
          String child =
              only(rs.getString(4)) + TablePattern.exact(rs.getString(2), rs.getString(3));
          String parent =
              only(rs.getString(7)) + TablePattern.exact(rs.getString(5), rs.getString(6));
          boolean full = "f".equals(rs.getString(8));
          List<String> set = new ArrayList<>();
          List<String> join = new ArrayList<>();
          for (int i = 0; i < cols.length; i++) {
            set.add("c." + TablePattern.quote(cols[i]) + " IS NOT NULL");
            join.add("p." + TablePattern.quote(refCols[i]) + " = c." + TablePattern.quote(cols[i]));
          }
          // MATCH FULL: a row with some key columns null and others set is itself a violation.
          String where =
              full
                  ? "("
                      + String.join(" OR ", set)
                      + ") AND (NOT ("
                      + String.join(" AND ", set)
                      + ") OR NOT EXISTS (SELECT 1 FROM "
                      + parent
                      + " p WHERE "
                      + String.join(" AND ", join)
                      + "))"
                  : String.join(" AND ", set)
                      + " AND NOT EXISTS (SELECT 1 FROM "
                      + parent
                      + " p WHERE "
                      + String.join(" AND ", join)
                      + ")";
          if (!rs.getBoolean(9)) notValid++;
          queries.add(
              new String[] {
                "foreign key "
                    + rs.getString(1)
                    + " on "
                    + rs.getString(2)
                    + "."
                    + rs.getString(3)
                    + " ("
                    + String.join(", ", cols)
                    + ") references "
                    + rs.getString(5)
                    + "."
                    + rs.getString(6)
                    + (rs.getBoolean(9) ? "" : " (NOT VALID)"),
                "SELECT count(*) FROM " + child + " c WHERE " + where
              });
          fks++;
        }
      }
      // Check constraints where they are declared; one inherited by children is checked through the
      // parent.
      try (ResultSet rs =
          st.executeQuery(
              "SELECT con.conname, n.nspname, cl.relname, cl.relkind, "
                  + "pg_get_expr(con.conbin, con.conrelid), con.connoinherit, con.convalidated "
                  + "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace "
                  + "WHERE con.contype = 'c' AND con.conislocal AND cl.relkind IN ('r', 'p') AND "
                  + USER_TABLES
                  + " ORDER BY 2, 3, 1")) {
        while (rs.next()) {
          String table =
              (rs.getBoolean(6) ? only(rs.getString(4)) : "")
                  + TablePattern.exact(rs.getString(2), rs.getString(3));
          if (!rs.getBoolean(7)) notValid++;
          queries.add(
              new String[] {
                "check constraint "
                    + rs.getString(1)
                    + " on "
                    + rs.getString(2)
                    + "."
                    + rs.getString(3)
                    + (rs.getBoolean(7) ? "" : " (NOT VALID)"),
                "SELECT count(*) FROM " + table + " WHERE NOT (" + rs.getString(5) + ")"
              });
          checks++;
        }
      }
      long bad = 0;
      for (String[] q : queries) {
        try (ResultSet rs = st.executeQuery(q[1])) {
          rs.next();
          long n = rs.getLong(1);
          if (n > 0) {
            bad += n;
            violations.add(q[0] + ": " + n + (n == 1 ? " row violates it" : " rows violate it"));
          }
        }
      }
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("foreignKeys", fks);
      figures.put("checkConstraints", checks);
      figures.put("notValid", notValid);
      figures.put("violatingRows", bad);
      figures.put(
          "seconds",
          dev.roadie.core.source.ScratchDirectoryVerify.seconds(System.nanoTime() - start));
      String what =
          fks
              + (fks == 1 ? " foreign key" : " foreign keys")
              + " and "
              + checks
              + (checks == 1 ? " check constraint" : " check constraints");
      return Check.of(
          "constraints",
          violations.isEmpty()
              ? "every row satisfies " + what
              : violations.size() + " of " + what + " are violated",
          figures,
          violations);
    }
  }

  /**
   * {@code ONLY } for a plain table (its children have constraints of their own); nothing for a
   * partitioned one.
   */
  private static String only(String relkind) {
    return "p".equals(relkind) ? "" : "ONLY ";
  }
}
