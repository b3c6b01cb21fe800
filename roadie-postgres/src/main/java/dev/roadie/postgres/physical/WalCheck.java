package dev.roadie.postgres.physical;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalFileHeader;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;

/**
 * The WAL part of {@code check}: walks each physical snapshot's recovery through the repository's
 * WAL archive ({@link RecoveryWindow}, along the latest timeline, as restore does by default) and
 * reports a snapshot whose backup cannot become consistent with the WAL the repository holds, or
 * whose WAL stops at a missing segment while later WAL is archived (recovery cannot reach it).
 * {@link #check} reads only the archive's listing and its timeline history files; {@link #readData}
 * reads the archived files themselves.
 */
public final class WalCheck {
  /** A snapshot whose recovery needs WAL the repository lacks; {@code snapshot} is its full id. */
  public record Problem(String snapshot, String message) {}

  /**
   * An archived file that cannot be read back as what was archived; {@code snapshots}: the full ids
   * of the physical snapshots whose recovery passes through it.
   */
  public record Damaged(String file, List<String> snapshots, String message) {}

  private WalCheck() {}

  public static List<Problem> check(Repository repo, List<SnapshotRef> snapshots) {
    RecoveryWindow windows = new RecoveryWindow(repo);
    List<Problem> out = new ArrayList<>();
    for (SnapshotRef ref : snapshots) {
      if (!PhysicalBackup.KIND.equals(ref.snapshot().kind())) continue;
      String desc =
          "snapshot "
              + ref.id().shortHex()
              + " ("
              + ref.snapshot().target()
              + ", "
              + ref.snapshot().time()
              + ")";
      try {
        RecoveryWindow.Window w = windows.of(ref.snapshot(), null);
        if (w.missingSegment() == null) continue;
        out.add(
            new Problem(
                ref.id().hex(),
                desc
                    + ": "
                    + w.note()
                    + "; see docs/runbooks/postgres-pitr.md, "
                    + "'WAL is missing'"));
      } catch (IOException | RuntimeException e) {
        out.add(
            new Problem(
                ref.id().hex(), desc + ": its WAL archive cannot be read: " + e.getMessage()));
      }
    }
    return out;
  }

  /**
   * Reads about {@code share} (0 to 1) of every cluster's archived files, each chosen at random:
   * each is decrypted and authenticated, its plaintext compared with the keyed hash in its header,
   * and a whole segment's page headers checked (each page either never written, all zeros, or a WAL
   * page of this segment: PostgreSQL's magic, the page's own address; the first page the long
   * header with the cluster's system identifier and segment size). A file that fails is named with
   * the physical snapshots whose recovery passes through it.
   */
  public static List<Damaged> readData(Repository repo, List<SnapshotRef> snapshots, double share)
      throws IOException {
    List<Damaged> out = new ArrayList<>();
    if (share <= 0) return out;
    for (long sysid : WalArchive.clusters(repo)) {
      WalArchive archive = new WalArchive(repo, sysid);
      for (WalArchive.Entry e : archive.list()) {
        if (share < 1 && ThreadLocalRandom.current().nextDouble() >= share) continue;
        String why;
        try {
          why = pages(archive, e.name());
        } catch (IOException | RuntimeException ex) {
          why = ex.getMessage();
        }
        if (why == null) continue;
        List<String> affected = affected(snapshots, sysid, e.name());
        String whose =
            affected.isEmpty()
                ? "no physical snapshot's recovery needs it"
                : "snapshots whose recovery needs it: "
                    + String.join(" ", affected.stream().map(id -> id.substring(0, 8)).toList());
        out.add(
            new Damaged(
                e.name(),
                affected,
                "archived WAL file "
                    + e.name()
                    + " of cluster "
                    + WalNames.systemIdText(sysid)
                    + " is damaged: "
                    + why
                    + "; "
                    + whose
                    + "; see docs/runbooks/postgres-pitr.md, 'WAL is missing'"));
      }
    }
    return out;
  }

  /**
   * Why the archived {@code name} is not what was archived, or null when it reads back whole and
   * sound.
   */
  private static String pages(WalArchive archive, String name) throws IOException {
    byte[] bytes = archive.read(name);
    if (bytes == null) return null; // removed by forget since the listing
    if (!WalNames.isSegment(name))
      return null; // authenticated and hashed; no page structure to check
    WalFileHeader first = WalFileHeader.parse(bytes);
    if (first == null) return "it does not start with a WAL segment's long page header";
    if (first.systemId() != archive.systemId()) {
      return "its header names cluster " + Long.toUnsignedString(first.systemId());
    }
    long segmentSize = first.segmentSize();
    if (segmentSize != bytes.length)
      return "it holds " + bytes.length + " bytes, its header says " + segmentSize;
    long start = WalNames.segmentNumber(name, segmentSize) * segmentSize;
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    int pageSize = b.getInt(36);
    if (pageSize < 1024 || Integer.bitCount(pageSize) != 1 || segmentSize % pageSize != 0) {
      return "its header gives a page size of " + pageSize;
    }
    for (int off = 0; off < bytes.length; off += pageSize) {
      int magic = Short.toUnsignedInt(b.getShort(off));
      long address = b.getLong(off + 8);
      if (magic == 0 && address == 0 && b.getInt(off + 4) == 0) continue; // a page never written
      if (magic != first.magic() || address != start + off) {
        return "the page at byte " + off + " has no valid WAL page header";
      }
    }
    return null;
  }

  /**
   * The physical snapshots of cluster {@code sysid} whose recovery (to the newest archived WAL)
   * reads {@code file}: those that start at or before its position, on a timeline their recovery
   * follows; every snapshot of the cluster for a file without a position (a timeline history).
   */
  private static List<String> affected(List<SnapshotRef> snapshots, long sysid, String file) {
    Matcher fragment = WalNames.FRAGMENT.matcher(file);
    String segment =
        fragment.matches()
            ? fragment.group(1)
            : WalNames.isSegment(file)
                    || WalNames.isBackupLabel(file)
                    || WalNames.PARTIAL.matcher(file).matches()
                ? file.substring(0, 24)
                : null;
    List<String> out = new ArrayList<>();
    for (SnapshotRef ref : snapshots) {
      if (!PhysicalBackup.KIND.equals(ref.snapshot().kind())) continue;
      PhysicalMetadata m;
      try {
        m = SourceMetadata.of(ref.snapshot(), PhysicalMetadata.class);
      } catch (RuntimeException e) {
        continue;
      }
      if (m == null
          || m.systemIdentifier() == null
          || Long.parseUnsignedLong(m.systemIdentifier()) != sysid) continue;
      if (segment != null
          && m.walSegmentSize() != null
          && m.startLsn() != null
          && m.timeline() != null) {
        long size = m.walSegmentSize();
        if (WalNames.segmentNumber(segment, size) < WalNames.parseLsn(m.startLsn()) / size)
          continue;
        if (WalNames.timeline(segment) < m.timeline()) continue;
      }
      out.add(ref.id().hex());
    }
    return out;
  }
}
