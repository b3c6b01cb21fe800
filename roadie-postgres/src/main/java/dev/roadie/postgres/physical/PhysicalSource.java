package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RecoverableWindow;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SideObjects;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.PostgresTargets;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalArchiver;
import dev.roadie.postgres.wal.WalCopy;
import dev.roadie.postgres.wal.WalFileHeader;
import dev.roadie.postgres.wal.WalNames;
import dev.roadie.postgres.wal.WalPush;
import dev.roadie.postgres.wal.WalRetention;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code postgres-physical} source (a whole cluster, for point-in-time recovery) on the source
 * SPI: {@link PhysicalBackup} and {@link PhysicalRestore} behind typed options; its side objects
 * are the cluster's archived WAL, which {@code forget} trims to what the remaining backups can use.
 */
public final class PhysicalSource implements SourceProvider {

  /** What a physical backup reads; see {@link PhysicalBackup.Options}. */
  public record BackupOptions(
      PgConn conn,
      Path pgBin,
      String walMethod,
      Duration walTimeout,
      int chunkSize,
      boolean spreadCheckpoint,
      String pageSkip,
      String read,
      List<dev.roadie.postgres.Probes.Probe> probes,
      Path archiveFrom,
      Path spool)
      implements BackupRequest.Options {}

  /**
   * How a physical snapshot is restored into a data directory; see {@link PhysicalRestore.Options}.
   * {@code restoreCommand} is the {@code restore_command} written for recovery (the caller knows
   * how roadie is started on the server: {@code roadie wal-fetch %f %p} with the repository).
   */
  public record RestoreOptions(
      PhysicalRestore.Target target,
      String action,
      String timeline,
      boolean force,
      boolean delta,
      int jobs,
      String restoreCommand,
      boolean archiveOff,
      Map<String, String> tablespaceMap)
      implements RestoreRequest.Options {}

  @Override
  public Set<String> kinds() {
    return Set.of(PhysicalBackup.KIND);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return PhysicalMetadata.class;
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    BackupOptions o = request.options(BackupOptions.class);
    PhysicalBackup.Result r =
        new PhysicalBackup(request.repository(), request.progress())
            .run(
                new PhysicalBackup.Options(
                    o.conn(),
                    request.target(),
                    o.pgBin(),
                    o.walMethod(),
                    o.walTimeout(),
                    o.chunkSize(),
                    o.spreadCheckpoint(),
                    request.tags(),
                    request.time(),
                    o.pageSkip() == null ? "auto" : o.pageSkip(),
                    o.read() == null ? "auto" : o.read(),
                    o.probes()));
    return new BackupResult(request.repository().readSnapshot(r.id()), r.warnings());
  }

  /**
   * {@code url} and the password as for the logical kind ({@link
   * PostgresSource#configuredConnection}), {@code pgBin}, {@code walMethod}, {@code walTimeout},
   * {@code checkpoint}, {@code chunkSize}, {@code pageSkip} and {@code read}: as {@code roadie
   * backup postgres --physical}. {@code archiveFrom} (a data directory on this host) and {@code
   * spool}: what the continuous job archives ({@link #continuous}).
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    PgConn conn = dev.roadie.postgres.PostgresSource.configuredConnection(options);
    Path pgBin = options.path("pgBin");
    String walMethod = options.choice("walMethod", "none", "none", "fetch");
    Duration walTimeout = options.duration("walTimeout", Duration.ofSeconds(60));
    String checkpoint = options.choice("checkpoint", "fast", "fast", "spread");
    int chunkSize = options.integer("chunkSize", 0, 0, 1 << 20);
    String pageSkip = options.choice("pageSkip", "auto", "auto", "on", "off");
    String read = options.choice("read", "auto", "auto", "local", "stream");
    Path archiveFrom = options.path("archiveFrom");
    Path spool = options.path("spool");
    if (spool != null && archiveFrom == null) {
      throw options.error(
          "spool",
          "spool is the queue of archiveFrom's archiver: give archiveFrom too, or drop it");
    }
    options.refuseUnknown(kind);
    return new BackupOptions(
        conn,
        pgBin,
        walMethod,
        walTimeout,
        chunkSize,
        checkpoint.equals("spread"),
        pageSkip,
        read,
        List.of(),
        archiveFrom,
        spool);
  }

  /**
   * The WAL stream ({@link dev.roadie.postgres.wal.WalStream}) of the target's server, on the
   * replication slot {@code roadie} (created when missing), WAL stored at most 500 ms after it
   * arrives; stopping stores what was received and confirms it to the server. With {@code
   * archiveFrom}, instead the asynchronous archiver ({@link WalArchiver}) of that data directory,
   * whose acknowledgments {@code archive_command = 'roadie wal-push --async %p'} finds: its queue
   * is {@code spool}, else the one {@code wal-push} derives from the data directory and the
   * repository's location, so archive_command must name the repository as the agent's config does.
   */
  @Override
  public dev.roadie.core.source.ContinuousRequest.Job continuous(
      dev.roadie.core.source.ContinuousRequest r) {
    BackupOptions o = (BackupOptions) r.options();
    if (o.archiveFrom() != null) return archiver(r, o);
    dev.roadie.postgres.wal.WalStream stream =
        new dev.roadie.postgres.wal.WalStream(
            o.conn(),
            r.repository(),
            new dev.roadie.postgres.wal.WalStream.Options(
                "roadie", Duration.ofMillis(500), Duration.ofSeconds(5), r.log()));
    return new dev.roadie.core.source.ContinuousRequest.Job() {
      @Override
      public void run() throws IOException {
        stream.run();
      }

      @Override
      public void stop() {
        stream.stop();
      }
    };
  }

  private static dev.roadie.core.source.ContinuousRequest.Job archiver(
      dev.roadie.core.source.ContinuousRequest r, BackupOptions o) {
    Path data = o.archiveFrom().toAbsolutePath().normalize();
    Path spool = o.spool() != null ? o.spool() : WalPush.defaultSpool(data, r.repositoryLocation());
    return new dev.roadie.core.source.ContinuousRequest.Job() {
      private volatile WalArchiver archiver;
      private volatile boolean stopped;

      @Override
      public void run() throws IOException {
        if (!Files.isDirectory(data.resolve("pg_wal/archive_status"))) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "archiveFrom: "
                  + data
                  + " is not the data directory of a PostgreSQL cluster (it has no "
                  + "pg_wal/archive_status); give the cluster's data directory");
        }
        long systemId = WalFileHeader.systemIdOfDataDirectory(data);
        WalArchiver a =
            new WalArchiver(
                new WalArchive(r.repository(), systemId),
                data.resolve("pg_wal"),
                spool,
                WalArchiver.Settings.defaults());
        archiver = a;
        if (stopped) return;
        // The agent archives for its whole life: the native AES-GCM pays for its load soon.
        dev.roadie.core.crypto.Providers.preload();
        r.log().accept("archiving " + data.resolve("pg_wal") + " ahead (queue " + spool + ")");
        a.runUntilStopped();
      }

      @Override
      public void stop() {
        stopped = true;
        WalArchiver a = archiver;
        if (a != null) a.requestStop();
      }
    };
  }

  @Override
  public List<RecoverableWindow> recoverableWindows(
      Repository repository, List<SnapshotRef> snapshots) throws IOException {
    // One RecoveryWindow lists each cluster's archive once for all of its base backups.
    RecoveryWindow windows = new RecoveryWindow(repository);
    List<RecoverableWindow> out = new ArrayList<>();
    for (SnapshotRef ref : snapshots) {
      if (!PhysicalBackup.KIND.equals(ref.snapshot().kind())) continue;
      RecoveryWindow.Window w;
      try {
        w = windows.of(ref.snapshot(), null);
      } catch (RoadieException
          | ClassCastException
          | NullPointerException
          | IllegalArgumentException
          | java.time.format.DateTimeParseException e) {
        continue; // a snapshot whose metadata lacks what a window needs: no window to show
      }
      // A backup that carries its own WAL (--wal-method fetch) restores to its end without the
      // archive;
      // one that needs archived WAL the archive lacks does not restore at all.
      boolean restorable = w.walComplete() || w.missingSegment() == null;
      out.add(
          new RecoverableWindow(
              ref.id().hex(),
              w.fromTime(),
              w.toTime(),
              restorable,
              w.walComplete() ? w.missingSegment() : null,
              w.note()));
    }
    return out;
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(Destination.Fit.of(Destination.Type.DATA_DIRECTORY));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    if (!(request.destination() instanceof Destination.DataDirectory d)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a postgres-physical snapshot restores into a data directory, not "
              + request.destination().describe());
    }
    RestoreOptions o = request.options(RestoreOptions.class, null);
    if (o == null || o.restoreCommand() == null) {
      throw new RoadieException(
          ErrorCode.USAGE, "a physical restore needs the restore_command that recovery runs");
    }
    Path dir = d.path().toAbsolutePath().normalize();
    Snapshot snapshot = request.snapshot().snapshot();
    request
        .progress()
        .expectedBytes
        .set(snapshot.stats() == null ? -1 : snapshot.stats().bytesRead());
    PhysicalRestore.Result res =
        new PhysicalRestore(request.repository(), request.progress())
            .restore(
                request.snapshot(),
                new PhysicalRestore.Options(
                    dir,
                    o.target(),
                    o.action(),
                    o.timeline(),
                    o.force(),
                    o.delta(),
                    o.jobs(),
                    o.restoreCommand(),
                    o.archiveOff(),
                    o.tablespaceMap()));
    List<RestoreResult.Count> counts = new ArrayList<>();
    counts.add(RestoreResult.Count.of(res.files(), "file", "files"));
    if (o.delta())
      counts.add(RestoreResult.Count.of(res.filesUnchanged(), "unchanged", "unchanged"));
    String action = o.action() == null ? "promote" : o.action();
    List<String> notes = new ArrayList<>();
    notes.add("recoverable " + res.window().describe());
    notes.add(
        "recovery settings appended to "
            + dir.resolve("postgresql.auto.conf")
            + ", recovery.signal written:");
    for (String s : res.settings()) notes.add("  " + s);
    if (ownedByRoot(dir)) {
      notes.add(
          "the files belong to root, and PostgreSQL will not start on them: chown -R postgres:postgres "
              + dir
              + " (or restore as the postgres user)");
    }
    notes.add(
        "start the server (pg_ctl -D "
            + dir
            + " start); it replays WAL from the archive and "
            + ("promote".equals(action) ? "promotes at the target" : action + "s at the target"));
    return new RestoreResult(dir.toString(), counts, res.bytesWritten(), notes);
  }

  /** Whether the restored data directory belongs to root, which PostgreSQL refuses to run on. */
  private static boolean ownedByRoot(Path dir) {
    try {
      // PG_VERSION is written by the restore; the directory may have been there, someone else's.
      Path version = dir.resolve("PG_VERSION");
      return "root"
          .equals(
              java.nio.file.Files.getOwner(java.nio.file.Files.exists(version) ? version : dir)
                  .getName());
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * How a restored data directory is verified: {@code pgBin} the directory of the server programs
   * (null: those of the snapshot's major version).
   */
  public record CopyOptions(Path pgBin) implements dev.roadie.core.source.VerifyRequest.Options {}

  /**
   * Starts the restored data directory as a throwaway server, waits for its recovery and compares
   * it with what the snapshot recorded, then amcheck ({@link PhysicalVerify#verifyCopy}); {@link
   * #verifyInScratch} restores into scratch space and runs the same checks.
   */
  @Override
  public dev.roadie.core.source.VerifyResult verify(dev.roadie.core.source.VerifyRequest request)
      throws IOException {
    if (!(request.copy() instanceof Destination.DataDirectory d)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a postgres-physical snapshot is verified in the data directory it was restored to, not "
              + request.copy().describe());
    }
    CopyOptions o = request.options(CopyOptions.class, new CopyOptions(null));
    return PhysicalVerify.verifyCopy(
        request.snapshot(), d.path().toAbsolutePath().normalize(), o.pgBin());
  }

  /**
   * How a physical snapshot is verified in scratch space: {@code targetTime} null recovers to the
   * newest point; {@code restoreCommand} gives the {@code restore_command} for a scratch directory
   * (the caller knows how roadie is started and where the repository's password may go).
   */
  public record VerifyOptions(
      Path pgBin, int jobs, String targetTime, PhysicalVerify.RestoreCommand restoreCommand)
      implements ScratchVerifyRequest.Options {}

  /**
   * Restores into scratch space, recovers in a throwaway server and checks it ({@link
   * PhysicalVerify}).
   */
  @Override
  public ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request) throws IOException {
    VerifyOptions o = request.options(VerifyOptions.class, null);
    if (o == null || o.restoreCommand() == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "verifying a physical snapshot needs the restore_command its recovery "
              + "runs (PhysicalSource.VerifyOptions)");
    }
    return new PhysicalVerify(request.repository(), request.progress())
        .run(
            request.snapshot(),
            request.scratch(),
            new PhysicalVerify.Options(o.pgBin(), o.jobs(), o.targetTime(), o.restoreCommand()));
  }

  /** {@code postgres://HOST:PORT}, the default target of a physical backup of {@code given}. */
  @Override
  public Set<String> targetNames(String kind, String given) {
    String name = PostgresTargets.cluster(given);
    return name == null || name.equals(given) ? Set.of() : Set.of(name);
  }

  @Override
  public String summary(Snapshot snapshot) {
    PhysicalMetadata m = SourceMetadata.of(snapshot, PhysicalMetadata.class);
    long files = snapshot.stats() == null ? 0 : snapshot.stats().files();
    return "PostgreSQL "
        + m.serverVersion()
        + " physical, "
        + Plural.count(files, "file")
        + ", WAL "
        + m.startLsn()
        + " to "
        + m.stopLsn()
        + " on timeline "
        + m.timeline()
        + ("fetch".equals(m.walMethod()) ? " (inside the backup)" : " (in the archive)");
  }

  /**
   * Archived WAL that no remaining physical backup can use ({@link WalRetention}): for each cluster
   * with a remaining backup, what lies before the start of the oldest one.
   */
  @Override
  public List<SideObjects.Removed> forget(SideObjects.Forget request) throws IOException {
    List<Snapshot> remaining = request.remaining().stream().map(SnapshotRef::snapshot).toList();
    List<SideObjects.Removed> out = new ArrayList<>();
    for (WalRetention.Plan plan : WalRetention.plan(request.repository(), remaining)) {
      if (plan.unneeded().isEmpty() && plan.held().isEmpty()) continue;
      if (!request.dryRun()) WalRetention.execute(request.repository(), plan);
      out.add(
          new SideObjects.Removed(
              "WAL of cluster " + WalNames.systemIdText(plan.systemId()),
              plan.unneeded().size(),
              "archived file",
              plan.bytes(),
              "before " + plan.keepFrom() + ", the start of the oldest kept backup",
              plan.held().isEmpty()
                  ? null
                  : plan.held().size()
                      + " more"
                      + (plan.held().size() == 1 ? " stays" : " stay")
                      + " until object lock lets go of "
                      + (plan.held().size() == 1 ? "it" : "them")
                      + " (the last on "
                      + plan.heldUntil()
                      + ")"));
    }
    return out;
  }

  /**
   * The archived WAL that the physical snapshots about to be copied need ({@link WalCopy}): for
   * each of their clusters, from the start of the oldest backup to the newest archived file.
   */
  @Override
  public List<SideObjects.Carried> copy(SideObjects.Copy request) throws IOException {
    List<SideObjects.Carried> out = new ArrayList<>();
    for (WalCopy.Copied c :
        WalCopy.copy(
            request.from(),
            request.to(),
            request.snapshots().stream().map(SnapshotRef::snapshot).toList(),
            msg -> {})) {
      out.add(
          new SideObjects.Carried(
              "WAL of cluster " + c.systemId() + " from " + c.from(),
              c.files(),
              "archived files",
              c.bytes()));
    }
    return out;
  }

  /**
   * The archived WAL of the physical snapshots ({@link WalCheck}): every segment a snapshot's
   * recovery window needs is present; with data read, about that share of the archived files read
   * back and their WAL pages checked. A damaged or missing file makes the snapshots that need it
   * damaged.
   */
  @Override
  public SideObjects.Findings check(SideObjects.Check request) throws IOException {
    List<String> errors = new ArrayList<>();
    Set<String> damaged = new java.util.LinkedHashSet<>();
    for (WalCheck.Problem p : WalCheck.check(request.repository(), request.snapshots())) {
      errors.add(p.message());
      damaged.add(p.snapshot());
    }
    for (WalCheck.Damaged d :
        WalCheck.readData(request.repository(), request.snapshots(), request.readDataShare())) {
      errors.add(d.message());
      damaged.addAll(d.snapshots());
    }
    return new SideObjects.Findings(errors, List.of(), List.copyOf(damaged));
  }
}
