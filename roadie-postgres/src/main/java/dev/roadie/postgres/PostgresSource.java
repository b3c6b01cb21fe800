package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code postgres} source (logical backups of one database) on the source SPI: {@link
 * PostgresBackup} and {@link PostgresRestore} behind typed options, and verification by row count.
 */
public final class PostgresSource implements SourceProvider {
  /** What a logical backup reads; see {@link PostgresBackup.Options}. */
  public record BackupOptions(
      PgConn conn,
      int jobs,
      List<String> tables,
      List<String> excludeTables,
      boolean schemaOnly,
      boolean dataOnly,
      String format,
      Path pgBin,
      List<Probes.Probe> probes)
      implements BackupRequest.Options {
    /** Without probes. */
    public BackupOptions(
        PgConn conn,
        int jobs,
        List<String> tables,
        List<String> excludeTables,
        boolean schemaOnly,
        boolean dataOnly,
        String format,
        Path pgBin) {
      this(conn, jobs, tables, excludeTables, schemaOnly, dataOnly, format, pgBin, List.of());
    }
  }

  /** How a logical snapshot is restored; see {@link PostgresRestore.Options}. */
  public record RestoreOptions(
      List<String> tables,
      boolean clean,
      boolean schemaOnly,
      boolean dataOnly,
      int jobs,
      Path pgBin)
      implements RestoreRequest.Options {
    public static final RestoreOptions DEFAULTS =
        new RestoreOptions(
            List.of(), false, false, false, Runtime.getRuntime().availableProcessors(), null);
  }

  @Override
  public Set<String> kinds() {
    return Set.of(PostgresBackup.KIND);
  }

  @Override
  public SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return new TableBrowser(repo, snapshot);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return PostgresMetadata.class;
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    BackupOptions o = request.options(BackupOptions.class);
    Id id =
        new PostgresBackup(request.repository(), request.progress())
            .run(
                new PostgresBackup.Options(
                    o.conn(),
                    request.target(),
                    o.jobs(),
                    o.tables(),
                    o.excludeTables(),
                    o.schemaOnly(),
                    o.dataOnly(),
                    o.format(),
                    o.pgBin(),
                    request.tags(),
                    request.time(),
                    o.probes()));
    return new BackupResult(request.repository().readSnapshot(id), List.of());
  }

  /**
   * {@code url} (required), the password by {@code passwordFile} or {@code passwordEnv} (else
   * libpq's {@code PGPASSFILE} or {@code ~/.pgpass}), {@code jobs}, {@code tables}, {@code
   * excludeTables}, {@code schemaOnly}, {@code dataOnly}, {@code format} and {@code pgBin}: as
   * {@code roadie backup postgres}.
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    PgConn conn = configuredConnection(options);
    int jobs = options.integer("jobs", Runtime.getRuntime().availableProcessors(), 1, 1024);
    List<String> tables = options.strings("tables");
    List<String> exclude = options.strings("excludeTables");
    boolean schemaOnly = options.flag("schemaOnly", false);
    boolean dataOnly = options.flag("dataOnly", false);
    String format = options.choice("format", "native", "native", "pg_dump");
    Path pgBin = options.path("pgBin");
    options.refuseUnknown(kind);
    if (schemaOnly && dataOnly)
      throw options.error("dataOnly", "give schemaOnly or dataOnly, not both");
    return new BackupOptions(conn, jobs, tables, exclude, schemaOnly, dataOnly, format, pgBin);
  }

  /**
   * The server a config's postgres target names: {@code url} without a password, the password from
   * {@code passwordFile} or {@code passwordEnv}, else libpq's files from the config reader's
   * environment ({@code PGPASSFILE}, {@code ~/.pgpass}). Shared by the logical and physical kinds.
   */
  public static PgConn configuredConnection(TargetOptions options) {
    String url = options.requiredString("url", "postgresql://backup@db:5432/app");
    String password = options.secret("password");
    String lower = url.toLowerCase(java.util.Locale.ROOT);
    int at = url.indexOf('@');
    int scheme = url.indexOf("://");
    if ((at > 0 && scheme > 0 && url.substring(scheme + 3, at).contains(":"))
        || lower.contains("password=")) {
      throw options.error(
          "url",
          "a password is never written into the config: take it out of the URL and give "
              + "passwordFile: PATH or passwordEnv: NAME");
    }
    java.util.Map<String, String> env = new java.util.HashMap<>(options.environment());
    // Only the config's own password counts: a PGPASSWORD the agent happens to run with does not.
    env.remove("PGPASSWORD");
    if (password != null) env.put("PGPASSWORD", password);
    try {
      return PgConn.parse(url, env);
    } catch (RoadieException e) {
      throw options.error("url", e.getMessage());
    }
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(
        Destination.Fit.server("postgresql://USER@HOST:PORT/DB", "postgresql", "postgres"));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    PgConn conn = server(request.destination(), "restores");
    RestoreOptions o = request.options(RestoreOptions.class, RestoreOptions.DEFAULTS);
    PostgresRestore.Result res =
        new PostgresRestore(request.repository(), request.progress())
            .restore(
                request.snapshot().snapshot(),
                new PostgresRestore.Options(
                    conn,
                    o.tables(),
                    o.clean(),
                    o.schemaOnly(),
                    o.dataOnly(),
                    o.jobs(),
                    o.pgBin()));
    return new RestoreResult(
        conn.redacted(),
        List.of(
            RestoreResult.Count.of(res.tables(), "table", "tables"),
            RestoreResult.Count.of(res.rows(), "row", "rows")),
        res.bytes(),
        res.notes(),
        res.warnings(),
        null);
  }

  /**
   * Counts every table's rows in the copy and compares them with the counts the backup took inside
   * its own snapshot. A table missing from the copy is a difference.
   */
  @Override
  public VerifyResult verify(VerifyRequest request) throws IOException {
    PgConn conn = server(request.copy(), "is verified in");
    Snapshot s = request.snapshot().snapshot();
    PostgresRestore.Parts parts = PostgresRestore.parts(request.repository(), s);
    if (parts.schema() == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot "
              + request.snapshot().id().shortHex()
              + " holds a pg_dump "
              + "archive, which records no row counts: it cannot be verified");
    }
    List<String> differences = new ArrayList<>();
    try (Connection c = conn.connect();
        Statement st = c.createStatement()) {
      for (Node first : parts.tables()) {
        String table = first.meta().get("schema") + "." + first.meta().get("table");
        long want = parts.rows(first);
        String sql =
            "SELECT count(*) FROM "
                + TablePattern.quote((String) first.meta().get("schema"))
                + "."
                + TablePattern.quote((String) first.meta().get("table"));
        try (ResultSet rs = st.executeQuery(sql)) {
          rs.next();
          long got = rs.getLong(1);
          if (got != want) differences.add(table + ": " + got + " rows, the snapshot has " + want);
        } catch (SQLException e) {
          differences.add(
              table + ": cannot be counted in the copy (" + PgConn.redact(e.getMessage()) + ")");
        }
      }
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "verifying " + conn.redacted() + ": " + PgConn.redact(e.getMessage()),
          e);
    }
    return new VerifyResult(parts.tables().size(), "tables", differences);
  }

  /**
   * How a logical snapshot is verified in scratch space: {@code scratchUrl} names a server to
   * create (and drop) a scratch database on, or null for a throwaway cluster of the snapshot's
   * version.
   */
  public record VerifyOptions(String scratchUrl, Path pgBin, int jobs)
      implements ScratchVerifyRequest.Options {
    public static final VerifyOptions DEFAULTS =
        new VerifyOptions(null, null, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Restores into a throwaway cluster or a scratch database and checks the copy ({@link
   * LogicalVerify}).
   */
  @Override
  public ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request) throws IOException {
    VerifyOptions o = request.options(VerifyOptions.class, VerifyOptions.DEFAULTS);
    return new LogicalVerify(request.repository(), request.progress())
        .run(
            request.snapshot(),
            request.scratch(),
            new LogicalVerify.Options(o.scratchUrl(), o.pgBin(), o.jobs()));
  }

  private static PgConn server(Destination d, String verb) {
    if (!(d instanceof Destination.Server s) || !PostgresTargets.SCHEMES.contains(s.scheme())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a postgres snapshot "
              + verb
              + " a database "
              + "(postgresql://USER@HOST:PORT/DB), not "
              + d.describe());
    }
    return PgConn.parse(s.url());
  }

  /** {@code postgres://HOST:PORT/DB}, the default target of a backup of {@code given}. */
  @Override
  public Set<String> targetNames(String kind, String given) {
    String name = PostgresTargets.logical(given);
    return name == null || name.equals(given) ? Set.of() : Set.of(name);
  }

  @Override
  public String summary(Snapshot snapshot) {
    PostgresMetadata m = SourceMetadata.of(snapshot, PostgresMetadata.class);
    return "PostgreSQL "
        + m.serverVersion()
        + (m.tableCount() != null ? ", " + Plural.count(m.tableCount(), "table") : "");
  }
}
