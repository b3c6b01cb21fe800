package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.PgTools;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalNames;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * PostgreSQL physical backup: {@code pg_basebackup -D - -Ft} read as it is written (no temporary
 * copy), split by file inside the tar, each file stored as its own node with fixed-size chunks
 * aligned to the file's start, so a chunk is a run of whole 8 KiB pages: unchanged files and
 * unchanged runs of pages deduplicate against earlier backups, and a later delta restore can
 * compare a file chunk by chunk.
 *
 * <p>WAL: with {@code --wal-method none} (default) the backup's WAL lives in this repository's WAL
 * archive. With archive_command, pg_basebackup runs with {@code -X fetch} (so the server does not
 * wait for the archiver) and the segments from the backup's start to its stop, sent at the end of
 * the tar, are stored in the archive as fragments ({@link BackupWal}): the backup restores to its
 * end even before archive_command has archived them, and PITR past it uses what archive_command
 * archives. With WAL from {@code roadie wal-stream} (archive_mode off), the backup waits until the
 * stream has stored the stop segment (whole or as fragments up to the stop LSN); a backup that this
 * repository's WAL does not cover is refused (no snapshot). With {@code fetch}, the WAL needed to
 * make the backup consistent is inside it (self-contained, restorable to its end only, without the
 * archive).
 */
public final class PhysicalBackup {
  public static final String KIND = "postgres-physical";
  public static final String MANIFEST = "backup_manifest";

  /** Set when the WAL comes from wal-stream rather than archive_command. */
  private boolean streamed;

  public static final String LABEL = "backup_label";

  /**
   * 128 KiB: 16 pages per chunk. Chunks are compressed one by one, so larger chunks compress better
   * while smaller ones store less after scattered page changes; 128 KiB keeps a full backup no
   * larger than pgBackRest's whole-file zstd without making daily backups larger
   * (docs/decisions/0010-chunk-sizes.md).
   */
  public static final int DEFAULT_CHUNK_SIZE = 128 * 1024;

  /**
   * {@code read}: how the data directory is read, {@code auto}, {@code local} ({@link LocalRead})
   * or {@code stream} (pg_basebackup).
   */
  public record Options(
      PgConn conn,
      String target,
      Path pgBin,
      String walMethod,
      Duration walTimeout,
      int chunkSize,
      boolean spreadCheckpoint,
      List<String> tags,
      String time,
      String pageSkip,
      String read,
      List<dev.roadie.postgres.Probes.Probe> probes) {
    public Options {
      probes = probes == null ? List.of() : List.copyOf(probes);
    }

    /** With the page-LSN skip and the read mode in their default mode ({@code auto}), no probes. */
    public Options(
        PgConn conn,
        String target,
        Path pgBin,
        String walMethod,
        Duration walTimeout,
        int chunkSize,
        boolean spreadCheckpoint,
        List<String> tags,
        String time) {
      this(
          conn,
          target,
          pgBin,
          walMethod,
          walTimeout,
          chunkSize,
          spreadCheckpoint,
          tags,
          time,
          "auto",
          "auto",
          List.of());
    }
  }

  /** The backup's snapshot id and what the caller should tell the user. */
  public record Result(Id id, List<String> warnings) {}

  private final Repository repo;
  private final Progress progress;
  private final List<String> warnings = new ArrayList<>();

  public PhysicalBackup(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  public static String defaultTarget(PgConn c) {
    return "postgres://" + c.hostPort();
  }

  public Result run(Options o) throws IOException {
    String walMethod = o.walMethod() == null ? "none" : o.walMethod();
    if (!walMethod.equals("none") && !walMethod.equals("fetch")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--wal-method must be none (WAL from this repository's archive) or "
              + "fetch (WAL inside the backup), not '"
              + walMethod
              + "'");
    }
    int chunk = o.chunkSize() > 0 ? o.chunkSize() : DEFAULT_CHUNK_SIZE;
    Map<String, Object> source = new LinkedHashMap<>();
    Map<String, String> settings;
    try (Connection c = o.conn().connect()) {
      settings = settings(c);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "reading server settings from " + o.conn().redacted() + ": " + e.getMessage(),
          e);
    }
    int versionNum = Integer.parseInt(settings.get("server_version_num"));
    if (versionNum < 130000) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "PostgreSQL "
              + settings.get("server_version")
              + " at "
              + o.conn().hostPort()
              + ": physical backups need PostgreSQL 13 or newer (backup manifests)");
    }
    if (walMethod.equals("none")) checkArchiving(o, settings);
    if (!o.probes().isEmpty()) PhysicalProbes.check(o.conn(), settings, walMethod);
    LocalRead local =
        LocalRead.choose(o.read(), o.conn(), settings.get("data_directory"), progress, warnings);
    PgTools tools =
        local == null ? PgTools.find(o.pgBin(), versionNum / 10000, "pg_basebackup") : null;
    long segmentSize = Long.parseLong(settings.get("wal_segment_size"));
    source.put("method", local == null ? "pg_basebackup" : "local");
    source.put("url", o.conn().redacted());
    source.put("serverVersion", settings.get("server_version"));
    source.put("serverVersionNum", versionNum);
    source.put("dataDirectory", settings.get("data_directory"));
    source.put("walSegmentSize", segmentSize);
    source.put("blockSize", Integer.parseInt(settings.get("block_size")));
    source.put("walMethod", walMethod);
    source.put("chunkSize", chunk);
    if (tools != null) source.put("pgBasebackupVersion", tools.version);

    // With archive_command, the backup's own WAL comes inside the tar (-X fetch, so the server does
    // not wait for the archiver) and goes into the archive as fragments: the backup is consistent
    // as
    // soon as its tar is read, and archive_command's whole segments arrive later for PITR beyond
    // it.
    boolean walFromTar = walMethod.equals("none") && !streamed;
    source.put(
        "walSource", walFromTar ? "base-backup" : streamed ? "wal-stream" : "archive_command");
    Captured captured = new Captured();
    BackupWal wal = walFromTar ? new BackupWal(repo, segmentSize) : null;
    UnchangedPages[] skip = {unchangedPages(o, settings, chunk, source)};
    // The local read copies the WAL from pg_wal itself, so it reserves it for fetch too.
    boolean reserve = walFromTar || (local != null && walMethod.equals("fetch"));
    try (BackupWriter w = new BackupWriter(repo, progress);
        WalReservation reservation = reserve ? WalReservation.create(o.conn(), warnings) : null) {
      w.compressionLevel(Compression.PAGE_LEVEL);
      Id tree;
      if (local != null) {
        LocalRead.Result r =
            local.run(
                w,
                fixedChunks(chunk),
                skip,
                wal,
                walMethod.equals("fetch"),
                o.spreadCheckpoint(),
                "roadie " + o.time(),
                versionNum,
                segmentSize);
        tree = r.tree();
        captured.label = r.label();
        captured.control = r.control();
        captured.stopLsn = r.stopLsn();
        if (!r.tablespaces().isEmpty()) source.put("tablespaces", r.tablespaces());
      } else {
        tree =
            streamTree(
                o,
                w,
                tools,
                walFromTar ? "fetch" : walMethod,
                fixedChunks(chunk),
                captured,
                wal,
                skip);
      }
      if (captured.label == null
          || (local == null && captured.manifest == null)
          || captured.control == null) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "the base backup of "
                + o.conn().redacted()
                + " lacks "
                + (captured.label == null
                    ? LABEL
                    : captured.manifest == null ? MANIFEST : "global/pg_control")
                + "; no snapshot was written");
      }
      describe(source, captured, segmentSize);
      long sysid = (Long) source.get("systemIdentifierValue");
      source.remove("systemIdentifierValue");
      if (walFromTar) {
        wal.store(sysid, source);
        source.put("stopTime", serverNow(o));
      } else if (walMethod.equals("none")) {
        confirmArchived(o, new WalArchive(repo, sysid), source, segmentSize);
      } else {
        source.put("stopTime", serverNow(o));
      }
      if (!o.probes().isEmpty()) {
        PhysicalProbes.Taken taken = PhysicalProbes.take(o.conn(), o.probes());
        awaitWal(o, new WalArchive(repo, sysid), source, taken.lsn(), segmentSize);
        source.put("probes", taken.results());
        source.put("probeLsn", taken.lsn());
        source.put("probeDatabase", taken.database());
      }
      String target = o.target() != null ? o.target() : defaultTarget(o.conn());
      String parent = null;
      if (skip[0] != null) {
        long[] known = w.knownChunks();
        Map<String, Object> ps = new LinkedHashMap<>();
        ps.put("parent", skip[0].parent().id().hex());
        ps.put("parentStartLsn", WalNames.formatLsn(skip[0].parentStart()));
        ps.put("chunksReused", known[0]);
        ps.put("bytesReused", known[1]);
        ps.put("pagesScanned", skip[0].pagesScanned.get());
        ps.put("pagesChanged", skip[0].pagesChanged.get());
        ps.put("filesReused", skip[0].filesReused.get());
        ps.put("fileBytesReused", skip[0].fileBytesReused.get());
        source.put("pageSkip", ps);
        parent = skip[0].parent().id().hex();
      }
      Snapshot draft =
          new Snapshot(
              Snapshot.VERSION,
              o.time(),
              target,
              KIND,
              Hosts.host(),
              Hosts.user(),
              o.tags(),
              List.of(settings.get("data_directory")),
              tree.hex(),
              parent,
              null,
              source);
      return new Result(w.commit(draft), warnings);
    }
  }

  /** The stream read mode: pg_basebackup's tar, read as it is written. */
  private Id streamTree(
      Options o,
      BackupWriter w,
      PgTools tools,
      String xMethod,
      ChunkerParams params,
      Captured captured,
      BackupWal wal,
      UnchangedPages[] skip)
      throws IOException {
    List<String> cmd =
        List.of(
            tools.path("pg_basebackup"),
            "-D",
            "-",
            "-Ft",
            "-X",
            xMethod,
            "-c",
            o.spreadCheckpoint() ? "spread" : "fast",
            "--no-password",
            "--label",
            "roadie " + o.time());
    AtomicReference<String> archiveFailure = new AtomicReference<>();
    try (PgTools.Child child = new PgTools.Child(cmd, o.conn().childEnv(), false)) {
      Thread watchdog =
          xMethod.equals("none") // WAL from wal-stream: pg_basebackup waits for the archiver
              ? Thread.ofVirtual()
                  .name("archive-watch")
                  .start(() -> watchArchiver(o, child, archiveFailure))
              : null;
      Id tree;
      try (InputStream in = child.process.getInputStream()) {
        tree = readTar(w, new TarStream(in), params, captured, wal, skip);
      } catch (IOException | RuntimeException e) {
        child.close();
        if (archiveFailure.get() != null)
          throw new RoadieException(ErrorCode.FAILURE, archiveFailure.get());
        String err = child.stderr();
        throw new RoadieException(
            ErrorCode.FAILURE,
            "base backup of "
                + o.conn().redacted()
                + " failed: "
                + e.getMessage()
                + (err.isEmpty() ? "" : "; pg_basebackup: " + err),
            e);
      } finally {
        if (watchdog != null) watchdog.interrupt();
      }
      try {
        child.finish("base backup of " + o.conn().redacted());
      } catch (RoadieException e) {
        if (archiveFailure.get() != null)
          throw new RoadieException(ErrorCode.FAILURE, archiveFailure.get());
        throw e;
      }
      return tree;
    }
  }

  /**
   * The parent whose unchanged pages this backup may reuse (see {@link UnchangedPages}), or null:
   * none, or full_page_writes is off (then a page torn while the parent copied it would not be
   * repaired by replay, and reusing the parent's copy could keep the tear).
   */
  private UnchangedPages unchangedPages(
      Options o, Map<String, String> settings, int chunk, Map<String, Object> source)
      throws IOException {
    String mode = o.pageSkip() == null ? "auto" : o.pageSkip();
    if (!List.of("auto", "on", "off").contains(mode)) {
      throw new RoadieException(
          ErrorCode.USAGE, "--page-skip takes auto, on or off, not '" + mode + "'");
    }
    // Recorded whatever the mode: a later backup in auto mode takes only such a parent.
    boolean hintsLogged =
        "on".equals(settings.get("data_checksums")) || "on".equals(settings.get("wal_log_hints"));
    source.put("hintBitsLogged", hintsLogged);
    if (mode.equals("off")) return null;
    if (!"on".equals(settings.get("full_page_writes"))) {
      if (mode.equals("on"))
        warnings.add("full_page_writes is off: every page is read and hashed (no page-LSN skip)");
      source.put("pageSkipOff", "full_page_writes is off");
      return null;
    }
    // Without WAL-logged hint bits a page can change (hint bits only) without a new LSN: reusing
    // the
    // parent's copy is harmless to PostgreSQL, but the restored file would then differ from the
    // checksum backup_manifest records, and pg_verifybackup would report it. auto avoids that.
    if (mode.equals("auto") && !hintsLogged) {
      source.put(
          "pageSkipOff", "hint bits are not WAL-logged (data_checksums and wal_log_hints are off)");
      return null;
    }
    String sysid;
    int timeline;
    long position;
    try (Connection c = o.conn().connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT system_identifier::text FROM pg_control_system()), "
                    + "(SELECT timeline_id FROM pg_control_checkpoint()), (CASE WHEN pg_is_in_recovery() "
                    + "THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text")) {
      rs.next();
      sysid = rs.getString(1);
      timeline = rs.getInt(2);
      position = rs.getString(3) == null ? -1 : WalNames.parseLsn(rs.getString(3));
    } catch (SQLException e) {
      warnings.add(
          "reading the cluster's identity for the page-LSN skip failed ("
              + e.getMessage()
              + "); every page "
              + "is read and hashed");
      return null;
    }
    // auto: the parent, too, was taken with hint bits WAL-logged (else a hint-bit change made while
    // they were not may still sit on a page with an old LSN).
    return UnchangedPages.find(
        repo,
        sysid,
        timeline,
        position,
        chunk,
        Integer.parseInt(settings.get("block_size")),
        mode.equals("auto"));
  }

  private static ChunkerParams fixedChunks(int size) {
    if (size < 8192 || Integer.bitCount(size) != 1 || size > (1 << 20)) {
      throw new RoadieException(
          ErrorCode.USAGE, "chunk size must be a power of two from 8 KiB to 1 MiB, not " + size);
    }
    return new ChunkerParams(
        size, size, size); // fixed size: every chunk starts at a multiple of size
  }

  private static Map<String, String> settings(Connection c) throws SQLException {
    Map<String, String> m = new TreeMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', "
                    + "'server_version_num', 'data_directory', 'wal_segment_size', 'block_size', 'archive_mode', "
                    + "'archive_command', 'wal_level', 'archive_library', 'full_page_writes', 'data_checksums', 'wal_log_hints')")) {
      while (rs.next()) m.put(rs.getString(1), rs.getString(2));
    }
    return m;
  }

  /** Refuses a backup that no archived WAL could make restorable, and says how to fix it. */
  private void checkArchiving(Options o, Map<String, String> settings) {
    String mode = settings.getOrDefault("archive_mode", "off");
    String command = settings.getOrDefault("archive_command", "");
    String setup =
        "set in postgresql.conf: archive_mode = on and archive_command = 'ROADIE_REPOSITORY="
            + repo.backend().location()
            + " ROADIE_PASSWORD_FILE=/path/to/password /path/to/roadie wal-push %p', "
            + "restart PostgreSQL, and back up again (docs/runbooks/postgres-pitr.md); or pass --wal-method fetch "
            + "for a self-contained backup that restores to its own end only";
    if (mode.equals("off")) {
      if (walStreamActive(o)) {
        streamed =
            true; // roadie wal-stream receives the WAL; confirmArchived checks it reaches this
        // repository
        return;
      }
      throw new RoadieException(
          ErrorCode.FAILURE,
          o.conn().hostPort()
              + ": WAL archiving is off (archive_mode = off) "
              + "and no 'roadie wal-stream' receives this server's WAL, so this base backup could not be restored: "
              + setup
              + "; or run 'roadie wal-stream --url ...' into this repository");
    }
    if (settings.get("archive_command") != null
        && (command.isBlank() || command.equals("(disabled)"))
        && settings.getOrDefault("archive_library", "").isBlank()) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          o.conn().hostPort()
              + ": archive_mode is on but archive_command "
              + "is empty, so no WAL is archived: "
              + setup);
    }
    if (settings.get("archive_command") != null && !command.contains("wal-push")) {
      warnings.add(
          "archive_command ("
              + command
              + ") does not call 'roadie wal-push'; this backup stores its own WAL "
              + "and restores to its end, but point-in-time recovery past it needs the archive in this repository");
    }
  }

  /**
   * Whether a roadie WAL receiver is streaming from this server (its walsender is in state
   * streaming).
   */
  private static boolean walStreamActive(Options o) {
    try (Connection c = o.conn().connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'roadie' "
                    + "AND state = 'streaming'")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (IOException | SQLException e) {
      return false;
    }
  }

  /**
   * pg_basebackup waits until the backup's last segment is archived, for ever if archiving fails.
   * This watches pg_stat_archiver and stops the backup once archiving has failed for the WAL
   * timeout.
   */
  private void watchArchiver(Options o, PgTools.Child child, AtomicReference<String> failure) {
    Instant failingSince = null;
    try (Connection c = o.conn().connect();
        Statement st = c.createStatement()) {
      long baseline = -1;
      while (!Thread.currentThread().isInterrupted() && child.process.isAlive()) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT failed_count, last_failed_wal, last_failed_time, last_archived_time "
                    + "FROM pg_stat_archiver")) {
          rs.next();
          long failed = rs.getLong(1);
          Timestamp lastFailed = rs.getTimestamp(3);
          Timestamp lastArchived = rs.getTimestamp(4);
          if (baseline < 0) baseline = failed;
          boolean failing =
              failed > baseline
                  && lastFailed != null
                  && (lastArchived == null || lastFailed.after(lastArchived));
          if (!failing) {
            failingSince = null;
          } else if (failingSince == null) {
            failingSince = Instant.now();
          } else if (Duration.between(failingSince, Instant.now()).compareTo(o.walTimeout()) > 0) {
            failure.set(
                o.conn().hostPort()
                    + ": WAL archiving has been failing for "
                    + o.walTimeout().toSeconds()
                    + " s (last failed: "
                    + rs.getString(2)
                    + "), so the backup's WAL cannot reach the archive; "
                    + "no snapshot was written. The server log has archive_command's message; fix archiving "
                    + "(docs/runbooks/postgres-pitr.md) and back up again");
            child.close();
            return;
          }
        }
        Thread.sleep(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | SQLException e) {
      // Without the watch the backup still runs; only a failing archive would make it wait longer.
    }
  }

  /** The small files whose content the snapshot's metadata needs, kept while they are stored. */
  private static final class Captured {
    byte[] label;
    byte[] manifest;
    byte[] control;

    /** The local read's stop LSN (from pg_backup_stop); the stream's is in the manifest. */
    long stopLsn;
  }

  /** A directory being assembled from tar entries, which come in no particular order. */
  static final class Dir {
    final Map<String, Node> files = new TreeMap<>();
    final Map<String, Dir> dirs = new TreeMap<>();
    Integer mode;
    String mtime;
  }

  private Id readTar(
      BackupWriter w,
      TarStream tar,
      ChunkerParams params,
      Captured captured,
      BackupWal wal,
      UnchangedPages[] skip)
      throws IOException {
    Dir root = new Dir();
    TarStream.Entry e;
    while ((e = tar.next()) != null) {
      if (wal != null && e.type() == TarStream.Type.FILE && e.path().startsWith("pg_wal/")) {
        // WAL goes to the archive, not into the snapshot: the restored pg_wal starts empty, as with
        // -X none.
        wal.accept(e.path().substring("pg_wal/".length()), e.size(), tar.content());
        continue;
      }
      String[] parts = e.path().split("/");
      Dir parent = root;
      for (int i = 0; i < parts.length - 1; i++) {
        parent = parent.dirs.computeIfAbsent(parts[i], k -> new Dir());
      }
      String name = parts[parts.length - 1];
      String mtime = mtime(e.mtimeSeconds());
      switch (e.type()) {
        case DIRECTORY -> {
          Dir d = parent.dirs.computeIfAbsent(name, k -> new Dir());
          d.mode = e.mode();
          d.mtime = mtime;
        }
        case SYMLINK ->
            parent.files.put(
                name,
                new Node(
                    name,
                    Node.SYMLINK,
                    null,
                    e.mode(),
                    mtime,
                    null,
                    null,
                    e.linkTarget(),
                    null,
                    null,
                    null,
                    null));
        case FILE -> {
          progress.current = e.path();
          InputStream in = tar.content();
          boolean capture =
              e.path().equals(LABEL)
                  || e.path().equals(MANIFEST)
                  || e.path().equals("global/pg_control");
          byte[] kept = null;
          if (capture) {
            if (e.size() > 256L << 20)
              throw new IOException(e.path() + " is implausibly large (" + e.size() + " bytes)");
            kept = in.readAllBytes();
            in = new ByteArrayInputStream(kept);
          }
          Content c = w.writeStream(in, params, skip[0] == null ? null : skip[0].forFile(e.path()));
          if (c.size() != e.size())
            throw new IOException(
                e.path() + ": read " + c.size() + " bytes, the tar says " + e.size());
          switch (e.path()) {
            case LABEL -> {
              captured.label = kept;
              // backup_label comes first: the skip applies only if the backup really runs on the
              // parent's timeline.
              Integer tli =
                  BackupLabel.parse(new String(kept, StandardCharsets.UTF_8))
                      .timeline("START TIMELINE");
              Object parentTli =
                  skip[0] == null ? null : skip[0].parent().snapshot().source().get("timeline");
              if (skip[0] != null
                  && (tli == null || !(parentTli instanceof Number n) || n.intValue() != tli)) {
                skip[0] = null;
              }
            }
            case MANIFEST -> captured.manifest = kept;
            case "global/pg_control" -> captured.control = kept;
            default -> {}
          }
          progress.files.incrementAndGet();
          parent.files.put(
              name,
              new Node(
                  name,
                  Node.FILE,
                  c.size(),
                  e.mode(),
                  mtime,
                  null,
                  null,
                  null,
                  c.chunksHex(),
                  c.chunkListsHex(),
                  null,
                  null));
        }
      }
    }
    return writeDir(w, root);
  }

  /**
   * A node's mtime as both read modes record it (the tar has whole seconds): ISO-8601, whole
   * seconds, UTC.
   */
  static String mtime(long epochSeconds) {
    return Instant.ofEpochSecond(epochSeconds).toString();
  }

  static Id writeDir(BackupWriter w, Dir d) throws IOException {
    List<Node> nodes = new ArrayList<>(d.files.values());
    for (Map.Entry<String, Dir> sub : d.dirs.entrySet()) {
      Id id = writeDir(w, sub.getValue());
      nodes.add(
          new Node(
              sub.getKey(),
              Node.DIR,
              null,
              sub.getValue().mode == null ? 0700 : sub.getValue().mode,
              sub.getValue().mtime,
              null,
              null,
              null,
              null,
              null,
              id.hex(),
              null));
    }
    nodes.sort(Comparator.comparing(Node::name));
    return w.writeTree(new Tree(nodes));
  }

  /** Start and stop of the backup from backup_label, the manifest and pg_control. */
  private void describe(Map<String, Object> source, Captured c, long segmentSize)
      throws IOException {
    BackupLabel label = BackupLabel.parse(new String(c.label, StandardCharsets.UTF_8));
    long sysid = ByteBuffer.wrap(c.control).order(ByteOrder.nativeOrder()).getLong(0);
    source.put("systemIdentifierValue", sysid);
    source.put("systemIdentifier", WalNames.systemIdText(sysid));
    Long start = label.lsn("START WAL LOCATION");
    Integer timeline = label.timeline("START TIMELINE");
    if (start == null || timeline == null) {
      throw new IOException("backup_label lacks START WAL LOCATION or START TIMELINE");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> manifest =
        c.manifest == null ? null : Json.read(c.manifest, Map.class, MANIFEST);
    long stop = c.stopLsn;
    if (manifest != null) {
      Object ranges = manifest.get("WAL-Ranges");
      if (!(ranges instanceof List<?> list)
          || list.isEmpty()
          || !(list.get(list.size() - 1) instanceof Map<?, ?> last)) {
        throw new IOException("backup_manifest has no WAL-Ranges");
      }
      stop = WalNames.parseLsn(String.valueOf(last.get("End-LSN")));
    }
    source.put("timeline", timeline);
    source.put("startLsn", WalNames.formatLsn(start));
    source.put("stopLsn", WalNames.formatLsn(stop));
    source.put("startSegment", WalNames.segmentOf(timeline, start, segmentSize));
    source.put("stopSegment", WalNames.segmentOf(timeline, stop - 1, segmentSize));
    Instant startTime = label.time("START TIME");
    if (startTime != null) source.put("startTime", startTime.toString());
    source.put("backupLabel", new String(c.label, StandardCharsets.UTF_8));
    if (manifest != null) {
      source.put("manifestChecksum", String.valueOf(manifest.get("Manifest-Checksum")));
      source.put("manifestFiles", manifest.get("Files") instanceof List<?> f ? f.size() : 0);
    }
  }

  /**
   * Confirms that this repository's archive holds the backup history file and every segment from
   * the start to the stop of the backup; takes the stop time from the history file.
   */
  private void confirmArchived(
      Options o, WalArchive archive, Map<String, Object> source, long segmentSize)
      throws IOException {
    int timeline = (Integer) source.get("timeline");
    long start = WalNames.parseLsn((String) source.get("startLsn"));
    String startSegment = (String) source.get("startSegment");
    String stopSegment = (String) source.get("stopSegment");
    String history = String.format("%s.%08X.backup", startSegment, start % segmentSize);
    Instant deadline = Instant.now().plus(o.walTimeout());
    List<String> needed = new ArrayList<>();
    if (streamed) {
      confirmStreamed(o, archive, source, segmentSize, deadline);
      return;
    }
    needed.add(history);
    for (String s = startSegment; ; s = WalNames.next(s, segmentSize)) {
      needed.add(s);
      if (s.equals(stopSegment)) break;
    }
    for (String name : needed) {
      while (!archive.has(name)) {
        if (Instant.now().isAfter(deadline)) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              o.conn().hostPort()
                  + ": "
                  + name
                  + ", which this base backup "
                  + "needs, did not arrive in the WAL archive of "
                  + repo.backend().location()
                  + " (cluster "
                  + WalNames.systemIdText(archive.systemId())
                  + ") within "
                  + o.walTimeout().toSeconds()
                  + " s; no snapshot "
                  + "was written. PostgreSQL archives its WAL somewhere else, or not at all: archive_command must run "
                  + "'roadie wal-push %p' with ROADIE_REPOSITORY="
                  + repo.backend().location()
                  + " (docs/runbooks/postgres-pitr.md)");
        }
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
    BackupLabel stop = BackupLabel.parse(new String(archive.read(history), StandardCharsets.UTF_8));
    Instant stopTime = stop.time("STOP TIME");
    source.put("backupHistoryFile", history);
    source.put("stopTime", stopTime != null ? stopTime.toString() : serverNow(o));
    if (stop.lsn("STOP WAL LOCATION") != null)
      source.put("stopLsn", WalNames.formatLsn(stop.lsn("STOP WAL LOCATION")));
    if (stop.timeline("STOP TIMELINE") != null)
      source.put("stopTimeline", stop.timeline("STOP TIMELINE"));
  }

  /**
   * With WAL from {@code wal-stream} (no archive_command, so no backup history file): waits until
   * the archive holds every segment from the start to the stop of the backup, the last one whole or
   * as fragments up to the stop LSN (from the manifest's WAL-Ranges).
   */
  private void confirmStreamed(
      Options o, WalArchive archive, Map<String, Object> source, long segmentSize, Instant deadline)
      throws IOException {
    String startSegment = (String) source.get("startSegment");
    String stopSegment = (String) source.get("stopSegment");
    long stop = WalNames.parseLsn((String) source.get("stopLsn"));
    long stopOffset = stop - WalNames.segmentNumber(stopSegment, segmentSize) * segmentSize;
    for (String s = startSegment; ; s = WalNames.next(s, segmentSize)) {
      boolean last = s.equals(stopSegment);
      while (!(archive.has(s) || (last && fragmentsCover(archive, s, stopOffset)))) {
        if (Instant.now().isAfter(deadline)) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              o.conn().hostPort()
                  + ": "
                  + s
                  + ", which this base backup needs, "
                  + "did not arrive in the WAL archive of "
                  + repo.backend().location()
                  + " within "
                  + o.walTimeout().toSeconds()
                  + " s; no snapshot was written. Is 'roadie wal-stream' writing into this "
                  + "repository (ROADIE_REPOSITORY="
                  + repo.backend().location()
                  + ")? See docs/runbooks/postgres-pitr.md");
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      if (last) break;
    }
    source.put("walSource", "wal-stream");
    source.put("stopTime", serverNow(o));
  }

  /**
   * Waits until the archive holds the WAL from the backup's stop to {@code lsn} (the probes' point,
   * which a verification recovers to): the server is asked to switch to a new segment so that
   * archive_command archives the one holding {@code lsn}; each segment must arrive whole, or as
   * fragments (wal-stream) up to where the WAL written so far ends.
   */
  private void awaitWal(
      Options o, WalArchive archive, Map<String, Object> source, String lsn, long segmentSize)
      throws IOException {
    long end;
    try (Connection c = o.conn().connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_switch_wal()")) {
      rs.next();
      // The end of the segment just completed, which holds a record at or after lsn (the switch
      // record itself): recovery reads up to that record to stop just before it.
      end = WalNames.parseLsn(rs.getString(1));
    } catch (SQLException e) {
      throw new IOException(
          "switching WAL segments on " + o.conn().redacted() + ": " + e.getMessage(), e);
    }
    int timeline = (Integer) source.get("timeline");
    String last =
        WalNames.segmentOf(timeline, Math.max(end, WalNames.parseLsn(lsn)) - 1, segmentSize);
    Instant deadline = Instant.now().plus(o.walTimeout());
    for (String s = (String) source.get("stopSegment"); ; s = WalNames.next(s, segmentSize)) {
      long upTo =
          Math.min(end, (WalNames.segmentNumber(s, segmentSize) + 1) * segmentSize)
              - WalNames.segmentNumber(s, segmentSize) * segmentSize;
      while (!(archive.has(s) || fragmentsCover(archive, s, upTo))) {
        if (Instant.now().isAfter(deadline)) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              o.conn().hostPort()
                  + ": "
                  + s
                  + ", which holds the point the probes were taken at ("
                  + lsn
                  + "), did not arrive in the WAL archive of "
                  + repo.backend().location()
                  + " within "
                  + o.walTimeout().toSeconds()
                  + " s; no snapshot was written (verify recovers to that point to compare the probes)");
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      if (s.equals(last)) break;
    }
  }

  private static boolean fragmentsCover(WalArchive archive, String segment, long upTo)
      throws IOException {
    long reach = 0;
    for (WalArchive.Fragment f : archive.fragments(segment)) { // by start
      if (f.start() > reach) break;
      reach = Math.max(reach, f.end());
    }
    return reach >= upTo;
  }

  private static String serverNow(Options o) throws IOException {
    try (Connection c = o.conn().connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT now()")) {
      rs.next();
      return rs.getTimestamp(1).toInstant().toString();
    } catch (SQLException e) {
      throw new IOException("reading the server's time: " + e.getMessage(), e);
    }
  }
}
