package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.ParentStream;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * PostgreSQL logical backup.
 *
 * <p>native format: one exporting transaction ({@code pg_export_snapshot()}) held open for the
 * whole backup; {@code pg_dump -Fc -Z0 --snapshot} stores the schema, sequence values and large
 * objects (every table's data excluded) as {@code schema.dump}; each table's rows are a text {@code
 * COPY} under the same snapshot on one of {@code jobs} worker connections, streamed straight into
 * the repository as {@code tables/<schema>.<table>} with small chunks. Row counts are counted from
 * the COPY stream itself, so they are exact and belong to the snapshot.
 *
 * <p>pg_dump format: one {@code pg_dump -Fc -Z0} stream, {@code database.dump}, that stock
 * pg_restore reads.
 */
public final class PostgresBackup {
  public static final String KIND = "postgres";
  public static final String SCHEMA_NODE = "schema.dump";
  public static final String TABLES_DIR = "tables";
  public static final String PGDUMP_NODE = "database.dump";

  /**
   * Snapshot metadata: the database's own owner, settings, comment and privileges ({@link
   * DatabaseProperties}).
   */
  public static final String DATABASE_PROPERTIES = "databaseProperties";

  /**
   * {@code probes}: queries run inside the backup's snapshot, their results stored in it ({@link
   * Probes}).
   */
  public record Options(
      PgConn conn,
      String target,
      int jobs,
      List<String> tables,
      List<String> excludeTables,
      boolean schemaOnly,
      boolean dataOnly,
      String format,
      Path pgBin,
      List<String> tags,
      String time,
      List<Probes.Probe> probes) {
    public Options {
      probes = probes == null ? List.of() : List.copyOf(probes);
    }

    /** Without probes. */
    public Options(
        PgConn conn,
        String target,
        int jobs,
        List<String> tables,
        List<String> excludeTables,
        boolean schemaOnly,
        boolean dataOnly,
        String format,
        Path pgBin,
        List<String> tags,
        String time) {
      this(
          conn,
          target,
          jobs,
          tables,
          excludeTables,
          schemaOnly,
          dataOnly,
          format,
          pgBin,
          tags,
          time,
          List.of());
    }
  }

  /** A table whose rows are dumped. */
  record TableInfo(
      long oid,
      String schema,
      String name,
      long sizeBytes,
      List<String> columns,
      String persistence,
      List<String> indexes,
      List<String> sequences,
      String extensionConfig) {
    String qualified() {
      return TablePattern.quote(schema) + "." + TablePattern.quote(name);
    }

    String key() {
      return schema + "." + name;
    }
  }

  private final Repository repo;
  private final Progress progress;

  /**
   * The previous backup of the same target: each table stream is stored against its own stream
   * there.
   */
  private ParentStream.Finder parents = ParentStream.Finder.NONE;

  private long partBytes = PART_BYTES;

  public PostgresBackup(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  public static String defaultTarget(PgConn c) {
    return "postgres://" + c.hostPort() + "/" + c.database;
  }

  public Id run(Options o) throws IOException {
    if (o.schemaOnly && o.dataOnly) {
      throw new RoadieException(
          ErrorCode.USAGE, "--schema-only and --data-only exclude each other");
    }
    String format = o.format == null ? "native" : o.format;
    if (!format.equals("native") && !format.equals("pg_dump")) {
      throw new RoadieException(
          ErrorCode.USAGE, "--format must be native or pg_dump, not '" + format + "'");
    }
    if (!o.probes.isEmpty() && format.equals("pg_dump")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--probe needs the native format: probes run inside the backup's own "
              + "snapshot, which a --format pg_dump backup does not share");
    }
    java.util.Set<String> probeNames = new java.util.HashSet<>();
    for (Probes.Probe p : o.probes) {
      if (!probeNames.add(p.name()))
        throw new RoadieException(ErrorCode.USAGE, "probe " + p.name() + " is given twice");
    }
    List<TablePattern> include =
        o.tables == null ? List.of() : o.tables.stream().map(TablePattern::parse).toList();
    List<TablePattern> exclude =
        o.excludeTables == null
            ? List.of()
            : o.excludeTables.stream().map(TablePattern::parse).toList();
    return format.equals("native") ? nativeBackup(o, include, exclude) : pgDumpBackup(o);
  }

  private Map<String, Object> serverInfo(Connection c) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
                    + "current_database(), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                    + "pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, current_setting('block_size')::int FROM pg_database d WHERE d.datname = current_database()")) {
      rs.next();
      m.put("serverVersion", rs.getString(1));
      m.put("serverVersionNum", rs.getInt(2));
      m.put("database", rs.getString(3));
      m.put("snapshotTime", rs.getString(4));
      m.put("encoding", rs.getString(5));
      m.put("collate", rs.getString(6));
      m.put("ctype", rs.getString(7));
      m.put("blockSize", rs.getInt(8));
    }
    // PostgreSQL 15+ databases can take their collation from ICU (17+: also the builtin provider);
    // the columns differ by version, so they are read by name from the row as JSON.
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT j ->> 'datlocprovider', coalesce(j ->> 'datlocale', j ->> 'daticulocale'), "
                    + "j ->> 'daticurules' FROM (SELECT to_jsonb(d) AS j FROM pg_database d "
                    + "WHERE d.datname = current_database()) x")) {
      rs.next();
      String provider =
          switch (String.valueOf(rs.getString(1))) {
            case "i" -> "icu";
            case "b" -> "builtin";
            default -> null;
          };
      if (provider != null) {
        m.put("localeProvider", provider);
        m.put("locale", rs.getString(2));
        if (rs.getString(3) != null) m.put("icuRules", rs.getString(3));
      }
    }
    return m;
  }

  private Id pgDumpBackup(Options o) throws IOException {
    PgTools tools;
    Map<String, Object> source;
    try (Connection c = o.conn.connect()) {
      source = serverInfo(c);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "reading server information from " + o.conn.redacted() + ": " + e.getMessage(),
          e);
    }
    tools = PgTools.find(o.pgBin, (Integer) source.get("serverVersionNum") / 10000, "pg_dump");
    List<String> cmd =
        new ArrayList<>(List.of(tools.path("pg_dump"), "-Fc", "-Z0", "--no-password"));
    for (String t : o.tables == null ? List.<String>of() : o.tables) cmd.add("--table=" + t);
    for (String t : o.excludeTables == null ? List.<String>of() : o.excludeTables)
      cmd.add("--exclude-table=" + t);
    if (o.schemaOnly) cmd.add("--schema-only");
    if (o.dataOnly) cmd.add("--data-only");
    source.put("format", "pg_dump");
    source.put("url", o.conn.redacted());
    source.put("pgDumpVersion", tools.version);
    try (BackupWriter w = new BackupWriter(repo, progress);
        PgTools.Child dump = new PgTools.Child(cmd, o.conn.childEnv(), false)) {
      progress.current = PGDUMP_NODE;
      Content content;
      try (InputStream in = dump.process.getInputStream()) {
        content = w.writeStream(in, ChunkerParams.TABLE);
      }
      dump.finish("pg_dump of " + o.conn.redacted());
      progress.files.incrementAndGet();
      Node n =
          new Node(
              PGDUMP_NODE,
              Node.STREAM,
              content.size(),
              null,
              null,
              null,
              null,
              null,
              content.chunksHex(),
              content.chunkListsHex(),
              null,
              Map.of("format", "pg_dump -Fc -Z0"));
      Id tree = w.writeTree(new Tree(List.of(n)));
      return w.commit(draft(o, tree, source));
    }
  }

  private Snapshot draft(Options o, Id tree, Map<String, Object> source) {
    String target = o.target != null ? o.target : defaultTarget(o.conn);
    return new Snapshot(
        Snapshot.VERSION,
        o.time,
        target,
        KIND,
        Hosts.host(),
        Hosts.user(),
        o.tags,
        List.of(o.conn.redacted()),
        tree.hex(),
        null,
        null,
        source);
  }

  private Id nativeBackup(Options o, List<TablePattern> include, List<TablePattern> exclude)
      throws IOException {
    int jobs = Math.max(1, o.jobs);
    // The copy workers' connections are made while the exporting one starts (each is a connection
    // start-up with authentication), so that the COPYs begin as soon as the snapshot exists.
    List<CompletableFuture<Connection>> connecting = new ArrayList<>();
    for (int i = 0; i < (o.schemaOnly ? 0 : jobs); i++) {
      connecting.add(
          CompletableFuture.supplyAsync(() -> copyConnection(o.conn), Thread::startVirtualThread));
    }
    List<Connection> workers = Collections.synchronizedList(new ArrayList<>());
    Connection exporter;
    try {
      exporter = o.conn.connect();
    } catch (IOException | RuntimeException e) {
      closeWhenConnected(connecting);
      throw e;
    }
    try {
      String snapshotId;
      Map<String, Object> source;
      List<TableInfo> tables;
      List<Map<String, Object>> sequences;
      List<List<String>> matviews;
      try {
        // The tables are listed before the transaction, so that it can lock them before its
        // snapshot is taken (LOCK TABLE takes none).
        List<TableInfo> toLock =
            o.schemaOnly ? List.of() : tableNames(exporter, include, exclude, false);
        exporter.setAutoCommit(false);
        try (Statement st = exporter.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
          lockTables(exporter, toLock);
          try (ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
            rs.next();
            snapshotId = rs.getString(1);
          }
        }
        source = serverInfo(exporter);
        source.put(DATABASE_PROPERTIES, DatabaseProperties.read(exporter));
        tables = listTables(exporter, include, exclude);
        if (!o.schemaOnly) {
          // Tables made between the listing and the snapshot.
          java.util.Set<Long> locked = new java.util.HashSet<>();
          for (TableInfo t : toLock) locked.add(t.oid());
          lockTables(exporter, tables.stream().filter(t -> !locked.contains(t.oid())).toList());
        }
        sequences = sequences(exporter, include, exclude);
        matviews = populatedMatviews(exporter, include, exclude);
      } catch (SQLException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "starting the backup of " + o.conn.redacted() + ": " + e.getMessage(),
            e);
      }
      PgTools tools =
          PgTools.find(o.pgBin, (Integer) source.get("serverVersionNum") / 10000, "pg_dump");
      source.put("format", "native");
      source.put(LC_MONETARY_KEY, LC_MONETARY);
      source.put("url", o.conn.redacted());
      source.put("pgDumpVersion", tools.version);
      if (o.schemaOnly) source.put("schemaOnly", true);
      if (o.dataOnly) source.put("dataOnly", true);
      if (!include.isEmpty()) source.put("tablePatterns", o.tables);
      if (!exclude.isEmpty()) source.put("excludeTablePatterns", o.excludeTables);

      try (BackupWriter w = new BackupWriter(repo, progress)) {
        parents =
            ParentStream.parentOf(
                repo,
                o.target != null ? o.target : defaultTarget(o.conn),
                KIND,
                s -> s.source() != null && "native".equals(s.source().get("format")));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Node> tableNodes = Collections.synchronizedList(new ArrayList<>());
        Map<String, Object> counts = new TreeMap<>();
        Map<Long, String> countKeys = countKeys(tables);
        Node[] schemaNode = new Node[1];
        List<Thread> threads = new ArrayList<>();
        PgTools.Child[] dumpChild = new PgTools.Child[1];
        Runnable abort =
            () -> {
              if (dumpChild[0] != null) dumpChild[0].close();
              synchronized (workers) {
                workers.forEach(PostgresBackup::closeQuietly);
              }
            };
        // Schema, sequence values and large objects: pg_dump under the same snapshot.
        threads.add(
            Thread.ofVirtual()
                .name("pg_dump")
                .start(
                    () -> {
                      try {
                        List<String> cmd =
                            new ArrayList<>(
                                List.of(
                                    tools.path("pg_dump"),
                                    "-Fc",
                                    "-Z0",
                                    "--no-password",
                                    "--snapshot=" + snapshotId,
                                    "--exclude-table-data=*.*"));
                        if (!include.isEmpty() || !exclude.isEmpty()) {
                          // The selected tables exactly (partitions of a selected parent included);
                          // their owned sequences follow.
                          List<String> names = selectedRelations(exporter, include, exclude);
                          for (String n : names) cmd.add("--table=" + n);
                        }
                        synchronized (dumpChild) {
                          dumpChild[0] = new PgTools.Child(cmd, o.conn.childEnv(), false);
                        }
                        Content c;
                        try (InputStream in = dumpChild[0].process.getInputStream()) {
                          c = w.writeStream(in, ChunkerParams.SMALL);
                        }
                        dumpChild[0].finish("pg_dump of the schema of " + o.conn.redacted());
                        progress.files.incrementAndGet();
                        schemaNode[0] =
                            new Node(
                                SCHEMA_NODE,
                                Node.STREAM,
                                c.size(),
                                null,
                                null,
                                null,
                                null,
                                null,
                                c.chunksHex(),
                                c.chunkListsHex(),
                                null,
                                Map.of("format", "pg_dump -Fc -Z0, table data excluded"));
                      } catch (Throwable t) {
                        if (failure.compareAndSet(null, t)) abort.run();
                      }
                    }));
        Map<String, Probes.Result> probeResults = new TreeMap<>();
        if (!o.probes.isEmpty()) {
          threads.add(
              Thread.ofVirtual()
                  .name("probes")
                  .start(
                      () -> {
                        try {
                          probeResults.putAll(runProbes(o, snapshotId));
                        } catch (Throwable t) {
                          if (failure.compareAndSet(null, t)) abort.run();
                        }
                      }));
        }
        if (!o.schemaOnly) {
          ConcurrentLinkedQueue<Part> queue =
              new ConcurrentLinkedQueue<>(parts(tables, source, partBytes));
          for (int i = 0; i < Math.min(jobs, Math.max(1, tables.size())); i++) {
            CompletableFuture<Connection> connection = connecting.get(i);
            // Platform threads: each reads its socket in blocking calls and chunks on the same
            // thread;
            // a virtual thread parks at every read that finds no data yet and is woken through the
            // JDK's poller (docs/decisions/0018-logical-backup-copy-path.md).
            threads.add(
                Thread.ofPlatform()
                    .name("copy-" + i)
                    .start(
                        () -> {
                          try (Connection c = await(connection)) {
                            workers.add(c);
                            try (Statement st = c.createStatement()) {
                              st.execute(
                                  "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                              st.execute("SET TRANSACTION SNAPSHOT '" + snapshotId + "'");
                            }
                            Part part;
                            while ((part = queue.poll()) != null && failure.get() == null) {
                              Node n = copyTable(w, c, part);
                              tableNodes.add(n);
                              synchronized (counts) {
                                @SuppressWarnings("unchecked")
                                Map<String, Object> tm =
                                    (Map<String, Object>)
                                        counts.computeIfAbsent(
                                            countKeys.get(part.table().oid()),
                                            k -> {
                                              Map<String, Object> m = new LinkedHashMap<>();
                                              m.put("rows", 0L);
                                              m.put("bytes", 0L);
                                              return m;
                                            });
                                tm.put("rows", (Long) tm.get("rows") + (Long) n.meta().get("rows"));
                                tm.put("bytes", (Long) tm.get("bytes") + n.size());
                              }
                            }
                            c.commit();
                          } catch (Throwable t) {
                            if (failure.compareAndSet(null, t)) abort.run();
                          }
                        }));
          }
        }
        for (Thread t : threads) {
          try {
            t.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new IOException("interrupted"));
            abort.run();
          }
        }
        Throwable f = failure.get();
        if (f != null) {
          if (f instanceof RoadieException r) throw r;
          if (f instanceof SQLException s) {
            throw new RoadieException(
                ErrorCode.FAILURE,
                "backup of "
                    + o.conn.redacted()
                    + " failed: "
                    + PgConn.redact(s.getMessage())
                    + "; no snapshot was written",
                s);
          }
          if (f instanceof IOException io) throw io;
          throw new IOException(f.toString(), f);
        }
        try {
          exporter.commit();
        } catch (SQLException e) {
          throw new RoadieException(
              ErrorCode.FAILURE, "the exporting transaction failed: " + e.getMessage(), e);
        }
        List<Node> sorted = new ArrayList<>(tableNodes);
        sorted.sort(Comparator.comparing(Node::name));
        Id tablesTree = w.writeTree(new Tree(sorted));
        List<Node> root = new ArrayList<>();
        root.add(schemaNode[0]);
        root.add(
            new Node(
                TABLES_DIR,
                Node.DIR,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                tablesTree.hex(),
                null));
        root.sort(Comparator.comparing(Node::name));
        source.put("tables", counts);
        source.put("sequences", sequences);
        if (!matviews.isEmpty()) source.put("materializedViews", matviews);
        source.put("tableCount", counts.size());
        if (!probeResults.isEmpty()) source.put("probes", probeResults);
        Id tree = w.writeTree(new Tree(root));
        return w.commit(draft(o, tree, source));
      }
    } finally {
      closeWhenConnected(connecting);
      closeQuietly(exporter);
    }
  }

  /**
   * Runs the probes on a connection of their own inside the backup's snapshot, read-only, with the
   * settings that shape their text pinned ({@link Probes}). A probe that fails fails the backup:
   * its result is what a verification will hold the restored copy to.
   */
  private static Map<String, Probes.Result> runProbes(Options o, String snapshotId)
      throws IOException {
    Map<String, Probes.Result> out = new LinkedHashMap<>();
    try (Connection c = o.conn.connect()) {
      String searchPath = Probes.searchPath(c);
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        st.execute("SET TRANSACTION SNAPSHOT '" + snapshotId + "'");
        Probes.pinSettings(st, null);
      }
      for (Probes.Probe p : o.probes) {
        try {
          out.put(p.name(), Probes.run(c, p.sql(), searchPath, p.name()));
        } catch (SQLException e) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "probe "
                  + p.name()
                  + " failed: "
                  + PgConn.redact(e.getMessage())
                  + "; fix its SQL (it runs read-only inside the backup's snapshot); no snapshot was written",
              e);
        }
      }
      c.rollback();
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "running the probes on " + o.conn.redacted() + ": " + PgConn.redact(e.getMessage()),
          e);
    }
    return out;
  }

  /**
   * Closes the copy connections no worker took (fewer tables than jobs, or a failure before the
   * copies).
   */
  private static void closeWhenConnected(List<CompletableFuture<Connection>> connecting) {
    for (CompletableFuture<Connection> f : connecting) {
      f.thenAccept(PostgresBackup::closeQuietly);
    }
  }

  /** A copy worker's connection with its session settings; the caller sets the snapshot. */
  private static Connection copyConnection(PgConn conn) {
    try {
      Connection c = conn.connectForCopyOut();
      try (Statement st = c.createStatement()) {
        // synchronize_seqscans off: every scan starts at block 0, so rows come in the same order
        // each
        // backup and unchanged stretches of a table deduplicate.
        st.execute(
            "SET row_security = off; SET extra_float_digits = 3; SET DateStyle = ISO; "
                + "SET synchronize_seqscans = off; SET lc_monetary = '"
                + LC_MONETARY
                + "'; "
                + "SET IntervalStyle = postgres; SET statement_timeout = 0");
        c.setAutoCommit(false);
      } catch (SQLException e) {
        closeQuietly(c);
        throw e;
      }
      return c;
    } catch (IOException | SQLException e) {
      throw new CompletionException(e);
    }
  }

  private static Connection await(CompletableFuture<Connection> f)
      throws IOException, SQLException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      if (e.getCause() instanceof SQLException sql) throw sql;
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  /**
   * money's text form follows lc_monetary ("1.234,56 €" under de_DE), and money input reads only
   * the session's own form: the rows are copied, and loaded again, under one fixed locale, so a
   * database, role or server setting on either side cannot make them unreadable. Recorded in the
   * snapshot as {@link #LC_MONETARY_KEY}; older snapshots hold the source's form.
   */
  static final String LC_MONETARY = "C";

  static final String LC_MONETARY_KEY = "lcMonetary";

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing is all we want
    }
  }

  /**
   * Names a stream node after its table: schema.table with '/', '%' and control characters
   * %-escaped.
   */
  public static String nodeName(String schema, String table) {
    return escape(schema) + "." + escape(table);
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '/' || c == '%' || c == '.' || c == '#' || c < 0x20 || c == 0x7f) {
        b.append('%').append(String.format("%02X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * One stream of a table: the whole table, or for a large table on PostgreSQL 14+ a fixed range of
   * its heap blocks ({@value #PART_BYTES} bytes each, by ctid), so that several workers (and server
   * processes) share one big table. Ranges are fixed block numbers, so they stay aligned from
   * backup to backup; concatenated in order they are the table's rows in physical order.
   */
  record Part(TableInfo table, int part, int parts, long blocksPerPart) {}

  static final long PART_BYTES = 256L << 20;

  /**
   * Heap bytes per stream of a large table, {@link #PART_BYTES} unless a test sets less (so that
   * small tables are split as large ones are).
   */
  PostgresBackup partBytes(long bytes) {
    if (bytes < 1) throw new IllegalArgumentException("part bytes " + bytes);
    this.partBytes = bytes;
    return this;
  }

  static List<Part> parts(List<TableInfo> tables, Map<String, Object> source, long partBytes) {
    int version = (Integer) source.get("serverVersionNum");
    List<Part> out = new ArrayList<>();
    long blockSize = ((Number) source.getOrDefault("blockSize", 8192)).longValue();
    long blocks = Math.max(1, partBytes / blockSize);
    for (TableInfo t : tables) {
      int n =
          version >= 140000 && t.sizeBytes > partBytes && t.extensionConfig == null
              ? (int) ((t.sizeBytes + partBytes - 1) / partBytes)
              : 1;
      for (int i = 0; i < n; i++) out.add(new Part(t, i, n, blocks));
    }
    return out;
  }

  private Node copyTable(BackupWriter w, Connection c, Part part) throws SQLException, IOException {
    TableInfo t = part.table();
    progress.current =
        t.key()
            + (part.parts() > 1 ? " (part " + (part.part() + 1) + " of " + part.parts() + ")" : "");
    String cols =
        t.columns.isEmpty()
            ? ""
            : " (" + String.join(", ", t.columns.stream().map(TablePattern::quote).toList()) + ")";
    String sql;
    if (t.extensionConfig != null && !t.extensionConfig.isBlank()) {
      // The rows the extension's own script does not make, as pg_dump selects them.
      sql =
          "COPY (SELECT "
              + String.join(", ", t.columns.stream().map(TablePattern::quote).toList())
              + " FROM ONLY "
              + t.qualified()
              + " "
              + t.extensionConfig
              + ") TO STDOUT";
    } else if (part.parts() == 1) {
      sql = "COPY " + t.qualified() + cols + " TO STDOUT";
    } else {
      long lo = part.part() * part.blocksPerPart();
      String where =
          "ctid >= '("
              + lo
              + ",0)'::tid"
              + (part.part() + 1 < part.parts()
                  ? " AND ctid < '(" + (lo + part.blocksPerPart()) + ",0)'::tid"
                  : "");
      String select =
          t.columns.isEmpty()
              ? ""
              : String.join(", ", t.columns.stream().map(TablePattern::quote).toList());
      sql =
          "COPY (SELECT "
              + select
              + " FROM ONLY "
              + t.qualified()
              + " WHERE "
              + where
              + ") TO STDOUT";
    }
    // The exporting transaction holds this table's lock; a request for an exclusive one
    // (TRUNCATE, ALTER TABLE) made since waits for it, and this session's would queue behind that
    // one, never to be granted while the backup waits for this copy.
    try (Statement st = c.createStatement()) {
      st.execute("LOCK TABLE ONLY " + t.qualified() + " IN ACCESS SHARE MODE NOWAIT");
    } catch (SQLException e) {
      if (!"55P03".equals(e.getSQLState())) throw e;
      throw new RoadieException(
          ErrorCode.FAILURE,
          "table "
              + t.key()
              + ": another session asked for an exclusive lock on it during the backup "
              + "(TRUNCATE, ALTER TABLE, DROP, VACUUM FULL, ...); it waits for the backup, and "
              + "the backup cannot copy the table behind it; no snapshot was written: run the "
              + "backup again once that statement is done",
          e);
    }
    CopyOut copy = c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
    long[] rows = {0};
    InputStream in =
        new InputStream() {
          byte[] buf = new byte[0];
          int pos;
          boolean done;

          private boolean fill() throws IOException {
            while (!done && pos >= buf.length) {
              try {
                byte[] b = copy.readFromCopy();
                if (b == null) {
                  done = true;
                } else {
                  rows[0]++;
                  buf = b;
                  pos = 0;
                }
              } catch (SQLException e) {
                throw new IOException("COPY of " + t.key() + ": " + e.getMessage(), e);
              }
            }
            return !done || pos < buf.length;
          }

          @Override
          public int read() throws IOException {
            return fill() ? buf[pos++] & 0xff : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            int n = 0;
            while (n < len) {
              if (pos >= buf.length && (n > 0 && done || !fill())) break;
              if (pos >= buf.length) break;
              int k = Math.min(len - n, buf.length - pos);
              System.arraycopy(buf, pos, b, off + n, k);
              pos += k;
              n += k;
            }
            return n == 0 ? -1 : n;
          }
        };
    String name =
        nodeName(t.schema, t.name) + (part.parts() > 1 ? String.format("#%06d", part.part()) : "");
    Content content = w.writeStream(in, ChunkerParams.TABLE, parents.stream(TABLES_DIR, name));
    if (copy.isActive()) {
      copy.cancelCopy();
    }
    progress.files.incrementAndGet();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("schema", t.schema);
    meta.put("table", t.name);
    meta.put("columns", t.columns);
    meta.put("rows", rows[0]);
    if (part.parts() > 1) {
      meta.put("part", part.part());
      meta.put("parts", part.parts());
    }
    if (!t.indexes.isEmpty()) meta.put("indexes", t.indexes);
    if (!t.sequences.isEmpty()) meta.put("sequences", t.sequences);
    if (!"p".equals(t.persistence)) meta.put("persistence", t.persistence);
    if (t.extensionConfig != null) meta.put("extensionConfig", t.extensionConfig);
    return new Node(
        name,
        Node.STREAM,
        content.size(),
        null,
        null,
        null,
        null,
        null,
        content.chunksHex(),
        content.chunkListsHex(),
        null,
        meta);
  }

  private static final String USER_RELATIONS =
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          + "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
          + "AND n.nspname NOT LIKE 'pg\\_temp%' "
          + "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') ";

  /**
   * The user's relations and the extensions' configuration tables and sequences (marked with
   * pg_extension_config_dump): CREATE EXTENSION makes those at restore, but the rows and values a
   * user put there are data, which pg_dump dumps too. {@code cfg.filter} is the extension's WHERE
   * clause for the rows to keep ('' for all of them), null for a user's relation. Only for a whole
   * database: a filtered schema archive holds no extensions.
   */
  private static final String USER_AND_CONFIG_RELATIONS =
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          + "LEFT JOIN (SELECT u.oid, coalesce(e.extcondition[u.ord], '') AS filter FROM pg_extension e, "
          + "unnest(e.extconfig) WITH ORDINALITY AS u(oid, ord)) cfg ON cfg.oid = c.oid "
          + "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
          + "AND n.nspname NOT LIKE 'pg\\_temp%' "
          + "AND (cfg.oid IS NOT NULL OR NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')) ";

  /**
   * Tables with rows to copy: ordinary tables and leaf partitions (partitioned parents hold no
   * rows), largest first.
   */
  static List<TableInfo> listTables(
      Connection c, List<TablePattern> include, List<TablePattern> exclude) throws SQLException {
    List<TableInfo> out = tableNames(c, include, exclude, true);
    List<TableInfo> withCols = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT attname FROM pg_attribute WHERE attrelid = ? AND attnum > 0 "
                    + "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum");
        PreparedStatement idx =
            c.prepareStatement(
                "SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
                    + "WHERE i.indrelid = ? ORDER BY 1");
        PreparedStatement seq =
            c.prepareStatement(
                "SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                    + "WHERE d.classid = 'pg_class'::regclass AND d.refobjid = ? AND s.relkind = 'S' AND d.deptype IN ('a', 'i') ORDER BY 1")) {
      for (TableInfo t : out) {
        withCols.add(
            new TableInfo(
                t.oid,
                t.schema,
                t.name,
                t.sizeBytes,
                strings(ps, t.oid),
                t.persistence,
                strings(idx, t.oid),
                strings(seq, t.oid),
                t.extensionConfig));
      }
    }
    withCols.sort(Comparator.comparingLong(TableInfo::sizeBytes).reversed());
    return withCols;
  }

  /**
   * ACCESS SHARE locks on the tables to copy, held by the exporting transaction to its end, as
   * pg_dump takes them. TRUNCATE and the ALTER TABLEs that rewrite a table are not MVCC-safe: once
   * one commits, a scan under an older snapshot finds the table empty, so a copy made after it
   * would store no rows. With the locks they wait for the backup. Taken before the snapshot where
   * possible: one that committed while the locks were awaited is then in the snapshot.
   */
  static void lockTables(Connection c, List<TableInfo> unordered) throws SQLException {
    // In a stable order (pg_dump's), oldest table first.
    List<TableInfo> tables = new ArrayList<>(unordered);
    tables.sort(Comparator.comparingLong(TableInfo::oid));
    try (Statement st = c.createStatement()) {
      for (int i = 0; i < tables.size(); i += 1000) {
        st.execute(
            "LOCK TABLE "
                + String.join(
                    ", ",
                    tables.subList(i, Math.min(tables.size(), i + 1000)).stream()
                        .map(t -> "ONLY " + t.qualified())
                        .toList())
                + " IN ACCESS SHARE MODE");
      }
    }
  }

  /**
   * The tables with rows to copy, without their columns, indexes and sequences; with their sizes or
   * not (pg_relation_size takes each table's lock, which must not wait before the backup takes its
   * own).
   */
  static List<TableInfo> tableNames(
      Connection c, List<TablePattern> include, List<TablePattern> exclude, boolean sizes)
      throws SQLException {
    List<TableInfo> out = new ArrayList<>();
    Parents parents = ancestors(c);
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.oid, n.nspname, c.relname, "
                    + (sizes ? "pg_relation_size(c.oid)" : "0")
                    + ", c.relpersistence, "
                    + (include.isEmpty() && exclude.isEmpty()
                        ? "cfg.filter " + USER_AND_CONFIG_RELATIONS
                        : "NULL::text " + USER_RELATIONS)
                    + "AND c.relkind = 'r'")) {
      while (rs.next()) {
        long oid = rs.getLong(1);
        String schema = rs.getString(2);
        String name = rs.getString(3);
        if (!selected(oid, schema, name, parents, include, exclude)) continue;
        out.add(
            new TableInfo(
                oid,
                schema,
                name,
                rs.getLong(4),
                List.of(),
                rs.getString(5),
                List.of(),
                List.of(),
                rs.getString(6)));
      }
    }
    return out;
  }

  /**
   * Each table's key in the snapshot's row counts: schema.table, or where two tables would share
   * that ("a.b"."c" and "a"."b.c") both quoted, so that neither's counts are added to the other's.
   */
  static Map<Long, String> countKeys(List<TableInfo> tables) {
    Map<String, Long> uses = new java.util.HashMap<>();
    for (TableInfo t : tables) uses.merge(t.key(), 1L, Long::sum);
    Map<Long, String> out = new java.util.HashMap<>();
    for (TableInfo t : tables) {
      out.put(t.oid(), uses.get(t.key()) > 1 ? t.qualified() : t.key());
    }
    return out;
  }

  private static List<String> strings(PreparedStatement ps, long oid) throws SQLException {
    ps.setLong(1, oid);
    List<String> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return List.copyOf(out);
  }

  /** Partition parents: child oid to parent oid, and every parent's schema and name. */
  private record Parents(Map<Long, Long> parentOf, Map<Long, String[]> names) {}

  private static Parents ancestors(Connection c) throws SQLException {
    Map<Long, Long> parentOf = new java.util.HashMap<>();
    Map<Long, String[]> names = new java.util.HashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT i.inhrelid, i.inhparent, n.nspname, p.relname FROM pg_inherits i "
                    + "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
                    + "JOIN pg_class ch ON ch.oid = i.inhrelid WHERE ch.relispartition")) {
      while (rs.next()) {
        parentOf.put(rs.getLong(1), rs.getLong(2));
        names.put(rs.getLong(2), new String[] {rs.getString(3), rs.getString(4)});
      }
    }
    return new Parents(parentOf, names);
  }

  private static boolean selected(
      long oid,
      String schema,
      String name,
      Parents parents,
      List<TablePattern> include,
      List<TablePattern> exclude) {
    List<String[]> chain = new ArrayList<>();
    chain.add(new String[] {schema, name});
    Long p = parents.parentOf().get(oid);
    for (int guard = 0; p != null && guard < 64; guard++) {
      chain.add(parents.names().get(p));
      p = parents.parentOf().get(p);
    }
    boolean in =
        include.isEmpty()
            || chain.stream().anyMatch(s -> include.stream().anyMatch(t -> t.matches(s[0], s[1])));
    boolean out =
        chain.stream().anyMatch(s -> exclude.stream().anyMatch(t -> t.matches(s[0], s[1])));
    return in && !out;
  }

  /**
   * Sequence values (pg_dump's data section has them, but the schema archive excludes all relation
   * data). Like pg_dump's, they are read in the backup's transaction; sequences are not
   * transactional, so a value can be ahead of the snapshot's data, never behind.
   */
  static List<Map<String, Object>> sequences(
      Connection c, List<TablePattern> include, List<TablePattern> exclude) throws SQLException {
    Parents parents = ancestors(c);
    List<Map<String, Object>> out = new ArrayList<>();
    List<String[]> names = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.oid, n.nspname, c.relname, (SELECT t.relname FROM pg_depend d "
                    + "JOIN pg_class t ON t.oid = d.refobjid WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
                    + "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) "
                    + (include.isEmpty() && exclude.isEmpty()
                        ? USER_AND_CONFIG_RELATIONS
                        : USER_RELATIONS)
                    + "AND c.relkind = 'S' ORDER BY 2, 3")) {
      while (rs.next()) {
        boolean filtered = !include.isEmpty() || !exclude.isEmpty();
        String owner = rs.getString(4);
        if (filtered
            && !selected(rs.getLong(1), rs.getString(2), rs.getString(3), parents, include, exclude)
            && (owner == null
                || !selected(-1, rs.getString(2), owner, parents, include, exclude))) {
          continue;
        }
        names.add(new String[] {rs.getString(2), rs.getString(3)});
      }
    }
    try (Statement st = c.createStatement()) {
      for (String[] n : names) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT last_value, is_called FROM " + TablePattern.exact(n[0], n[1]))) {
          rs.next();
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("schema", n[0]);
          m.put("name", n[1]);
          m.put("lastValue", rs.getLong(1));
          m.put("isCalled", rs.getBoolean(2));
          out.add(m);
        }
      }
    }
    return out;
  }

  /**
   * Populated materialized views, in creation order: restore refreshes them (their data is excluded
   * from the archive).
   */
  static List<List<String>> populatedMatviews(
      Connection c, List<TablePattern> include, List<TablePattern> exclude) throws SQLException {
    Parents parents = ancestors(c);
    List<List<String>> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.oid, n.nspname, c.relname "
                    + USER_RELATIONS
                    + "AND c.relkind = 'm' AND c.relispopulated ORDER BY c.oid")) {
      while (rs.next()) {
        if (selected(rs.getLong(1), rs.getString(2), rs.getString(3), parents, include, exclude)) {
          out.add(List.of(rs.getString(2), rs.getString(3)));
        }
      }
    }
    return out;
  }

  /**
   * Exact pg_dump patterns for the selected relations: tables, partitioned parents, views,
   * sequences.
   */
  static List<String> selectedRelations(
      Connection c, List<TablePattern> include, List<TablePattern> exclude) throws SQLException {
    Parents parents = ancestors(c);
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.oid, n.nspname, c.relname "
                    + USER_RELATIONS
                    + "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')")) {
      while (rs.next()) {
        if (selected(rs.getLong(1), rs.getString(2), rs.getString(3), parents, include, exclude)) {
          out.add(TablePattern.exact(rs.getString(2), rs.getString(3)));
        }
      }
    }
    if (out.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE, "no table matches the --table/--exclude-table patterns");
    }
    return out;
  }
}
