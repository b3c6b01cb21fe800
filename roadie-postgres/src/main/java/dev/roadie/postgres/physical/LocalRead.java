package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.snapshot.Node;
import dev.roadie.postgres.PgConn;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The local read mode of a physical backup: roadie runs on the database host, reads the data
 * directory itself and talks to the server over a normal connection, as pgBackRest does, instead of
 * receiving everything through {@code pg_basebackup}. On PostgreSQL before 17 the server sends
 * every byte of every file to pg_basebackup on every backup; reading the files directly costs a
 * page-cache copy, and pages the parent backup already holds are recognised from their page LSN.
 *
 * <p>The protocol is PostgreSQL's non-exclusive low-level backup: {@code pg_backup_start(label,
 * fast)} ({@code pg_start_backup(label, fast, false)} before 15) on a connection held open for the
 * whole backup, a plain copy of the data directory and tablespaces (files may change, shrink, grow
 * or vanish meanwhile: replay of the WAL from the start to the stop repairs every page that
 * changed, because full_page_writes is forced on during a backup), then {@code
 * pg_backup_stop(false)}, whose backup_label (and tablespace_map) are stored as the snapshot's
 * files. A temporary replication slot, made before the start, keeps the WAL from the start to the
 * stop in pg_wal until it is copied from there, as {@code pg_basebackup -X fetch} would.
 *
 * <p>Tablespaces ({@code pg_tblspc/OID} symlinks) are stored as directories {@code pg_tblspc/OID}
 * holding the tablespace's version directory; their original locations are recorded in the
 * snapshot's {@code tablespaces}, and a restore puts each back behind a symlink ({@link
 * TablespaceDirs}). The snapshot has no {@code tablespace_map} (the restore makes the links that
 * recovery would make from it) and no {@code backup_manifest} (restore does not need one).
 */
final class LocalRead {
  private final PgConn conn;
  private final Path dataDirectory;
  private final Progress progress;
  private final List<String> warnings;

  /** What the backup produced besides its tree. */
  record Result(
      Id tree, byte[] label, byte[] control, long stopLsn, Map<String, String> tablespaces) {}

  private LocalRead(PgConn conn, Path dataDirectory, Progress progress, List<String> warnings) {
    this.conn = conn;
    this.dataDirectory = dataDirectory;
    this.progress = progress;
    this.warnings = warnings;
  }

  /**
   * The local reader for {@code --read mode}, or null to read through pg_basebackup. {@code auto}:
   * local when the server's data directory is here, readable and the same cluster (system
   * identifier in global/pg_control); {@code local}: that, or an error saying why not.
   */
  static LocalRead choose(
      String mode, PgConn conn, String dataDirectory, Progress progress, List<String> warnings)
      throws IOException {
    String m = mode == null ? "auto" : mode;
    if (!List.of("auto", "local", "stream").contains(m)) {
      throw new RoadieException(
          ErrorCode.USAGE, "--read takes auto, local or stream, not '" + m + "'");
    }
    if (m.equals("stream")) return null;
    String why = unusable(conn, dataDirectory);
    if (why == null) return new LocalRead(conn, Path.of(dataDirectory), progress, warnings);
    if (m.equals("auto")) return null;
    throw new RoadieException(
        ErrorCode.FAILURE,
        conn.hostPort()
            + ": --read local needs the server's data directory "
            + "on this host, readable by roadie: "
            + why);
  }

  /** Why the data directory cannot be read here, or null when it can. */
  private static String unusable(PgConn conn, String dataDirectory) throws IOException {
    Path control = Path.of(dataDirectory, "global", "pg_control");
    if (!Files.isDirectory(Path.of(dataDirectory))) {
      return dataDirectory
          + " (SHOW data_directory) does not exist here; run roadie on the database host, or use "
          + "--read stream";
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(control)) {
      head = in.readNBytes(8);
    } catch (AccessDeniedException e) {
      return "permission denied reading "
          + control
          + "; run roadie as the postgres OS user (the data directory's "
          + "owner) or as root, or use --read stream";
    } catch (IOException e) {
      return "cannot read "
          + control
          + " ("
          + e.getMessage()
          + "); run roadie on the database host as the postgres "
          + "OS user or root, or use --read stream";
    }
    String serverId;
    try (Connection c = conn.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
      rs.next();
      serverId = rs.getString(1);
    } catch (SQLException e) {
      return "reading the server's system identifier failed: " + e.getMessage();
    }
    if (head.length < 8) return control + " is too short to be a pg_control file";
    String localId =
        Long.toUnsignedString(ByteBuffer.wrap(head).order(ByteOrder.nativeOrder()).getLong());
    if (!localId.equals(serverId)) {
      return dataDirectory
          + " here belongs to cluster "
          + localId
          + ", the server at "
          + conn.hostPort()
          + " is "
          + serverId
          + " (another host's cluster at the same path?); run roadie on the database host, or use --read stream";
    }
    return null;
  }

  /**
   * Runs the backup: start, copy, stop, then the WAL from start to stop. {@code wal} receives the
   * WAL segments (or, when null, they go into the tree's pg_wal, for {@code --wal-method fetch});
   * {@code skip} holds the page-LSN skip or null.
   */
  Result run(
      BackupWriter w,
      ChunkerParams params,
      UnchangedPages[] skip,
      BackupWal wal,
      boolean walInTree,
      boolean spreadCheckpoint,
      String label,
      int versionNum,
      long segmentSize)
      throws IOException {
    try (Connection c = conn.connect()) {
      long start = startBackup(c, label, !spreadCheckpoint, versionNum);
      int timeline;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
        rs.next();
        timeline = rs.getInt(1);
      }
      if (skip[0] != null
          && !(skip[0].parent().snapshot().source().get("timeline") instanceof Number n
              && n.intValue() == timeline)) {
        skip[0] = null; // the server switched timelines since the parent was chosen
      }
      PhysicalBackup.Dir root = new PhysicalBackup.Dir();
      Walk walk = new Walk(w, params, skip[0]);
      walk.dir(dataDirectory, "", root, versionNum);
      // pg_control last, as pg_basebackup sends it: the newest checkpoint the copy can have seen.
      byte[] control = Files.readAllBytes(dataDirectory.resolve("global/pg_control"));
      walk.store(
          root.dirs.computeIfAbsent("global", k -> new PhysicalBackup.Dir()),
          "global/pg_control",
          new java.io.ByteArrayInputStream(control),
          attributes(dataDirectory.resolve("global/pg_control")));
      Stop stop = stopBackup(c, versionNum);
      long stopLsn = stop.lsn();
      byte[] labelBytes = stop.label().getBytes(StandardCharsets.UTF_8);
      Integer labelTimeline = BackupLabel.parse(stop.label()).timeline("START TIMELINE");
      if (labelTimeline == null || labelTimeline != timeline) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            conn.hostPort()
                + ": the server changed timelines during the "
                + "backup ("
                + timeline
                + " to "
                + labelTimeline
                + "); no snapshot was written, back up again");
      }
      walk.store(root, PhysicalBackup.LABEL, new java.io.ByteArrayInputStream(labelBytes), null);
      copyWal(walk, root, wal, walInTree, timeline, start, stopLsn, segmentSize);
      return new Result(
          PhysicalBackup.writeDir(w, root), labelBytes, control, stopLsn, walk.tablespaces);
    } catch (SQLException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          conn.hostPort()
              + ": local backup: "
              + e.getMessage().trim()
              + (e.getMessage().contains("permission denied")
                  ? "; the user needs superuser or EXECUTE on "
                      + (versionNum >= 150000
                          ? "pg_backup_start and pg_backup_stop"
                          : "pg_start_backup and pg_stop_backup")
                      + " (GRANT EXECUTE ON FUNCTION ...), or use --read stream"
                  : ""),
          e);
    }
  }

  private static long startBackup(Connection c, String label, boolean fast, int versionNum)
      throws SQLException {
    String sql =
        versionNum >= 150000
            ? "SELECT pg_backup_start(?, ?)::text"
            : "SELECT pg_start_backup(?, ?, false)::text";
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, label);
      st.setBoolean(2, fast);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return WalNames.parseLsn(rs.getString(1));
      }
    }
  }

  /**
   * What {@code pg_backup_stop} returns that the backup keeps (tablespace_map is not kept: see the
   * class comment).
   */
  private record Stop(long lsn, String label) {}

  private static Stop stopBackup(Connection c, int versionNum) throws SQLException {
    String sql =
        versionNum >= 150000
            ? "SELECT lsn::text, labelfile FROM pg_backup_stop(false)"
            : "SELECT lsn::text, labelfile FROM pg_stop_backup(false, false)";
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return new Stop(WalNames.parseLsn(rs.getString(1)), rs.getString(2));
    }
  }

  /**
   * The segments from the start to the stop, from pg_wal (the slot keeps them there): into {@code
   * wal} (the archive), or into the tree's pg_wal for a self-contained backup.
   */
  private void copyWal(
      Walk walk,
      PhysicalBackup.Dir root,
      BackupWal wal,
      boolean walInTree,
      int timeline,
      long start,
      long stop,
      long segmentSize)
      throws IOException {
    if (wal == null && !walInTree) return;
    String last = WalNames.segmentOf(timeline, stop - 1, segmentSize);
    PhysicalBackup.Dir pgWal = root.dirs.computeIfAbsent("pg_wal", k -> new PhysicalBackup.Dir());
    for (String s = WalNames.segmentOf(timeline, start, segmentSize);
        ;
        s = WalNames.next(s, segmentSize)) {
      Path p = dataDirectory.resolve("pg_wal").resolve(s);
      try (InputStream in = Files.newInputStream(p)) {
        if (wal != null) {
          wal.accept(s, Files.size(p), in);
        } else {
          walk.store(pgWal, "pg_wal/" + s, in, attributes(p));
        }
      } catch (NoSuchFileException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            conn.hostPort()
                + ": "
                + p
                + ", which this backup needs, was "
                + "removed from pg_wal before it was copied (no replication slot held it: see the warning above); no "
                + "snapshot was written");
      }
      if (s.equals(last)) break;
    }
  }

  private static PosixFileAttributes attributes(Path p) throws IOException {
    return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  private static String mtime(PosixFileAttributes a) {
    return PhysicalBackup.mtime(a.lastModifiedTime().toInstant().getEpochSecond());
  }

  /** The copy of the data directory into a tree of {@link PhysicalBackup.Dir}s. */
  private final class Walk {
    final BackupWriter w;
    final ChunkerParams params;
    final UnchangedPages skip;
    final Map<String, String> tablespaces = new TreeMap<>();

    Walk(BackupWriter w, ChunkerParams params, UnchangedPages skip) {
      this.w = w;
      this.params = params;
      this.skip = skip;
    }

    /**
     * Copies directory {@code dir} (at {@code rel} in the backup, "" for the data directory) into
     * {@code into}.
     */
    void dir(Path dir, String rel, PhysicalBackup.Dir into, int versionNum) throws IOException {
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) entries.add(p);
      } catch (NoSuchFileException e) {
        return; // dropped meanwhile (a database, a tablespace); replay drops it too
      } catch (AccessDeniedException e) {
        throw denied(dir);
      }
      Set<String> unlogged = new HashSet<>();
      for (Path p : entries) {
        String init = BaseBackupExclusions.initForkOf(p.getFileName().toString());
        if (init != null) unlogged.add(init);
      }
      entries.sort(null);
      for (Path p : entries) {
        String name = p.getFileName().toString();
        String path = rel.isEmpty() ? name : rel + "/" + name;
        if (BaseBackupExclusions.excluded(name, unlogged) || path.equals("global/pg_control"))
          continue;
        PosixFileAttributes a;
        try {
          a = attributes(p);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (a.isSymbolicLink() && rel.equals("pg_tblspc")) {
          tablespace(p, path, name, into, versionNum);
        } else if (a.isDirectory() || (a.isSymbolicLink() && path.equals("pg_wal"))) {
          PhysicalBackup.Dir d = into.dirs.computeIfAbsent(name, k -> new PhysicalBackup.Dir());
          PosixFileAttributes target =
              a.isSymbolicLink() ? Files.readAttributes(p, PosixFileAttributes.class) : a;
          d.mode = Node.modeOf(target.permissions());
          d.mtime = mtime(target);
          if (path.equals("pg_wal")) {
            // As pg_basebackup: pg_wal and an empty archive_status.
            PhysicalBackup.Dir status =
                d.dirs.computeIfAbsent("archive_status", k -> new PhysicalBackup.Dir());
            status.mode = d.mode;
            status.mtime = d.mtime;
          } else if (!BaseBackupExclusions.emptied(path)) {
            dir(p, path, d, versionNum);
          }
        } else if (a.isRegularFile()) {
          Content unchanged = skip == null ? null : skip.unchangedFile(w, path, a);
          if (unchanged != null) {
            progress.bytesRead.addAndGet(unchanged.size());
            add(into, path, unchanged, a);
            continue;
          }
          try (InputStream in = open(p, a.size())) {
            store(into, path, in, a);
          } catch (NoSuchFileException e) {
            // dropped meanwhile; replay drops it too
          }
        } else if (a.isSymbolicLink()) {
          warnings.add(
              "skipped the symbolic link "
                  + path
                  + " in the data directory (as pg_basebackup does); "
                  + "only pg_tblspc and pg_wal may be links");
        }
      }
    }

    /**
     * A tablespace: its version directory (PG_&lt;major&gt;_&lt;catalog version&gt;) under
     * pg_tblspc/OID.
     */
    private void tablespace(
        Path link, String path, String oid, PhysicalBackup.Dir into, int versionNum)
        throws IOException {
      Path target;
      try {
        target = link.toRealPath();
      } catch (NoSuchFileException e) {
        return; // dropped meanwhile
      }
      tablespaces.put(oid, Files.readSymbolicLink(link).toString());
      PosixFileAttributes a = Files.readAttributes(target, PosixFileAttributes.class);
      PhysicalBackup.Dir d = into.dirs.computeIfAbsent(oid, k -> new PhysicalBackup.Dir());
      d.mode = Node.modeOf(a.permissions());
      d.mtime = mtime(a);
      String prefix = "PG_" + versionNum / 10000 + "_";
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(target, prefix + "*")) {
        for (Path v : ds) {
          if (!Files.isDirectory(v, LinkOption.NOFOLLOW_LINKS)) continue;
          String name = v.getFileName().toString();
          PhysicalBackup.Dir vd = d.dirs.computeIfAbsent(name, k -> new PhysicalBackup.Dir());
          PosixFileAttributes va = attributes(v);
          vd.mode = Node.modeOf(va.permissions());
          vd.mtime = mtime(va);
          dir(v, path + "/" + name, vd, versionNum);
        }
      } catch (AccessDeniedException e) {
        throw denied(target);
      }
    }

    void store(PhysicalBackup.Dir into, String path, InputStream in, PosixFileAttributes a)
        throws IOException {
      progress.current = path;
      add(into, path, w.writeStream(in, params, skip == null ? null : skip.forFile(path)), a);
    }

    private void add(PhysicalBackup.Dir into, String path, Content c, PosixFileAttributes a) {
      progress.files.incrementAndGet();
      String name = path.substring(path.lastIndexOf('/') + 1);
      into.files.put(
          name,
          new Node(
              name,
              Node.FILE,
              c.size(),
              a == null ? 0600 : Node.modeOf(a.permissions()),
              a == null ? PhysicalBackup.mtime(Instant.now().getEpochSecond()) : mtime(a),
              null,
              null,
              null,
              c.chunksHex(),
              c.chunkListsHex(),
              null,
              null));
    }
  }

  private RoadieException denied(Path p) {
    return new RoadieException(
        ErrorCode.FAILURE,
        conn.hostPort()
            + ": permission denied reading "
            + p
            + "; run roadie "
            + "as the postgres OS user (the data directory's owner) or as root, or use --read stream");
  }

  /**
   * A file's bytes up to its size when it was listed: a relation that grows meanwhile is extended
   * by WAL the backup replays, one that shrinks ends early (replay truncates it the same way).
   */
  private InputStream open(Path p, long size) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(p, StandardOpenOption.READ);
    } catch (AccessDeniedException e) {
      throw denied(p);
    }
    return new InputStream() {
      long left = size;

      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) return -1;
        int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)));
        if (n < 0) {
          left = 0;
          return -1;
        }
        left -= n;
        return n;
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }
}
