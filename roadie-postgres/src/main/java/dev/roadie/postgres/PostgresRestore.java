package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Restores a native PostgreSQL snapshot: pre-data schema (pg_restore from {@code schema.dump}),
 * table data in parallel ({@link TableLoad}: {@code TRUNCATE} + {@code COPY ... FREEZE} in one
 * transaction per table, a large table shared by several connections; {@code
 * synchronous_commit=off}) with each table's own indexes and key constraints built as soon as its
 * rows are in, sequence values and large objects (the archive's data section), then the rest of
 * post-data (foreign keys, triggers, ...) and materialized view refreshes, with generous {@code
 * maintenance_work_mem}. Row counts are checked against the snapshot's.
 */
public final class PostgresRestore {
  public record Options(
      PgConn to,
      List<String> tables,
      boolean clean,
      boolean schemaOnly,
      boolean dataOnly,
      int jobs,
      Path pgBin) {}

  /**
   * {@code warnings}: what was left out (a foreign key, a grant to a missing role) while the data
   * was restored.
   */
  public record Result(
      int tables, long rows, long bytes, List<String> notes, List<String> warnings) {}

  private final Repository repo;
  private final Progress progress;
  private long splitBytes = TableLoad.SPLIT_BYTES;

  public PostgresRestore(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /**
   * Tables at least this large are loaded over several connections: {@link TableLoad#SPLIT_BYTES}
   * unless a test sets less (so that a small table is shared as a large one is).
   */
  PostgresRestore splitBytes(long bytes) {
    if (bytes < 1) throw new IllegalArgumentException("split bytes " + bytes);
    this.splitBytes = bytes;
    return this;
  }

  /** The snapshot's parts: the schema archive and the table nodes. */
  record Parts(Node schema, List<Node> tables, Node pgDump, Map<String, List<Node>> pieces) {
    /** A table's streams in order (one, or several heap ranges of a large table). */
    List<Node> of(Node first) {
      return pieces.get(qualified(first));
    }

    long size(Node first) {
      return of(first).stream().mapToLong(Node::size).sum();
    }

    long rows(Node first) {
      return of(first).stream().mapToLong(n -> ((Number) n.meta().get("rows")).longValue()).sum();
    }
  }

  static Parts parts(Repository repo, Snapshot s) throws IOException {
    Tree root = repo.readTree(Id.parse(s.tree()));
    Node schema = null;
    Node dump = null;
    List<Node> all = new ArrayList<>();
    for (Node n : root.nodes()) {
      if (n.name().equals(PostgresBackup.SCHEMA_NODE)) schema = n;
      if (n.name().equals(PostgresBackup.PGDUMP_NODE)) dump = n;
      if (n.name().equals(PostgresBackup.TABLES_DIR) && n.subtree() != null) {
        all.addAll(repo.readTree(Id.parse(n.subtree())).nodes());
      }
    }
    Map<String, List<Node>> pieces = new LinkedHashMap<>();
    for (Node n : all) {
      pieces.computeIfAbsent(qualified(n), k -> new ArrayList<>()).add(n);
    }
    List<Node> tables = new ArrayList<>();
    for (List<Node> p : pieces.values()) {
      p.sort(
          java.util.Comparator.comparingInt(
              n -> ((Number) n.meta().getOrDefault("part", 0)).intValue()));
      tables.add(p.get(0));
    }
    return new Parts(schema, tables, dump, pieces);
  }

  /**
   * For an extension's configuration table stored with the extension's filter (its WHERE clause):
   * the DELETE of those rows before they are loaded, so that the rows CREATE EXTENSION made and the
   * filter leaves out stay. Null for any other table.
   */
  static String extensionRowsDelete(Node n) {
    Object filter = n.meta().get("extensionConfig");
    return filter instanceof String f && !f.isBlank()
        ? "DELETE FROM ONLY " + qualified(n) + " " + f
        : null;
  }

  /** schema.table, as messages name a table. */
  private static String displayName(Node n) {
    return n.meta().get("schema") + "." + n.meta().get("table");
  }

  /**
   * The table as SQL names it, and its identity in a restore: schema and name both quoted, so that
   * "a.b"."c" and "a"."b.c" stay two tables (joined with a bare dot they would be one, and get each
   * other's rows).
   */
  private static String qualified(Node n) {
    return TablePattern.quote((String) n.meta().get("schema"))
        + "."
        + TablePattern.quote((String) n.meta().get("table"));
  }

  @SuppressWarnings("unchecked")
  private static String copyColumns(Node n) {
    List<String> cols = (List<String>) n.meta().get("columns");
    return cols == null || cols.isEmpty()
        ? ""
        : " (" + String.join(", ", cols.stream().map(TablePattern::quote).toList()) + ")";
  }

  public Result restore(Snapshot s, Options o) throws IOException {
    if (!PostgresBackup.KIND.equals(s.kind())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the snapshot is of kind '" + s.kind() + "', not postgres: restore it with --target DIR");
    }
    if (o.schemaOnly && o.dataOnly) {
      throw new RoadieException(
          ErrorCode.USAGE, "--schema-only and --data-only exclude each other");
    }
    Parts parts = parts(repo, s);
    if (parts.schema == null) {
      if (parts.pgDump != null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "this snapshot holds a pg_dump archive (--format pg_dump): "
                + "write it with 'roadie dump SNAPSHOT > file.dump' and restore it with pg_restore");
      }
      throw new RoadieException(
          ErrorCode.INTEGRITY, "the snapshot has no " + PostgresBackup.SCHEMA_NODE);
    }
    boolean snapshotDataOnly = Boolean.TRUE.equals(s.source().get("dataOnly"));
    boolean doSchema = !o.dataOnly && !snapshotDataOnly;
    boolean doData = !o.schemaOnly;
    int jobs = Math.max(1, o.jobs);
    List<Node> tables = new ArrayList<>(parts.tables);
    Set<String> wanted = null;
    if (o.tables != null && !o.tables.isEmpty()) {
      List<TablePattern> pats = o.tables.stream().map(TablePattern::parse).toList();
      tables.removeIf(
          n ->
              pats.stream()
                  .noneMatch(
                      p ->
                          p.matches(
                              (String) n.meta().get("schema"), (String) n.meta().get("table"))));
      if (tables.isEmpty()) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "no table of the snapshot matches --table " + String.join(", ", o.tables));
      }
      wanted = new java.util.HashSet<>();
      for (Node n : tables) wanted.add(qualified(n));
    }
    tables.sort((a, b) -> Long.compare(parts.size(b), parts.size(a)));
    List<String> notes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    // 1. The server and its pg_restore, and the schema archive's table of contents, before anything
    //    is created: a missing or too old pg_restore leaves no empty database behind.
    int serverMajor;
    try (Connection admin = o.to.withDatabase("postgres").connect()) {
      serverMajor = serverMajor(admin);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "reading the server version of " + o.to.hostPort() + ": " + PgConn.redact(e.getMessage()),
          e);
    }
    PgTools tools = PgTools.find(o.pgBin, serverMajor, "pg_restore");
    // The schema archive (no table data in it) in a private temporary file: pg_restore -j and
    // --use-list need a seekable archive, and every section reads it.
    Path archive =
        Files.createTempFile(
            "roadie-schema-",
            ".dump",
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    List<Path> lists = new ArrayList<>();
    TableLoad load;
    try {
      try (OutputStream out = Files.newOutputStream(archive);
          ContentReader r = new ContentReader(repo, parts.schema, parts.schema.name())) {
        byte[] b;
        while ((b = r.nextBlock()) != null) out.write(b);
      }
      List<String> toc = toc(tools, archive);

      // 2. The database: create it, or check it is empty (or --clean).
      boolean created = prepareDatabase(o, s, wanted == null && doSchema, notes, warnings);
      if (wanted != null && doSchema) dropSelectedTables(o, tables, notes);
      load =
          restoreSections(
              s, o, parts, tables, wanted, doSchema, doData, jobs, tools, archive, toc, lists,
              notes, warnings);
      if (doSchema && wanted == null) {
        if (!(s.source().get(PostgresBackup.DATABASE_PROPERTIES) instanceof Map<?, ?> props)) {
          notes.add(
              "the snapshot predates roadie recording a database's own settings, comment, owner and privileges: "
                  + "database "
                  + o.to.database
                  + " has none of "
                  + s.source().get("database")
                  + "'s; set them by hand");
        } else if (created) {
          DatabaseProperties.apply(o.to, props, notes, warnings);
        } else {
          notes.add(
              "database "
                  + o.to.database
                  + " existed: its settings, comment, owner and privileges were left as "
                  + "they are (the snapshot's are applied to a database the restore creates, or recreates with --clean)");
        }
      }
    } finally {
      Files.deleteIfExists(archive);
      for (Path l : lists) Files.deleteIfExists(l);
    }
    return new Result(doData ? tables.size() : 0, load.rows(), load.bytes(), notes, warnings);
  }

  /**
   * Creates the database, or checks that it has no tables, or (--clean, whole restore) drops and
   * recreates it. True when this restore created it.
   */
  private boolean prepareDatabase(
      Options o, Snapshot s, boolean whole, List<String> notes, List<String> warnings)
      throws IOException {
    try (Connection admin = o.to.withDatabase("postgres").connect()) {
      boolean exists;
      try (PreparedStatement ps =
          admin.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        ps.setString(1, o.to.database);
        try (ResultSet rs = ps.executeQuery()) {
          exists = rs.next();
        }
      }
      if (exists && whole) {
        int n = countTables(o.to, null);
        if (n > 0 && !o.clean) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              "database '"
                  + o.to.database
                  + "' on "
                  + o.to.hostPort()
                  + " already has "
                  + n
                  + (n == 1 ? " table" : " tables")
                  + "; restore into a new database, or pass --clean to drop and recreate it");
        }
        if (n > 0) {
          try (Statement st = admin.createStatement()) {
            st.execute("DROP DATABASE " + TablePattern.quote(o.to.database));
          } catch (SQLException e) {
            throw new RoadieException(
                ErrorCode.FAILURE,
                "--clean: cannot drop database '"
                    + o.to.database
                    + "': "
                    + e.getMessage()
                    + " (close the other sessions using it)",
                e);
          }
          exists = false;
          notes.add("dropped and recreated database " + o.to.database);
        }
      }
      if (exists) return false;
      createDatabase(admin, o.to.database, s.source(), notes, warnings);
      return true;
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "preparing database '"
              + o.to.database
              + "' on "
              + o.to.hostPort()
              + ": "
              + PgConn.redact(e.getMessage()),
          e);
    }
  }

  /** With --table: refuses tables that exist already, or (--clean) drops them. */
  private static void dropSelectedTables(Options o, List<Node> tables, List<String> notes)
      throws IOException {
    List<String> existing = existingTables(o.to, tables);
    if (!existing.isEmpty() && !o.clean) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "database '"
              + o.to.database
              + "' already has table(s) "
              + String.join(", ", existing)
              + "; pass --clean to drop and restore them");
    }
    if (!existing.isEmpty()) {
      try (Connection c = o.to.connect();
          Statement st = c.createStatement()) {
        for (Node n : tables) st.execute("DROP TABLE IF EXISTS " + qualified(n) + " CASCADE");
      } catch (SQLException e) {
        throw new RoadieException(
            ErrorCode.FAILURE, "--clean: dropping tables failed: " + e.getMessage(), e);
      }
      notes.add("dropped table(s) " + String.join(", ", existing));
    }
  }

  /**
   * Schema, data, post-data and materialized views into the prepared database; the table loads
   * done.
   */
  private TableLoad restoreSections(
      Snapshot s,
      Options o,
      Parts parts,
      List<Node> tables,
      Set<String> wanted,
      boolean doSchema,
      boolean doData,
      int jobs,
      PgTools tools,
      Path archive,
      List<String> toc,
      List<Path> lists,
      List<String> notes,
      List<String> warnings)
      throws IOException {
    String phase = "creating the schema (pre-data)";
    List<String> timings = new ArrayList<>();
    long[] t0 = {System.nanoTime()};
    java.util.function.Consumer<String> lap =
        name -> {
          long now = System.nanoTime();
          timings.add(name + " " + String.format("%.1f s", (now - t0[0]) / 1e9));
          t0[0] = now;
        };
    TableLoad load =
        new TableLoad(
            repo,
            progress,
            o.to,
            jobs,
            !doSchema,
            splitBytes,
            s.source().get(PostgresBackup.LC_MONETARY_KEY) instanceof String m ? m : null);
    try {
      List<String> selected =
          wanted == null ? toc : toc.stream().filter(l -> belongs(entry(l), tables)).toList();
      Path list = wanted == null ? null : listFile(selected, lists);
      // Each table's own indexes and unique/primary key constraints are built as soon as its rows
      // are
      // in (in parallel with loading other tables); the rest of post-data (foreign keys, triggers,
      // partition index attachments, ...) comes after all data.
      Map<String, List<String>> early =
          doSchema && doData ? earlyEntries(selected, tables) : Map.of();
      Set<String> earlyLines = new java.util.HashSet<>();
      early.values().forEach(earlyLines::addAll);
      // With --table, foreign keys and triggers may need what was not restored (the referenced
      // table, the trigger's function): each is tried alone, and one that fails is left out and
      // named, as pg_dump --table's would fail alone in a script, without failing the table.
      List<String> optional =
          wanted == null
              ? List.of()
              : selected.stream()
                  .filter(l -> isOptional(entry(l)))
                  .filter(l -> !earlyLines.contains(l))
                  .toList();
      Path postList =
          earlyLines.isEmpty() && optional.isEmpty()
              ? list
              : listFile(
                  selected.stream()
                      .filter(l -> !earlyLines.contains(l) && !optional.contains(l))
                      .toList(),
                  lists);
      if (doSchema
          && (wanted != null
              || s.source().containsKey("tablePatterns")
              || s.source().containsKey("excludeTablePatterns"))) {
        createSchemas(o, tables);
      }
      if (doSchema) {
        pgRestore(tools, o, archive, "pre-data", list, 1);
        lap.accept("schema");
      }
      if (doData) {
        phase = "loading table data";
        List<TableLoad.Table> work = new ArrayList<>();
        for (Node n : tables) {
          List<String> own = early.get(qualified(n));
          TableLoad.Task after = null;
          if (own != null && !own.isEmpty()) {
            Path l = listFile(own, lists);
            int indexJobs = Math.min(jobs, own.size());
            after = () -> pgRestore(tools, o, archive, "post-data", l, indexJobs);
          }
          work.add(
              new TableLoad.Table(
                  displayName(n),
                  qualified(n),
                  copyColumns(n),
                  parts.of(n),
                  parts.size(n),
                  parts.rows(n),
                  after,
                  extensionRowsDelete(n)));
        }
        load.run(work);
        lap.accept("table data and their indexes");
        notes.add("table timeline: " + String.join(", ", load.timeline));
        phase = "restoring sequence values and large objects";
        pgRestore(tools, o, archive, "data", list, 1);
        setSequences(o, s, wanted == null ? null : tables);
        lap.accept("sequences and large objects");
      }
      if (doSchema) {
        phase = "creating indexes, constraints and triggers (post-data)";
        pgRestore(tools, o, archive, "post-data", postList, jobs);
        for (String line : optional) {
          try {
            pgRestore(tools, o, archive, "post-data", listFile(List.of(line), lists), 1);
          } catch (RoadieException e) {
            warnings.add(
                "left out "
                    + describe(entry(line))
                    + ": "
                    + serverError(e.getMessage())
                    + "; the table's rows are restored: add it once what it needs exists");
          }
        }
        lap.accept(
            earlyLines.isEmpty()
                ? "indexes and constraints"
                : "foreign keys, triggers and the rest of post-data");
      }
      if (doData && wanted == null) {
        phase = "refreshing materialized views";
        refreshMatviews(o, s);
        lap.accept("materialized views");
      }
    } catch (RoadieException | IOException e) {
      String done =
          "schema "
              + (phase.startsWith("creating the schema") ? "incomplete" : "created")
              + ", "
              + load.loaded.get()
              + " of "
              + (doData ? tables.size() : 0)
              + " tables loaded";
      throw new RoadieException(
          ErrorCode.FAILURE,
          "restore into "
              + o.to.redacted()
              + " failed while "
              + phase
              + ": "
              + PgConn.redact(e.getMessage())
              + "; done so far: "
              + done
              + "; database '"
              + o.to.database
              + "' is half restored: "
              + (missingRole(e.getMessage()) != null
                  ? "create role "
                      + missingRole(e.getMessage())
                      + " (and the snapshot's other roles) on this server first, since roles belong"
                      + " to the whole server and are not in a database's backup (CREATE ROLE, or"
                      + " pg_dumpall --roles-only on the source); then "
                  : "")
              + "rerun the restore with --clean",
          e);
    }
    notes.add("steps: " + String.join(", ", timings));
    return load;
  }

  /** The role a failure names as missing ({@code role "app" does not exist}), quoted; else null. */
  static String missingRole(String message) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("role (\"(?:[^\"]|\"\")*\") does not exist")
            .matcher(String.valueOf(message));
    return m.find() ? m.group(1) : null;
  }

  /**
   * TOC entries that a --table restore may leave out: they can need objects outside the selection.
   */
  static boolean isOptional(String entry) {
    return entry.startsWith("FK CONSTRAINT ") || entry.startsWith("TRIGGER ");
  }

  /**
   * "foreign key tickets_festival_id_fkey on public.tickets" from "FK CONSTRAINT public tickets
   * tickets_festival_id_fkey owner".
   */
  static String describe(String entry) {
    String kind = entry.startsWith("FK CONSTRAINT ") ? "foreign key" : "trigger";
    String[] f = entry.substring(entry.startsWith("FK CONSTRAINT ") ? 14 : 8).split(" ");
    if (f.length < 3) return kind + " " + entry;
    return kind + " " + f[2] + " on " + f[0] + "." + f[1];
  }

  /**
   * The server's error from a failed pg_restore's message ("ERROR: relation ... does not exist"),
   * else the message.
   */
  static String serverError(String message) {
    int at = message == null ? -1 : message.indexOf("ERROR:");
    if (at < 0) return String.valueOf(message);
    int end = message.indexOf('\n', at);
    return message.substring(at + 6, end < 0 ? message.length() : end).trim();
  }

  @SuppressWarnings("unchecked")
  private static void setSequences(Options o, Snapshot s, List<Node> only) throws IOException {
    Object seqs = s.source().get("sequences");
    if (!(seqs instanceof List<?> list) || list.isEmpty()) return;
    Set<String> owned = null;
    if (only != null) {
      owned = new java.util.HashSet<>();
      for (Node n : only) {
        for (String q : (List<String>) n.meta().getOrDefault("sequences", List.of()))
          owned.add(TablePattern.exact((String) n.meta().get("schema"), q));
      }
    }
    try (Connection c = o.to.connect();
        PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
      for (Object x : list) {
        Map<String, Object> m = (Map<String, Object>) x;
        if (owned != null
            && !owned.contains(
                TablePattern.exact((String) m.get("schema"), (String) m.get("name")))) continue;
        ps.setString(1, TablePattern.exact((String) m.get("schema"), (String) m.get("name")));
        ps.setLong(2, ((Number) m.get("lastValue")).longValue());
        ps.setBoolean(3, (Boolean) m.get("isCalled"));
        ps.execute();
      }
    } catch (SQLException e) {
      throw new IOException("setting sequence values: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static void refreshMatviews(Options o, Snapshot s) throws IOException {
    if (!(s.source().get("materializedViews") instanceof List<?> list) || list.isEmpty()) return;
    try (Connection c = o.to.connect();
        Statement st = c.createStatement()) {
      st.execute("SET maintenance_work_mem = '512MB'; SET synchronous_commit = off");
      for (Object x : list) {
        List<String> mv = (List<String>) x;
        st.execute("REFRESH MATERIALIZED VIEW " + TablePattern.exact(mv.get(0), mv.get(1)));
      }
    } catch (SQLException e) {
      throw new IOException("refreshing materialized views: " + e.getMessage(), e);
    }
  }

  /**
   * Like pg_dump --table, a table selection leaves out schemas; the tables' schemas are created
   * when missing.
   */
  private static void createSchemas(Options o, List<Node> tables) throws IOException {
    try (Connection c = o.to.connect();
        Statement st = c.createStatement()) {
      for (String schema :
          tables.stream().map(n -> (String) n.meta().get("schema")).distinct().toList()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS " + TablePattern.quote(schema));
      }
    } catch (SQLException e) {
      throw new IOException("creating schemas: " + e.getMessage(), e);
    }
  }

  private static int serverMajor(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1)) / 10000;
    }
  }

  /**
   * CREATE DATABASE with the snapshot's encoding and locale (without the locale when this server
   * lacks it), in the snapshot's tablespace when this server has one of that name.
   */
  private static void createDatabase(
      Connection admin,
      String db,
      Map<String, Object> source,
      List<String> notes,
      List<String> warnings)
      throws SQLException {
    String tablespace = DatabaseProperties.tablespace(source);
    if (tablespace != null
        && !DatabaseProperties.exists(admin, "pg_tablespace", "spcname", tablespace)) {
      warnings.add(
          "database "
              + db
              + ": tablespace "
              + tablespace
              + " of the snapshot does not exist here; the database "
              + "is created in the default tablespace");
      tablespace = null;
    }
    String base =
        "CREATE DATABASE "
            + TablePattern.quote(db)
            + " TEMPLATE template0"
            + (tablespace != null ? " TABLESPACE " + TablePattern.quote(tablespace) : "");
    Object enc = source.get("encoding");
    String full =
        base
            + (enc != null ? " ENCODING '" + enc + "'" : "")
            + (source.get("collate") != null
                ? " LC_COLLATE " + literal((String) source.get("collate"))
                : "")
            + (source.get("ctype") != null
                ? " LC_CTYPE " + literal((String) source.get("ctype"))
                : "")
            + localeProvider(source);
    try (Statement st = admin.createStatement()) {
      st.execute(full);
      notes.add(
          "created database " + db + (tablespace != null ? " in tablespace " + tablespace : ""));
    } catch (SQLException e) {
      try (Statement st = admin.createStatement()) {
        st.execute(base + (enc != null ? " ENCODING '" + enc + "'" : ""));
        notes.add(
            "created database "
                + db
                + " (the source's locale is not available here: "
                + e.getMessage()
                + ")");
      }
    }
  }

  /**
   * The source database's ICU (or builtin) locale for CREATE DATABASE, "" for a libc one: without
   * it the copy would sort and compare text by the libc locale, not as the original did.
   */
  static String localeProvider(Map<String, Object> source) {
    Object provider = source.get("localeProvider");
    Object locale = source.get("locale");
    if (!(provider instanceof String p) || !(locale instanceof String l)) return "";
    return switch (p) {
      case "icu" ->
          " LOCALE_PROVIDER icu ICU_LOCALE "
              + literal(l)
              + (source.get("icuRules") instanceof String r ? " ICU_RULES " + literal(r) : "");
      case "builtin" -> " LOCALE_PROVIDER builtin BUILTIN_LOCALE " + literal(l);
      default -> "";
    };
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static int countTables(PgConn conn, List<Node> only) throws IOException {
    try (Connection c = conn.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    + "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, "inspecting " + conn.redacted() + ": " + e.getMessage(), e);
    }
  }

  private static List<String> existingTables(PgConn conn, List<Node> tables) throws IOException {
    List<String> out = new ArrayList<>();
    try (Connection c = conn.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname = ? AND c.relname = ?")) {
      for (Node n : tables) {
        ps.setString(1, (String) n.meta().get("schema"));
        ps.setString(2, (String) n.meta().get("table"));
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) out.add(displayName(n));
        }
      }
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE, "inspecting " + conn.redacted() + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Runs pg_restore for one section of the schema archive (a file), optionally limited to a list of
   * entries.
   */
  private void pgRestore(
      PgTools tools, Options o, Path archive, String section, Path list, int jobs)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                tools.path("pg_restore"),
                "--section=" + section,
                "--exit-on-error",
                "--no-password",
                "--dbname=dbname=" + libpqQuote(o.to.database)));
    if (list != null) cmd.add("--use-list=" + list);
    if (jobs > 1) cmd.add("--jobs=" + jobs);
    cmd.add(archive.toString());
    Map<String, String> env = new LinkedHashMap<>(o.to.childEnv());
    env.put("PGOPTIONS", "-c synchronous_commit=off -c maintenance_work_mem=512MB");
    progress.current = section;
    try (PgTools.Child child = new PgTools.Child(cmd, env, false)) {
      child.finish("pg_restore --section=" + section);
    }
  }

  private static String libpqQuote(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * Writes a node's bytes to a child's stdin; a child that stops reading early (it needed only
   * part) is fine.
   */
  private void feed(Node node, PgTools.Child child) throws IOException {
    try (OutputStream in = child.process.getOutputStream();
        ContentReader r = new ContentReader(repo, node, node.name())) {
      byte[] b;
      while ((b = r.nextBlock()) != null) {
        in.write(b);
      }
    } catch (IOException e) {
      // pg_restore stops reading once it has what its section needs; its exit status tells whether
      // it worked.
      if (!isPipeError(e)) throw e;
    }
  }

  private static boolean isPipeError(IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("Broken pipe") || m.contains("Stream closed");
  }

  /** The archive's table of contents: pg_restore --list, one line per entry (comments left out). */
  private static List<String> toc(PgTools tools, Path archive) throws IOException {
    String toc;
    try (PgTools.Child child =
        new PgTools.Child(
            List.of(tools.path("pg_restore"), "--list", archive.toString()), Map.of(), false)) {
      toc = new String(child.process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      child.finish("pg_restore --list");
    }
    List<String> out = new ArrayList<>();
    for (String line : toc.split("\n")) {
      if (line.startsWith(";") || line.isBlank()) continue;
      out.add(line);
    }
    return out;
  }

  /**
   * The "TYPE schema tag owner" part of a TOC line ("123; 1259 16386 TABLE public users owner":
   * dump id; catalog oid, object oid, then the entry), or "" when the line has no such part.
   */
  static String entry(String line) {
    String[] f = line.split(" ", 4);
    return f.length < 4 ? "" : f[3];
  }

  private static Path listFile(List<String> lines, List<Path> created) throws IOException {
    Path file = Files.createTempFile("roadie-toc-", ".list");
    created.add(file);
    Files.writeString(file, lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
    return file;
  }

  /**
   * Per table (by key), the TOC lines of its own indexes and of its primary key, unique and
   * exclusion constraints: they need only that table's rows, so they are built as soon as it is
   * loaded. An entry that could belong to more than one table (names with spaces make the list
   * ambiguous) is left for the final post-data step.
   */
  @SuppressWarnings("unchecked")
  static Map<String, List<String>> earlyEntries(List<String> toc, List<Node> tables) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String line : toc) {
      String e = entry(line);
      if (!e.startsWith("INDEX ") && !e.startsWith("CONSTRAINT ")) continue;
      List<String> owners = new ArrayList<>();
      for (Node n : tables) {
        String schema = (String) n.meta().get("schema");
        boolean own = e.startsWith("CONSTRAINT " + schema + " " + n.meta().get("table") + " ");
        for (String idx : (List<String>) n.meta().getOrDefault("indexes", List.of())) {
          own |= e.startsWith("INDEX " + schema + " " + idx + " ");
        }
        if (own) owners.add(qualified(n));
      }
      if (owners.size() == 1) out.computeIfAbsent(owners.get(0), k -> new ArrayList<>()).add(line);
    }
    return out;
  }

  /** Whether a TOC entry ("TYPE schema tag owner") belongs to one of the wanted tables. */
  @SuppressWarnings("unchecked")
  static boolean belongs(String entry, List<Node> wanted) {
    for (Node n : wanted) {
      String schema = (String) n.meta().get("schema");
      String table = (String) n.meta().get("table");
      for (String type :
          List.of(
              "TABLE",
              "TABLE DATA",
              "DEFAULT",
              "CONSTRAINT",
              "FK CONSTRAINT",
              "TRIGGER",
              "POLICY",
              "ROW SECURITY",
              "COMMENT " + schema + " TABLE",
              "ACL " + schema + " TABLE")) {
        String head =
            type.contains(" " + schema + " ")
                ? type + " " + table + " "
                : type + " " + schema + " " + table + " ";
        if (entry.startsWith(head)) return true;
      }
      if (entry.startsWith("COMMENT " + schema + " COLUMN " + table + ".")) return true;
      for (String idx : (List<String>) n.meta().getOrDefault("indexes", List.of())) {
        if (entry.startsWith("INDEX " + schema + " " + idx + " ")) return true;
      }
      for (String seq : (List<String>) n.meta().getOrDefault("sequences", List.of())) {
        for (String type : List.of("SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET")) {
          if (entry.startsWith(type + " " + schema + " " + seq + " ")) return true;
        }
      }
    }
    return false;
  }

  /** Writes a native snapshot as one plain SQL script that psql loads. */
  public void writeSql(Snapshot s, OutputStream out, Path pgBin) throws IOException {
    Parts parts = parts(repo, s);
    if (parts.schema == null) {
      throw new RoadieException(ErrorCode.USAGE, "--sql needs a native postgres snapshot");
    }
    PgTools tools = PgTools.find(pgBin, 0, "pg_restore");
    boolean dataOnly = Boolean.TRUE.equals(s.source().get("dataOnly"));
    if (!dataOnly) sqlSection(tools, parts.schema, "pre-data", out);
    if (s.source().get(PostgresBackup.LC_MONETARY_KEY) instanceof String m) {
      out.write(
          ("\nSET lc_monetary = '" + m.replace("'", "''") + "';\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    List<Node> tables = new ArrayList<>(parts.tables);
    tables.sort((a, b) -> a.name().compareTo(b.name()));
    for (Node n : tables) {
      out.write(
          ("\n--\n-- Data for "
                  + displayName(n).replace("\n", " ")
                  + "\n--\n\nCOPY "
                  + qualified(n)
                  + copyColumns(n)
                  + " FROM stdin;\n")
              .getBytes(StandardCharsets.UTF_8));
      for (Node piece : parts.of(n)) {
        try (ContentReader r = new ContentReader(repo, piece, displayName(n))) {
          byte[] b;
          while ((b = r.nextBlock()) != null) out.write(b);
        }
      }
      out.write("\\.\n".getBytes(StandardCharsets.UTF_8));
    }
    sqlSection(tools, parts.schema, "data", out);
    if (s.source().get("sequences") instanceof List<?> seqs) {
      StringBuilder b = new StringBuilder("\n-- Sequence values\n");
      for (Object x : seqs) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) x;
        String name =
            TablePattern.exact((String) m.get("schema"), (String) m.get("name")).replace("'", "''");
        b.append("SELECT pg_catalog.setval('")
            .append(name)
            .append("', ")
            .append(m.get("lastValue"))
            .append(", ")
            .append(m.get("isCalled"))
            .append(");\n");
      }
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }
    if (!dataOnly) sqlSection(tools, parts.schema, "post-data", out);
    if (!dataOnly && s.source().get("materializedViews") instanceof List<?> mvs) {
      StringBuilder b = new StringBuilder("\n-- Materialized views\n");
      for (Object x : mvs) {
        List<?> mv = (List<?>) x;
        b.append("REFRESH MATERIALIZED VIEW ")
            .append(TablePattern.exact((String) mv.get(0), (String) mv.get(1)))
            .append(";\n");
      }
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
  }

  private void sqlSection(PgTools tools, Node archive, String section, OutputStream out)
      throws IOException {
    try (PgTools.Child child =
        new PgTools.Child(
            List.of(tools.path("pg_restore"), "--section=" + section, "-f", "-"), Map.of(), true)) {
      Thread feeder =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      feed(archive, child);
                    } catch (IOException ignored) {
                      // the exit status tells
                    }
                  });
      child.process.getInputStream().transferTo(out);
      child.finish("pg_restore --section=" + section);
      try {
        feeder.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Writes the stored pg_dump archive of a {@code --format pg_dump} snapshot. */
  public void writePgDump(Snapshot s, OutputStream out) throws IOException {
    Parts parts = parts(repo, s);
    if (parts.pgDump == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "this snapshot is in roadie's native format: use 'roadie dump SNAPSHOT --sql' "
              + "for a SQL script, or 'roadie restore SNAPSHOT --to URL'");
    }
    try (ContentReader r = new ContentReader(repo, parts.pgDump, parts.pgDump.name())) {
      byte[] b;
      while ((b = r.nextBlock()) != null) out.write(b);
    }
    out.flush();
  }
}
