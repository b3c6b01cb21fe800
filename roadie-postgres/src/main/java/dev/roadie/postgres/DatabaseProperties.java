package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a database holds about itself rather than in its schema, i.e. what {@code pg_dump --create}
 * writes and {@code pg_restore --create} restores: owner, connection limit, template flag,
 * tablespace, comment, security labels, privileges ({@code datacl}) and settings ({@code ALTER
 * DATABASE ... SET}, {@code ALTER ROLE ... IN DATABASE ... SET}).
 *
 * <p>The schema archive has these too, but its statements name the source database, and a restore
 * may go to another name; so the backup records them as data in the snapshot's metadata (read in
 * its own transaction), and the restore writes the statements for the database it created. They are
 * applied after everything else: a setting such as {@code default_transaction_read_only} or a
 * revoked {@code CONNECT} must not get in the restore's way.
 */
final class DatabaseProperties {
  private DatabaseProperties() {}

  /** The properties of the connection's database, as snapshot metadata. */
  static Map<String, Object> read(Connection c) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    boolean defaultAcl;
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT pg_get_userbyid(d.datdba), d.datconnlimit, d.datistemplate, "
                    + "CASE WHEN t.spcname = 'pg_default' THEN NULL ELSE t.spcname END, shobj_description(d.oid, 'pg_database'), "
                    + "d.datacl IS NULL FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace "
                    + "WHERE d.datname = current_database()")) {
      rs.next();
      m.put("owner", rs.getString(1));
      m.put("connectionLimit", rs.getInt(2));
      if (rs.getBoolean(3)) m.put("isTemplate", true);
      if (rs.getString(4) != null) m.put("tablespace", rs.getString(4));
      if (rs.getString(5) != null) m.put("comment", rs.getString(5));
      defaultAcl = rs.getBoolean(6);
    }
    if (!defaultAcl) {
      // One entry per privilege, in the ACL's order (grantee 0 is PUBLIC).
      m.put(
          "acl",
          rows(
              c,
              "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, "
                  + "pg_get_userbyid(a.grantor), a.privilege_type, a.is_grantable FROM pg_database d, "
                  + "aclexplode(d.datacl) WITH ORDINALITY a(grantor, grantee, privilege_type, is_grantable, n) "
                  + "WHERE d.datname = current_database() ORDER BY a.n",
              "grantee",
              "grantor",
              "privilege",
              "grantable"));
    }
    // Database-wide settings first (role 0), then each role's in this database, each array in its
    // order.
    m.put(
        "settings",
        rows(
            c,
            "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END, x.setting "
                + "FROM pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY x(setting, n) "
                + "WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                + "ORDER BY s.setrole <> 0, 1, x.n",
            "role",
            "setting"));
    List<Map<String, Object>> labels =
        rows(
            c,
            "SELECT l.provider, l.label FROM pg_shseclabel l, pg_database d "
                + "WHERE l.objoid = d.oid AND l.classoid = 'pg_database'::regclass AND d.datname = current_database() "
                + "ORDER BY 1",
            "provider",
            "label");
    if (!labels.isEmpty()) m.put("securityLabels", labels);
    return m;
  }

  private static List<Map<String, Object>> rows(Connection c, String sql, String... names)
      throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
          Object v = rs.getObject(i + 1);
          if (v != null) row.put(names[i], v);
        }
        out.add(row);
      }
    }
    return out;
  }

  /** The snapshot's non-default tablespace of the database, or null. */
  static String tablespace(Map<String, Object> source) {
    return source.get(PostgresBackup.DATABASE_PROPERTIES) instanceof Map<?, ?> p
            && p.get("tablespace") instanceof String t
        ? t
        : null;
  }

  static boolean exists(Connection c, String catalog, String column, String name)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM pg_catalog." + catalog + " WHERE " + column + " = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** One statement, the roles it names, and the role it runs as (null: the restoring user). */
  record Step(String sql, List<String> roles, String runAs) {}

  /** The statements that give database {@code db} the recorded properties. */
  @SuppressWarnings("unchecked")
  static List<Step> steps(String db, Map<?, ?> p) {
    String d = TablePattern.quote(db);
    String owner = (String) p.get("owner");
    List<Step> out = new ArrayList<>();
    if (owner != null)
      out.add(
          new Step(
              "ALTER DATABASE " + d + " OWNER TO " + TablePattern.quote(owner),
              List.of(owner),
              null));
    if (p.get("connectionLimit") instanceof Number n && n.intValue() != -1) {
      out.add(
          new Step("ALTER DATABASE " + d + " CONNECTION LIMIT " + n.intValue(), List.of(), null));
    }
    if (Boolean.TRUE.equals(p.get("isTemplate")))
      out.add(new Step("ALTER DATABASE " + d + " IS_TEMPLATE true", List.of(), null));
    if (p.get("comment") instanceof String c)
      out.add(new Step("COMMENT ON DATABASE " + d + " IS " + literal(c), List.of(), null));
    for (Map<String, Object> l : list(p, "securityLabels")) {
      out.add(
          new Step(
              "SECURITY LABEL FOR "
                  + TablePattern.quote((String) l.get("provider"))
                  + " ON DATABASE "
                  + d
                  + " IS "
                  + literal((String) l.get("label")),
              List.of(),
              null));
    }
    for (Map<String, Object> s : list(p, "settings")) {
      String setting = (String) s.get("setting");
      int eq = setting.indexOf('=');
      if (eq <= 0) continue;
      String name = setting.substring(0, eq);
      String set =
          " SET " + TablePattern.quote(name) + " TO " + value(name, setting.substring(eq + 1));
      String role = (String) s.get("role");
      out.add(
          role == null
              ? new Step("ALTER DATABASE " + d + set, List.of(), null)
              : new Step(
                  "ALTER ROLE " + TablePattern.quote(role) + " IN DATABASE " + d + set,
                  List.of(role),
                  null));
    }
    if (p.get("acl") instanceof List<?> acl) {
      // From no privileges at all, then each grant in the recorded order: the ACL comes out as it
      // was.
      out.add(new Step("REVOKE ALL ON DATABASE " + d + " FROM PUBLIC", List.of(), null));
      if (owner != null)
        out.add(
            new Step(
                "REVOKE ALL ON DATABASE " + d + " FROM " + TablePattern.quote(owner),
                List.of(owner),
                null));
      List<Map<String, Object>> items = (List<Map<String, Object>>) acl;
      for (int i = 0; i < items.size(); ) {
        Map<String, Object> first = items.get(i);
        String grantee = (String) first.get("grantee");
        String grantor = (String) first.get("grantor");
        boolean grantable = Boolean.TRUE.equals(first.get("grantable"));
        List<String> privileges = new ArrayList<>();
        int j = i;
        for (; j < items.size(); j++) {
          Map<String, Object> it = items.get(j);
          if (!java.util.Objects.equals(it.get("grantee"), grantee)
              || !java.util.Objects.equals(it.get("grantor"), grantor)
              || Boolean.TRUE.equals(it.get("grantable")) != grantable) {
            break;
          }
          privileges.add((String) it.get("privilege"));
        }
        i = j;
        List<String> roles = new ArrayList<>();
        if (grantee != null) roles.add(grantee);
        // A superuser's GRANT counts as the owner's; one made by another role is made as that role.
        String runAs = grantor != null && !grantor.equals(owner) ? grantor : null;
        if (runAs != null) roles.add(runAs);
        out.add(
            new Step(
                "GRANT "
                    + String.join(", ", privileges)
                    + " ON DATABASE "
                    + d
                    + " TO "
                    + (grantee == null ? "PUBLIC" : TablePattern.quote(grantee))
                    + (grantable ? " WITH GRANT OPTION" : ""),
                roles,
                runAs));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Map<?, ?> p, String key) {
    return p.get(key) instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
  }

  /**
   * Gives database {@code to.database} the recorded properties. A statement naming a role this
   * server lacks is left out and named; one that fails is named with the server's error. Neither
   * fails the restore: the data is in.
   */
  static void apply(PgConn to, Map<?, ?> props, List<String> notes, List<String> warnings)
      throws IOException {
    List<Step> steps = steps(to.database, props);
    if (steps.isEmpty()) return;
    Set<String> named = new LinkedHashSet<>();
    steps.forEach(s -> named.addAll(s.roles()));
    try (Connection c = to.withDatabase("postgres").connect();
        Statement st = c.createStatement()) {
      st.execute("SET standard_conforming_strings = on");
      Set<String> missing = new LinkedHashSet<>();
      for (String r : named) {
        if (!exists(c, "pg_roles", "rolname", r)) missing.add(r);
      }
      List<String> skipped = new ArrayList<>();
      int done = 0;
      for (Step s : steps) {
        if (s.roles().stream().anyMatch(missing::contains)) {
          skipped.add(s.sql());
          continue;
        }
        try {
          if (s.runAs() != null) st.execute("SET ROLE " + TablePattern.quote(s.runAs()));
          try {
            st.execute(s.sql());
            done++;
          } finally {
            if (s.runAs() != null) st.execute("RESET ROLE");
          }
        } catch (SQLException e) {
          warnings.add(
              "database "
                  + to.database
                  + ": "
                  + s.sql()
                  + " failed: "
                  + PgConn.redact(e.getMessage()));
        }
      }
      if (!missing.isEmpty()) {
        warnings.add(
            "database "
                + to.database
                + ": role(s) "
                + String.join(", ", missing)
                + " that the snapshot names do "
                + "not exist on "
                + to.hostPort()
                + "; left out: "
                + String.join("; ", skipped)
                + " (create the roles, e.g. "
                + "from pg_dumpall --roles-only of the source, then run these)");
      }
      notes.add(
          "database "
              + to.database
              + ": "
              + done
              + " of "
              + steps.size()
              + " statements of its own settings, "
              + "comment, owner and privileges applied");
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "setting the properties of database "
              + to.database
              + ": "
              + PgConn.redact(e.getMessage()),
          e);
    }
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /**
   * A setting's value as SQL. Settings that hold a list of names are stored flattened ({@code app,
   * "$user", public}) and are split and written element by element, as pg_dump does; the rest are
   * one string.
   */
  static String value(String name, String v) {
    if (!LIST_SETTINGS.contains(name.toLowerCase(java.util.Locale.ROOT))) return literal(v);
    List<String> parts = splitList(v);
    if (parts.isEmpty()) return "''";
    return String.join(", ", parts.stream().map(DatabaseProperties::literal).toList());
  }

  /** The settings pg_dump quotes element by element (variable_is_guc_list_quote). */
  static final Set<String> LIST_SETTINGS =
      Set.of(
          "local_preload_libraries",
          "search_path",
          "session_preload_libraries",
          "shared_preload_libraries",
          "temp_tablespaces",
          "unix_socket_directories");

  /**
   * A flattened list: comma-separated, elements optionally double-quoted ({@code ""} inside is one
   * quote).
   */
  static List<String> splitList(String v) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = v.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(v.charAt(i))) i++;
      if (i >= n) break;
      StringBuilder b = new StringBuilder();
      if (v.charAt(i) == '"') {
        i++;
        while (i < n) {
          char ch = v.charAt(i);
          if (ch == '"') {
            if (i + 1 < n && v.charAt(i + 1) == '"') {
              b.append('"');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          b.append(ch);
          i++;
        }
      } else {
        while (i < n && v.charAt(i) != ',' && !Character.isWhitespace(v.charAt(i)))
          b.append(v.charAt(i++));
      }
      out.add(b.toString());
      while (i < n && Character.isWhitespace(v.charAt(i))) i++;
      if (i < n && v.charAt(i) == ',') i++;
    }
    return out;
  }
}
