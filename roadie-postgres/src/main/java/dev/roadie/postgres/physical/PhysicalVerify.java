package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Scratch;
import dev.roadie.core.source.ScratchDirectoryVerify;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.postgres.Amcheck;
import dev.roadie.postgres.ScratchCluster;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scratch verification of a physical snapshot: restored into a scratch data directory set up
 * for recovery from the repository's WAL (to the newest point, or to a requested time), started as
 * a throwaway server that listens only on a Unix socket in the scratch directory (its own {@code
 * pg_hba.conf}: the restored cluster's users and passwords are not needed; no archiving, no TCP),
 * waited for until recovery has ended and it accepts connections, then checked with {@code
 * pg_amcheck --heapallindexed} in every database. The recovery point reached (last replayed LSN and
 * transaction) is reported.
 */
public final class PhysicalVerify {
  /**
   * The {@code restore_command} recovery runs, for a data directory in scratch space {@code dir}.
   */
  @FunctionalInterface
  public interface RestoreCommand {
    String forScratch(Path dir, SnapshotRef ref) throws IOException;
  }

  /**
   * @param targetTime recover to this time (ISO-8601), or null for the newest point the WAL allows
   */
  public record Options(Path pgBin, int jobs, String targetTime, RestoreCommand restoreCommand) {}

  private final Repository repo;
  private final Progress progress;

  public PhysicalVerify(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  public ScratchVerifyResult run(SnapshotRef ref, Scratch scratch, Options o) throws IOException {
    PhysicalMetadata m = SourceMetadata.of(ref.snapshot(), PhysicalMetadata.class);
    int major = m.serverVersionNum() == null ? 0 : m.serverVersionNum() / 10000;
    Path bin = ScratchCluster.serverBin(o.pgBin(), major);
    RecoveryWindow.Window window;
    List<Check> checks = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    try {
      window = new RecoveryWindow(repo).of(ref.snapshot(), null);
    } catch (RoadieException e) {
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
      return new ScratchVerifyResult(checks, "a scratch data directory", null);
    }
    String target = target(o.targetTime(), window, notes);
    Path dir = scratch.directory("pgdata");
    Path data = dir.resolve("data");
    Map<String, String> tablespaces = new LinkedHashMap<>();
    if (ref.snapshot().source().get("tablespaces") instanceof Map<?, ?> recorded) {
      for (Object oid : recorded.keySet())
        tablespaces.put(String.valueOf(oid), dir.resolve("tablespaces/" + oid).toString());
    }
    long start = System.nanoTime();
    PhysicalRestore.Result restored;
    try {
      if (target == null && o.targetTime() != null && notes.isEmpty()) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "snapshot "
                + ref.id().shortHex()
                + " cannot be recovered to "
                + o.targetTime()
                + ": it is recoverable "
                + window.describe()
                + ", which begins after that point");
      }
      restored =
          new PhysicalRestore(repo, progress)
              .restore(
                  ref,
                  new PhysicalRestore.Options(
                      data,
                      new PhysicalRestore.Target(target, null, null, null, false),
                      "promote",
                      null,
                      false,
                      false,
                      Math.max(1, o.jobs()),
                      o.restoreCommand().forScratch(dir, ref),
                      true,
                      tablespaces));
    } catch (RoadieException | IOException e) {
      checks.add(ScratchDirectoryVerify.restoreFailed(e));
      return new ScratchVerifyResult(checks, "a scratch data directory", null);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("files", restored.files());
    figures.put("bytes", restored.bytesWritten());
    figures.put("seconds", ScratchDirectoryVerify.seconds(System.nanoTime() - start));
    figures.put("window", window.toMap());
    checks.add(
        Check.pass(
            "restore",
            "restored "
                + Plural.count(restored.files(), "file")
                + " into a scratch data "
                + "directory, recoverable "
                + window.describe(),
            figures));

    Copy copy;
    try {
      copy = Copy.start(scratch, bin, dir, data, ref, target == null);
    } catch (Copy.NotRecovered e) {
      checks.add(e.check);
      return new ScratchVerifyResult(checks, e.describe, null);
    }
    Recovered r = copy.recovered;
    String recoveredTo = recoveredTo(r, target, window, m, notes);
    Map<String, Object> rf = new LinkedHashMap<>();
    rf.put("seconds", copy.seconds);
    rf.put("replayedLsn", r.lsn());
    if (r.lastTransaction() != null) rf.put("lastTransaction", r.lastTransaction());
    rf.put("timeline", r.timeline());
    if (target != null) rf.put("targetTime", target);
    rf.put("recoveredTo", recoveredTo);
    if (window.missingSegment() != null) rf.put("missingSegment", window.missingSegment());
    if (!notes.isEmpty()) rf.put("notes", notes);
    checks.add(
        Check.pass(
            "recovery",
            "recovery ended and the server accepts connections: WAL replayed to LSN "
                + r.lsn()
                + (r.lastTransaction() == null
                    ? ""
                    : ", last transaction at " + r.lastTransaction())
                + " (timeline "
                + r.timeline()
                + ")"
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)),
            rf));
    checks.add(copy.identity(m));
    if (copy.probes != null) checks.add(copy.probes);
    Instant answered = Instant.now();
    checks.add(copy.amcheck(major));
    return new ScratchVerifyResult(checks, copy.cluster.describe(), recoveredTo, answered);
  }

  /**
   * The SPI's comparison of a restored data directory ({@code restore --to DIR}) with the snapshot
   * it came from: the copy is started as a throwaway server as {@link #run} starts its own (a
   * private Unix socket in a scratch directory, no TCP, no archiving), recovery is waited for, and
   * the copy is compared with what the snapshot recorded ({@link Copy#identity}) and checked with
   * amcheck. Starting the copy is what recovers it: afterwards it has replayed its WAL and been
   * promoted as its recovery settings say, as {@code pg_ctl start} would have done. Run as root,
   * the copy is given to the postgres user first, as the restore's note asks.
   */
  public static dev.roadie.core.source.VerifyResult verifyCopy(
      SnapshotRef ref, Path data, Path pgBin) throws IOException {
    PhysicalMetadata m = SourceMetadata.of(ref.snapshot(), PhysicalMetadata.class);
    int major = m.serverVersionNum() == null ? 0 : m.serverVersionNum() / 10000;
    Path bin = ScratchCluster.serverBin(pgBin, major);
    if (!Files.isRegularFile(data.resolve("PG_VERSION"))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          data
              + " is not a PostgreSQL data directory (no PG_VERSION): restore the snapshot there first");
    }
    if (Files.exists(data.resolve("postmaster.pid"))) {
      throw new RoadieException(
          ErrorCode.USAGE,
          data
              + " has a postmaster.pid: a server runs on the copy (or crashed on it); stop it "
              + "(pg_ctl -D "
              + data
              + " stop) before verifying");
    }
    List<String> differences = new ArrayList<>();
    int checked = 0;
    try (Scratch scratch = Scratch.open(null)) {
      Path dir = scratch.directory("pgcopy");
      ScratchCluster.giveToServerUser(data);
      Copy copy;
      try {
        copy = Copy.start(scratch, bin, dir, data, ref, recoversToTheEnd(data));
      } catch (Copy.NotRecovered e) {
        return new dev.roadie.core.source.VerifyResult(1, "checks", differences(e.check));
      }
      List<Check> run = new ArrayList<>(List.of(copy.identity(m)));
      if (copy.probes != null) run.add(copy.probes);
      run.add(copy.amcheck(major));
      for (Check c : run) {
        checked++;
        differences.addAll(differences(c));
      }
    }
    return new dev.roadie.core.source.VerifyResult(checked + 1, "checks", differences);
  }

  /** A check that failed as differences: its summary, then its details. */
  private static List<String> differences(Check c) {
    if (!c.failed()) return List.of();
    List<String> out = new ArrayList<>();
    out.add(c.name() + ": " + c.summary());
    for (String d : c.details()) out.add(c.name() + ": " + d);
    return out;
  }

  /** A restored data directory running as a throwaway server, recovered. */
  static final class Copy {
    final ScratchCluster cluster;
    final Path bin;
    final Recovered recovered;
    final double seconds;

    /**
     * The probes compared at the point they were taken; skipped when the copy does not pass that
     * point; null when the backup took none.
     */
    final Check probes;

    /** The copy did not come out of recovery; {@code check} says why. */
    static final class NotRecovered extends Exception {
      final transient Check check;
      final String describe;

      NotRecovered(Check check, String describe) {
        super(check.summary());
        this.check = check;
        this.describe = describe;
      }
    }

    private Copy(
        ScratchCluster cluster, Path bin, Recovered recovered, double seconds, Check probes) {
      this.probes = probes;
      this.cluster = cluster;
      this.bin = bin;
      this.recovered = recovered;
      this.seconds = seconds;
    }

    /**
     * Starts the data directory {@code data} with the server programs in {@code bin}, its socket,
     * log and configuration in {@code dir}, and waits until recovery has ended; the stop is
     * registered with {@code scratch}.
     */
    static Copy start(
        Scratch scratch, Path bin, Path dir, Path data, SnapshotRef ref, boolean toTheEnd)
        throws IOException, NotRecovered {
      ScratchCluster cluster = ScratchCluster.existing(bin, dir, data, null);
      prepareConfig(dir, data);
      ScratchCluster.giveToServerUser(dir);
      long start = System.nanoTime();
      PhysicalMetadata m = SourceMetadata.of(ref.snapshot(), PhysicalMetadata.class);
      Check probes = null;
      if (m.probes() != null && !m.probes().isEmpty()) {
        probes =
            toTheEnd
                ? probesAtTheirPoint(scratch, cluster, dir, ref, m)
                : Check.skipped(
                    "probes",
                    "skipped: the copy recovers to a point of its own, and the probes are compared "
                        + "where they were taken ("
                        + m.probeLsn()
                        + ", just after the backup), on the way to the newest point");
      }
      try {
        cluster.start(
            scratch,
            List.of(
                "hba_file=" + dir.resolve("pg_hba.conf"),
                "ident_file=" + dir.resolve("pg_ident.conf"),
                "hot_standby=off",
                "archive_mode=off",
                "logging_collector=off",
                "log_destination=stderr",
                "ssl=off",
                "shared_buffers=128MB",
                "huge_pages=off",
                "shared_preload_libraries=''",
                "max_wal_senders=0",
                "wal_level=replica",
                "max_replication_slots=0"),
            false);
        Recovered r = awaitRecovery(cluster, ref);
        return new Copy(
            cluster, bin, r, ScratchDirectoryVerify.seconds(System.nanoTime() - start), probes);
      } catch (RoadieException | IOException e) {
        throw new NotRecovered(
            Check.fail(
                "recovery",
                "the restored cluster did not finish recovery: " + e.getMessage(),
                Map.of(),
                List.of(cluster.logTail().split("\n"))),
            cluster.describe());
      }
    }

    /**
     * Recovers the copy as a hot standby that pauses just before the probes' LSN ({@link
     * PhysicalProbes}), runs the probes there and stops it; recovery then goes on from there when
     * the copy is started again. A copy whose WAL ends before that point fails the check.
     */
    private static Check probesAtTheirPoint(
        Scratch scratch, ScratchCluster cluster, Path dir, SnapshotRef ref, PhysicalMetadata m)
        throws IOException {
      String where = "the point the probes were taken at (LSN " + m.probeLsn() + ")";
      try {
        cluster.start(
            scratch,
            List.of(
                "hba_file=" + dir.resolve("pg_hba.conf"),
                "ident_file=" + dir.resolve("pg_ident.conf"),
                "hot_standby=on",
                "archive_mode=off",
                "logging_collector=off",
                "log_destination=stderr",
                "ssl=off",
                "shared_buffers=128MB",
                "huge_pages=off",
                "shared_preload_libraries=''",
                "wal_level=replica",
                "recovery_target_lsn=" + m.probeLsn(),
                "recovery_target_inclusive=off",
                "recovery_target_action=pause"),
            false);
        String[] paused = null;
        boolean left = false;
        while (paused == null) {
          if (left) {
            throw new RoadieException(
                ErrorCode.FAILURE, "the copy left recovery before it reached " + where);
          }
          if (!cluster.running()) {
            throw new RoadieException(
                ErrorCode.FAILURE, "recovery ended before it reached " + where);
          }
          for (String user : users(ref)) {
            try {
              List<String> rows =
                  cluster.psql(
                      user,
                      "template1",
                      "SELECT pg_is_wal_replay_paused(), pg_last_wal_replay_lsn(), "
                          + "(SELECT rolname FROM pg_roles WHERE oid = 10), pg_is_in_recovery()");
              String[] f = rows.get(0).split("\\|", -1);
              if (f[3].equals("f")) left = true;
              else if (f[0].equals("t")) paused = f;
              break;
            } catch (RoadieException e) {
              if (!e.getMessage().contains("does not exist")) break;
            }
          }
          if (paused == null) pause();
        }
        return PhysicalProbes.compare(cluster, paused[2], m, paused[1]);
      } catch (RoadieException | IOException e) {
        return Check.fail(
            "probes",
            "the copy could not be recovered to " + where + ": " + e.getMessage(),
            Map.of("lsn", m.probeLsn()),
            List.of(cluster.logTail().split("\n")));
      } finally {
        cluster.stop();
      }
    }

    /**
     * The copy against what the snapshot recorded of its cluster: the same system identifier (the
     * WAL and the files are of one cluster), the same major version, and WAL written at least up to
     * the backup's end (PostgreSQL refuses to open a copy that did not reach its backup's
     * consistency point; this says the copy is that backup's, not an older one).
     */
    Check identity(PhysicalMetadata m) throws IOException {
      List<String> rows =
          cluster.psql(
              recovered.superuser(),
              "template1",
              "SELECT system_identifier, current_setting('server_version_num'), "
                  + "pg_current_wal_lsn() FROM pg_control_system()");
      String[] f = rows.get(0).split("\\|", -1);
      List<String> wrong = new ArrayList<>();
      if (m.systemIdentifier() != null && !m.systemIdentifier().equals(f[0])) {
        wrong.add(
            "system identifier " + f[0] + ", the snapshot's cluster is " + m.systemIdentifier());
      }
      int major = Integer.parseInt(f[1].trim()) / 10000;
      if (m.serverVersionNum() != null && m.serverVersionNum() / 10000 != major) {
        wrong.add(
            "PostgreSQL "
                + major
                + ", the snapshot is of PostgreSQL "
                + m.serverVersionNum() / 10000);
      }
      if (m.stopLsn() != null
          && Long.compareUnsigned(WalNames.parseLsn(f[2]), WalNames.parseLsn(m.stopLsn())) < 0) {
        wrong.add("WAL ends at " + f[2] + ", before the backup's end " + m.stopLsn());
      }
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("systemIdentifier", f[0]);
      figures.put("major", major);
      figures.put("walLsn", f[2]);
      if (!wrong.isEmpty()) {
        return Check.fail(
            "identity", "the copy is not the snapshot's cluster as it recorded it", figures, wrong);
      }
      return Check.pass(
          "identity",
          "cluster "
              + f[0]
              + ", PostgreSQL "
              + major
              + ", WAL past the backup's end "
              + m.stopLsn()
              + ", as the snapshot recorded",
          figures);
    }

    Check amcheck(int major) throws IOException {
      return Amcheck.run(bin, major, cluster.socketEnv(recovered.superuser(), "template1"), true);
    }
  }

  /**
   * The recovery target time to write, or null for the newest point: a requested time after the
   * archive's end is not refused here (a drill asks for a point before the damage, and the honest
   * answer is how far the WAL goes), it becomes the newest point and a note.
   */
  private static String target(String requested, RecoveryWindow.Window w, List<String> notes) {
    if (requested == null) return null;
    Instant at = PhysicalRestore.parseTime(requested).toInstant();
    if (at.isAfter(Instant.parse(w.toTime()))) {
      notes.add(
          "the requested point "
              + requested
              + " lies after the newest archived WAL ("
              + w.toTime()
              + "): recovered as far as the WAL goes");
      return null;
    }
    if (at.isBefore(Instant.parse(w.fromTime()))) return null;
    return requested;
  }

  /**
   * A pg_hba.conf of the scratch server's own (trust over its private socket only), and
   * configuration files a data directory may lack (Debian keeps them in /etc).
   */
  private static void prepareConfig(Path dir, Path data) throws IOException {
    Files.writeString(
        dir.resolve("pg_hba.conf"),
        "# roadie verify: the scratch server's socket is private to "
            + dir
            + "\nlocal all all trust\n",
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("pg_ident.conf"), "", StandardCharsets.UTF_8);
    Path conf = data.resolve("postgresql.conf");
    if (!Files.exists(conf))
      Files.writeString(conf, "# written by roadie verify: the backup had none\n");
  }

  /**
   * The users to connect to a copy as, before its superuser is known: the backup's, postgres, and
   * the one running roadie.
   */
  private static List<String> users(SnapshotRef ref) {
    List<String> users = new ArrayList<>();
    Object url = ref.snapshot().source().get("url");
    try {
      String info = url == null ? null : URI.create(String.valueOf(url)).getUserInfo();
      if (info != null) users.add(info.replaceFirst(":.*", ""));
    } catch (IllegalArgumentException e) {
      // no user to try from the URL
    }
    users.add("postgres");
    users.add(System.getProperty("user.name"));
    return users;
  }

  /** Waits between two tries: each is a psql start and a line in the server's log. */
  private static void pause() throws IOException {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for recovery");
    }
  }

  /**
   * Whether a restored data directory still recovers, to the newest point: recovery.signal, and no
   * recovery target among its settings.
   */
  private static boolean recoversToTheEnd(Path data) throws IOException {
    if (!Files.exists(data.resolve("recovery.signal"))) return false;
    Path conf = data.resolve("postgresql.auto.conf");
    if (!Files.exists(conf)) return true;
    for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
      String[] kv = line.trim().split("\\s*=\\s*", 2);
      if (kv.length == 2
          && kv[0].startsWith("recovery_target")
          && !kv[0].equals("recovery_target_timeline")
          && !kv[1].replace("'", "").isBlank()) return false;
    }
    return true;
  }

  /** Where recovery ended. */
  record Recovered(String superuser, String lsn, String lastTransaction, int timeline) {}

  /**
   * Waits until the server accepts connections and is out of recovery (promoted): with hot standby
   * off it refuses connections until then. A server that exits has failed; its log says why.
   */
  private static Recovered awaitRecovery(ScratchCluster cluster, SnapshotRef ref)
      throws IOException {
    List<String> users = users(ref);
    String superuser = null;
    RoadieException last = null;
    while (true) {
      if (!cluster.running()) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "the server stopped during recovery"
                + (last == null ? "" : " (" + last.getMessage() + ")"));
      }
      for (String user : users) {
        try {
          List<String> rows =
              cluster.psql(
                  user,
                  "template1",
                  "SELECT pg_is_in_recovery(), " + "(SELECT rolname FROM pg_roles WHERE oid = 10)");
          if (rows.size() == 1 && rows.get(0).startsWith("f|")) {
            superuser = rows.get(0).substring(2);
          }
          last = null;
          break;
        } catch (RoadieException e) {
          last = e;
          if (!e.getMessage().contains("does not exist"))
            break; // starting up: the same for every user
        }
      }
      if (superuser != null) break;
      pause();
    }
    List<String> rows =
        cluster.psql(
            superuser,
            "template1",
            "SELECT pg_last_wal_replay_lsn(), "
                + "to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                + "(SELECT timeline_id FROM pg_control_checkpoint())");
    String[] f = rows.get(0).split("\\|", -1);
    return new Recovered(
        superuser,
        f[0].isEmpty() ? null : f[0],
        f[1].isEmpty() ? null : f[1],
        Integer.parseInt(f[2].trim()));
  }

  /**
   * The newest moment whose data the copy holds. With a recovery target that recovery reached
   * (PostgreSQL 13+ refuses to start when it cannot), the target itself. Without one: when replay
   * reached the last segment of an archive without gaps, the time that WAL was archived (no commit
   * in the archive is later); otherwise (a gap, WAL missing at the end) the last transaction
   * replayed, or the end of the backup when none was.
   */
  private static String recoveredTo(
      Recovered r, String target, RecoveryWindow.Window w, PhysicalMetadata m, List<String> notes) {
    if (target != null) return PhysicalRestore.parseTime(target).toInstant().toString();
    long segment = m.walSegmentSize() == null ? 16L << 20 : m.walSegmentSize();
    boolean reachedEnd =
        r.lsn() != null
            && w.missingSegment() == null
            && Long.compareUnsigned(
                    WalNames.parseLsn(r.lsn()), WalNames.parseLsn(w.toLsn()) - segment)
                >= 0;
    if (reachedEnd) return w.toTime();
    if (w.missingSegment() != null) {
      notes.add(
          "recovery stopped at the gap in the archive: WAL segment "
              + w.missingSegment()
              + " is missing");
    }
    if (r.lastTransaction() != null) return r.lastTransaction();
    return w.fromTime();
  }
}
