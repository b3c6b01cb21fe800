package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchDirectoryVerify;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;

/**
 * The scratch verification of a logical ({@code postgres}) snapshot: restored into a throwaway
 * cluster ({@link ScratchCluster}) or into a scratch database that roadie creates and drops on a
 * server the user names; then every table's rows counted in the copy against the counts taken
 * inside the backup's snapshot, every foreign key and check constraint checked ({@link
 * ConstraintCheck}), {@code pg_amcheck --heapallindexed} ({@link Amcheck}), and the probes re-run
 * and compared with their results at backup time ({@link Probes}).
 */
public final class LogicalVerify {
  /**
   * @param scratchUrl a server to create the scratch database on ({@code postgresql://…}, connected
   *     to its database named there), or null for a throwaway cluster
   * @param pgBin the directory of the PostgreSQL programs, or null to find them
   * @param jobs connections used for the restore and the counts
   */
  public record Options(String scratchUrl, Path pgBin, int jobs) {}

  private final Repository repo;
  private final Progress progress;

  public LogicalVerify(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /** A place the copy is restored to: the database's connection and how reports name it. */
  public record Copy(PgConn conn, String describe, Path bin, int major) {}

  public ScratchVerifyResult run(SnapshotRef ref, Scratch scratch, Options o) throws IOException {
    Copy copy = prepare(ref, scratch, o);
    List<Check> checks = new ArrayList<>();
    checks.add(restore(ref, copy, o));
    if (checks.get(0).failed()) return new ScratchVerifyResult(checks, copy.describe(), null);
    Instant[] answered = new Instant[1];
    checks.addAll(check(ref, copy, o, answered));
    PostgresMetadata m = SourceMetadata.of(ref.snapshot(), PostgresMetadata.class);
    return new ScratchVerifyResult(
        checks,
        copy.describe(),
        m.snapshotTime() != null ? m.snapshotTime() : ref.snapshot().time(),
        answered[0]);
  }

  /**
   * Where the snapshot goes: a new throwaway cluster, or a new database on the scratch server
   * (refused when that is the snapshot's own database). Every tear-down is registered with {@code
   * scratch}.
   */
  public Copy prepare(SnapshotRef ref, Scratch scratch, Options o) throws IOException {
    Snapshot s = ref.snapshot();
    PostgresMetadata m = SourceMetadata.of(s, PostgresMetadata.class);
    int major = m.serverVersionNum() == null ? 0 : m.serverVersionNum() / 10000;
    String database = m.database() != null ? m.database() : "verify";
    if (o.scratchUrl() == null) {
      ScratchCluster cluster = ScratchCluster.create(scratch, major, o.pgBin());
      return new Copy(cluster.conn(database), cluster.describe(), cluster.bin, cluster.major);
    }
    PgConn server = PgConn.parse(o.scratchUrl());
    refuseOwnDatabase(ref, server);
    String name =
        "roadie_verify_"
            + HexFormat.of()
                .formatHex(
                    java.nio.ByteBuffer.allocate(4)
                        .putInt(new java.security.SecureRandom().nextInt())
                        .array());
    scratch.onClose(
        "drop scratch database " + name + " on " + server.hostPort(),
        () -> dropDatabase(server, name));
    return new Copy(
        server.withDatabase(name),
        "scratch database " + name + " on " + server.hostPort(),
        o.pgBin(),
        major);
  }

  /** Never the snapshot's own database: a scratch URL naming its server and database is refused. */
  static void refuseOwnDatabase(SnapshotRef ref, PgConn server) {
    String scratch = "postgres://" + server.hostPort() + "/" + server.database;
    PostgresMetadata m = SourceMetadata.of(ref.snapshot(), PostgresMetadata.class);
    String recorded = m.url() == null ? null : PostgresTargets.logical(m.url());
    if (scratch.equals(ref.snapshot().target()) || scratch.equals(recorded)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--scratch "
              + server.redacted()
              + " is the database snapshot "
              + ref.id().shortHex()
              + " was taken of; verification restores into a scratch database that it creates on "
              + "that server, but never next to production by accident: name another database (e.g. "
              + server.withDatabase("postgres").redacted()
              + ") or another server");
    }
  }

  private static void dropDatabase(PgConn server, String name) throws IOException, SQLException {
    try (Connection c = server.connect();
        Statement st = c.createStatement()) {
      int version;
      try (ResultSet rs = st.executeQuery("SHOW server_version_num")) {
        rs.next();
        version = Integer.parseInt(rs.getString(1));
      }
      if (version >= 130000) {
        st.execute("DROP DATABASE IF EXISTS " + TablePattern.quote(name) + " WITH (FORCE)");
      } else {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " + "WHERE datname = ?")) {
          ps.setString(1, name);
          ps.execute();
        }
        st.execute("DROP DATABASE IF EXISTS " + TablePattern.quote(name));
      }
    }
  }

  /** Restores the snapshot into the copy's database: the {@code restore} check. */
  public Check restore(SnapshotRef ref, Copy copy, Options o) {
    long start = System.nanoTime();
    PostgresRestore.Result res;
    try {
      res =
          new PostgresRestore(repo, progress)
              .restore(
                  ref.snapshot(),
                  new PostgresRestore.Options(
                      copy.conn(),
                      List.of(),
                      false,
                      false,
                      false,
                      Math.max(1, o.jobs()),
                      o.pgBin()));
    } catch (RoadieException | IOException e) {
      return ScratchDirectoryVerify.restoreFailed(e);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("tables", res.tables());
    figures.put("rows", res.rows());
    figures.put("bytes", res.bytes());
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    if (!res.warnings().isEmpty()) figures.put("warnings", res.warnings());
    return Check.pass(
        "restore",
        "restored "
            + Plural.count(res.tables(), "table")
            + ", "
            + Plural.count(res.rows(), "row")
            + " into "
            + copy.describe(),
        figures);
  }

  /**
   * The checks of a restored copy: row counts, probes, then the deeper scans: constraints, amcheck.
   */
  public List<Check> check(SnapshotRef ref, Copy copy, Options o) {
    return check(ref, copy, o, new Instant[1]);
  }

  /**
   * As {@link #check(SnapshotRef, Copy, Options)}; {@code answered[0]}: when the data was checked,
   * before the scans.
   */
  private List<Check> check(SnapshotRef ref, Copy copy, Options o, Instant[] answered) {
    List<Check> checks = new ArrayList<>();
    checks.add(
        guarded("row-counts", () -> rowCounts(repo, ref, copy.conn(), Math.max(1, o.jobs()))));
    checks.add(guarded("probes", () -> probes(ref, copy.conn())));
    answered[0] = Instant.now();
    checks.add(
        guarded(
            "constraints",
            () -> {
              try (Connection c = copy.conn().connect()) {
                return ConstraintCheck.run(c);
              }
            }));
    checks.add(
        guarded(
            "amcheck", () -> Amcheck.run(copy.bin(), copy.major(), copy.conn().childEnv(), false)));
    return checks;
  }

  private interface CheckRun {
    Check run() throws IOException, SQLException;
  }

  /** A check that could not be carried out is a failed check of that name; the others still run. */
  private static Check guarded(String name, CheckRun run) {
    try {
      return run.run();
    } catch (IOException | SQLException | RoadieException e) {
      return Check.fail(
          name, "could not be checked: " + PgConn.redact(e.getMessage()), Map.of(), List.of());
    }
  }

  /**
   * Every table's rows counted in the copy, several tables at once, against the backup's own
   * counts.
   */
  static Check rowCounts(Repository repo, SnapshotRef ref, PgConn conn, int jobs)
      throws IOException {
    PostgresRestore.Parts parts;
    long start = System.nanoTime();
    parts = PostgresRestore.parts(repo, ref.snapshot());
    if (parts.schema() == null) {
      return Check.skipped(
          "row-counts", "skipped: a pg_dump-format snapshot records no row counts");
    }
    ConcurrentLinkedQueue<Node> queue = new ConcurrentLinkedQueue<>(parts.tables());
    List<String> differences = java.util.Collections.synchronizedList(new ArrayList<>());
    long[] rows = new long[1];
    List<Future<?>> workers = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < Math.min(jobs, Math.max(1, parts.tables().size())); i++) {
        workers.add(
            pool.submit(
                () -> {
                  try (Connection c = conn.connect();
                      Statement st = c.createStatement()) {
                    Node first;
                    while ((first = queue.poll()) != null) {
                      String table = first.meta().get("schema") + "." + first.meta().get("table");
                      long want = parts.rows(first);
                      try (ResultSet rs =
                          st.executeQuery(
                              "SELECT count(*) FROM ONLY "
                                  + TablePattern.exact(
                                      (String) first.meta().get("schema"),
                                      (String) first.meta().get("table"))
                                  + (first.meta().get("extensionConfig") instanceof String f
                                      ? " " + f
                                      : ""))) {
                        rs.next();
                        long got = rs.getLong(1);
                        synchronized (rows) {
                          rows[0] += got;
                        }
                        if (got != want)
                          differences.add(
                              table + ": " + got + " rows in the copy, the snapshot has " + want);
                      } catch (SQLException e) {
                        differences.add(
                            table
                                + ": cannot be counted in the copy ("
                                + PgConn.redact(e.getMessage())
                                + ")");
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : workers) Repository.await(f);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("tables", parts.tables().size());
    figures.put("rows", rows[0]);
    figures.put("differences", differences.size());
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    List<String> sorted = new ArrayList<>(differences);
    sorted.sort(null);
    return Check.of(
        "row-counts",
        sorted.isEmpty()
            ? "every table's rows equal the backup's own counts ("
                + Plural.count(parts.tables().size(), "table")
                + ", "
                + Plural.count(rows[0], "row")
                + ")"
            : sorted.size()
                + " of "
                + Plural.count(parts.tables().size(), "table")
                + " differ from the backup's counts",
        figures,
        sorted);
  }

  /** The probes recorded at backup time, re-run in the copy; skipped when none were. */
  static Check probes(SnapshotRef ref, PgConn conn) throws IOException {
    PostgresMetadata m = SourceMetadata.of(ref.snapshot(), PostgresMetadata.class);
    if (m.probes() == null || m.probes().isEmpty()) {
      return Check.skipped(
          "probes", "skipped: the backup recorded no probes (backup postgres --probe NAME=SQL)");
    }
    List<String> differences = new ArrayList<>();
    Map<String, Object> results = new LinkedHashMap<>();
    try (Connection c = conn.connect()) {
      c.setAutoCommit(false);
      for (Map.Entry<String, Probes.Result> e : m.probes().entrySet()) {
        Probes.Result want = e.getValue();
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION READ ONLY");
          Probes.pinSettings(st, want.searchPath());
        }
        Probes.Result got;
        try {
          got = Probes.run(c, want.sql(), want.searchPath(), e.getKey());
          c.commit();
        } catch (SQLException ex) {
          c.rollback();
          differences.add(
              "probe " + e.getKey() + " fails on the copy: " + PgConn.redact(ex.getMessage()));
          results.put(e.getKey(), "error");
          continue;
        }
        boolean same = got.sha256().equals(want.sha256());
        results.put(e.getKey(), same ? "equal" : "differs");
        if (!same) {
          String where = Probes.firstDifference(want.text(), got.text());
          differences.add(
              "probe "
                  + e.getKey()
                  + ": "
                  + Plural.count(got.rows(), "row")
                  + " in the copy, "
                  + want.rows()
                  + " at backup time; the results differ"
                  + (where == null ? "" : " (" + where + ")"));
        }
      }
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "running the probes on " + conn.redacted() + ": " + PgConn.redact(e.getMessage()),
          e);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("probes", m.probes().size());
    figures.put("results", results);
    return Check.of(
        "probes",
        differences.isEmpty()
            ? "every probe returns what it returned inside the backup's "
                + "snapshot ("
                + Plural.count(m.probes().size(), "probe")
                + ")"
            : differences.size()
                + " of "
                + Plural.count(m.probes().size(), "probe")
                + " return something else than at backup time",
        figures,
        differences);
  }
}
