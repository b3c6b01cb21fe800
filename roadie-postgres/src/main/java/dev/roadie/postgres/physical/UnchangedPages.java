package dev.roadie.postgres.physical;

import dev.roadie.core.Id;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.repo.Content;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.ParentStream;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Recognises runs of relation pages that have not changed since the parent backup, from their page
 * LSNs alone, so a later backup reuses the parent's chunks for them without hashing or compressing.
 *
 * <p>Every page of a relation starts with {@code pd_lsn}, the end of the last WAL record that
 * changed it. A page whose LSN is non-zero and below the parent backup's start LSN (the redo point
 * of its start checkpoint) was last changed before that checkpoint, which wrote it to disk before
 * the parent copied any file; so the parent copied it as it is now. What changes a page without WAL
 * (hint bits, when neither data checksums nor wal_log_hints are on) is harmless to lose to
 * PostgreSQL, though the file then differs from backup_manifest's checksum (so {@code auto} mode
 * skips only when hint bits are WAL-logged); a page torn while this backup read it had a write in
 * progress, hence a WAL record after this backup's start whose full-page image (full_page_writes
 * must be on) replay restores. This is the reasoning of pg_probackup's DELTA mode.
 *
 * <p>Only main forks of relations in {@code base/}, {@code global/} and tablespaces ({@code
 * <relfilenode>[.<n>]}): their pages never move, so chunk i of a file (fixed-size chunks aligned to
 * the file's start) is the same run of pages in every backup. Free-space maps are not WAL-logged
 * and are left out, as are all other files. The parent is the newest physical snapshot of the same
 * cluster (system identifier) on the same timeline with the same chunk size: on another timeline
 * the same LSN may mean other changes. A cluster whose history was rewound on the same timeline (a
 * file-system or VM snapshot of the data directory put back) breaks the premise; back up with
 * {@code --page-skip off} (or start a new chain) after such an operation.
 */
final class UnchangedPages {
  /**
   * A relation's files: its directory (a database's, global, or a tablespace's) and relfilenode.
   */
  private static final String RELFILENODE =
      "(base/[0-9]+|global|pg_tblspc/[0-9]+/PG_[^/]+/[0-9]+)/[0-9]+";

  private static final Pattern RELATION = Pattern.compile(RELFILENODE + "(\\.[0-9]+)?");

  /** Every fork of a relation: files PostgreSQL writes in place and never renames. */
  private static final Pattern RELATION_FORK =
      Pattern.compile(RELFILENODE + "(_fsm|_vm|_init)?(\\.[0-9]+)?");

  /**
   * How much older than the parent's start a file's mtime must be for the file to be taken whole
   * from the parent: more than a file system's timestamp granularity (1 s on some, 2 s on FAT-like
   * ones; the kernel's coarse clock lags by a tick) plus the truncation of the parent's start time
   * to whole seconds.
   */
  static final Duration MTIME_MARGIN = Duration.ofSeconds(2);

  private final Repository repo;
  private final SnapshotRef parent;
  private final long parentStart;
  private final int chunkSize;
  private final int blockSize;
  private final ParentStream.Finder finder;
  private final Instant parentStartTime;
  final AtomicLong pagesScanned = new AtomicLong();
  final AtomicLong pagesChanged = new AtomicLong();
  final AtomicLong filesReused = new AtomicLong();
  final AtomicLong fileBytesReused = new AtomicLong();

  private UnchangedPages(Repository repo, SnapshotRef parent, int chunkSize, int blockSize) {
    this.repo = repo;
    this.parent = parent;
    this.parentStart = WalNames.parseLsn((String) parent.snapshot().source().get("startLsn"));
    this.chunkSize = chunkSize;
    this.blockSize = blockSize;
    this.finder = ParentStream.Finder.of(repo, parent);
    this.parentStartTime =
        parent.snapshot().source().get("startTime") instanceof String t ? Instant.parse(t) : null;
  }

  /**
   * The newest usable parent, or null when there is none. {@code parentLoggedHints}: only a parent
   * taken while hint bits were WAL-logged (its {@code hintBitsLogged}).
   */
  static UnchangedPages find(
      Repository repo,
      String systemId,
      int timeline,
      long startLsnBound,
      int chunkSize,
      int blockSize,
      boolean parentLoggedHints)
      throws IOException {
    SnapshotRef best = null;
    long bestStart = -1;
    for (SnapshotRef r : repo.snapshots(new ArrayList<>())) {
      Snapshot s = r.snapshot();
      Map<String, Object> src = s.source();
      if (!PhysicalBackup.KIND.equals(s.kind()) || src == null || s.tree() == null) continue;
      if (!systemId.equals(String.valueOf(src.get("systemIdentifier")))) continue;
      if (!(src.get("timeline") instanceof Number t) || t.intValue() != timeline) continue;
      if (!(src.get("chunkSize") instanceof Number c) || c.intValue() != chunkSize) continue;
      if (!(src.get("blockSize") instanceof Number b) || b.intValue() != blockSize) continue;
      if (!(src.get("startLsn") instanceof String lsn)) continue;
      if (parentLoggedHints && !Boolean.TRUE.equals(src.get("hintBitsLogged"))) continue;
      long start = WalNames.parseLsn(lsn);
      // A parent that starts at or after this server's current position belongs to another history.
      if (Long.compareUnsigned(start, startLsnBound) >= 0) continue;
      if (best == null || Long.compareUnsigned(start, bestStart) > 0) {
        best = r;
        bestStart = start;
      }
    }
    return best == null ? null : new UnchangedPages(repo, best, chunkSize, blockSize);
  }

  SnapshotRef parent() {
    return parent;
  }

  long parentStart() {
    return parentStart;
  }

  /**
   * For a file of this backup, the parent's chunks it may reuse; null when the file does not
   * qualify.
   */
  BackupWriter.KnownChunks forFile(String path) throws IOException {
    if (!RELATION.matcher(path).matches()) return null;
    Node n = finder.node(path.split("/"));
    if (n == null || !Node.FILE.equals(n.type()) || n.size() == null) return null;
    long parentSize = n.size();
    List<Id> ids = new ArrayList<>();
    for (Iterator<Id> it = ContentReader.chunkIds(repo, n); it.hasNext(); ) ids.add(it.next());
    if (ids.size() != (parentSize + chunkSize - 1) / chunkSize)
      return null; // not in fixed chunks of this size
    return (offset, data, off, len) -> {
      if (offset % chunkSize != 0 || len % blockSize != 0) return null;
      long i = offset / chunkSize;
      if (i >= ids.size() || Math.min(chunkSize, parentSize - offset) != len) return null;
      int changed = 0;
      for (int p = 0; p < len; p += blockSize) {
        long lsn =
            (Integer.toUnsignedLong(intLe(data, off + p)) << 32)
                | Integer.toUnsignedLong(intLe(data, off + p + 4));
        if (lsn == 0 || Long.compareUnsigned(lsn, parentStart) >= 0) changed++;
      }
      pagesScanned.addAndGet(len / blockSize);
      pagesChanged.addAndGet(changed);
      return changed == 0 ? ids.get((int) i) : null;
    };
  }

  /**
   * For a file of a local read, the parent's copy of it when the file has not been written since
   * before the parent started, so its bytes need not be read at all (as pgBackRest's incremental
   * backups do); null when the file must be read. Only relation files (every fork), which
   * PostgreSQL writes in place and never renames (a renamed file keeps its mtime, so an old mtime
   * would not prove that the bytes at this path are the ones the parent read). Conditions: the
   * parent has the file with the same size and the same mtime (seconds, as trees store it), and the
   * file's mtime is older than the parent's start time ({@code startTime}, backup_label's START
   * TIME, stamped by pg_backup_start before the parent read any file) by more than {@link
   * #MTIME_MARGIN}. Then the file's last write came before the parent read it, so the parent stored
   * exactly these bytes: any write since, including the start checkpoint of this backup flushing a
   * page changed after the parent's, moves the mtime past the parent's start (this is called after
   * pg_backup_start). A write while this backup runs is repaired by WAL replay, as for a file that
   * is read. Every chunk must be stored where this backup may reference it, else the file is read.
   */
  Content unchangedFile(BackupWriter w, String path, PosixFileAttributes a) throws IOException {
    if (parentStartTime == null || !RELATION_FORK.matcher(path).matches()) return null;
    Instant mtime = a.lastModifiedTime().toInstant();
    if (!mtime.isBefore(parentStartTime.minus(MTIME_MARGIN))) return null;
    Node n = finder.node(path.split("/"));
    if (n == null
        || !Node.FILE.equals(n.type())
        || n.size() == null
        || n.size() != a.size()
        || !PhysicalBackup.mtime(mtime.getEpochSecond()).equals(n.mtime())) {
      return null;
    }
    BackupWriter.ContentBuilder content = w.newContent();
    long offset = 0;
    for (Iterator<Id> it = ContentReader.chunkIds(repo, n); it.hasNext(); ) {
      Id id = it.next();
      int len = (int) Math.min(chunkSize, n.size() - offset);
      if (len <= 0 || !w.reuse(id)) return null;
      content.chunk(id, len);
      offset += len;
    }
    if (offset != n.size()) return null; // not in fixed chunks of this size
    filesReused.incrementAndGet();
    fileBytesReused.addAndGet(offset);
    if (RELATION.matcher(path).matches())
      pagesScanned.addAndGet(offset / blockSize); // unchanged pages, counted as read
    return content.finish();
  }

  /**
   * pd_lsn is two uint32 (xlogid, xrecoff) in the server's byte order: little-endian on x86 and
   * arm64.
   */
  private static int intLe(byte[] b, int i) {
    return (b[i] & 0xFF)
        | (b[i + 1] & 0xFF) << 8
        | (b[i + 2] & 0xFF) << 16
        | (b[i + 3] & 0xFF) << 24;
  }
}
