package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.postgres.wal.WalArchive;
import dev.roadie.postgres.wal.WalFileHeader;
import dev.roadie.postgres.wal.WalNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The WAL a base backup needs to become consistent, taken from its own tar ({@code pg_basebackup -X
 * fetch}: the segments from the start to the stop of the backup, sent after the data files) and
 * stored in the WAL archive as fragments, so the backup does not wait for archive_command.
 *
 * <p>Fragments, never whole segments: archive_command will archive the same segments under their
 * final names later, and the archive refuses different content under a name already archived. A
 * fragment has a name of its own, so it can never collide with what PostgreSQL archives; restore
 * (wal-fetch) prefers a whole segment and falls back to the fragments. The last segment is stored
 * whole when the backup ran on a primary (the segment switch at the backup's end made it final),
 * else only up to the backup's stop LSN (what follows may not be written yet).
 *
 * <p>At most one segment is held in memory: a segment is stored once the next one arrives (it is
 * complete then), the last once the stop LSN is known.
 */
final class BackupWal {
  private final Repository repo;
  private final long segmentSize;
  private final List<String> seen = new ArrayList<>();
  private final List<String> fragments = new ArrayList<>();
  private byte[] held;
  private WalArchive archive;

  BackupWal(Repository repo, long segmentSize) {
    this.repo = repo;
    this.segmentSize = segmentSize;
  }

  /**
   * One file of the tar's pg_wal directory: segments are kept, the rest (.done markers, histories)
   * skipped.
   */
  void accept(String name, long size, InputStream in) throws IOException {
    if (!WalNames.isSegment(name)) {
      in.transferTo(OutputStream.nullOutputStream());
      return;
    }
    if (size != segmentSize) {
      throw new IOException(
          "pg_wal/"
              + name
              + " in the base backup has "
              + size
              + " bytes, not the segment size "
              + segmentSize);
    }
    byte[] bytes = in.readAllBytes();
    if (bytes.length != size)
      throw new IOException("pg_wal/" + name + ": read " + bytes.length + " of " + size + " bytes");
    WalFileHeader h = WalFileHeader.parse(bytes);
    if (h == null)
      throw new IOException("pg_wal/" + name + " in the base backup has no WAL segment header");
    if (archive == null) {
      archive = new WalArchive(repo, h.systemId());
    } else if (h.systemId() != archive.systemId()) {
      throw new IOException(
          "pg_wal/" + name + " belongs to another cluster than the segments before it");
    } else if (!WalNames.next(seen.get(seen.size() - 1), segmentSize).equals(name)) {
      throw new IOException(
          "the base backup's WAL jumps from " + seen.get(seen.size() - 1) + " to " + name);
    }
    if (held != null) {
      // Complete: the server sent a later segment, so this one ended before the backup stopped.
      push(seen.get(seen.size() - 1), held, segmentSize);
    }
    seen.add(name);
    held = bytes;
  }

  private void push(String segment, byte[] bytes, long upTo) throws IOException {
    if (archive.has(segment)) return; // archive_command was quicker: the whole segment is there
    byte[] part = upTo == bytes.length ? bytes : Arrays.copyOf(bytes, (int) upTo);
    fragments.add(archive.pushFragment(segment, segmentSize, 0, part));
  }

  /**
   * Stores the last segment up to the stop LSN, after checking that the tar's WAL spans the backup
   * from its start segment to its stop segment and belongs to the backup's cluster. Records the
   * fragments stored in {@code source}.
   */
  void store(long systemId, Map<String, Object> source) throws IOException {
    String startSegment = (String) source.get("startSegment");
    String stopSegment = (String) source.get("stopSegment");
    if (seen.isEmpty()
        || !seen.get(0).equals(startSegment)
        || !seen.get(seen.size() - 1).equals(stopSegment)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the base backup's WAL ("
              + (seen.isEmpty() ? "none" : seen.get(0) + " to " + seen.get(seen.size() - 1))
              + ") does not span "
              + startSegment
              + " to "
              + stopSegment
              + "; no snapshot was written");
    }
    if (archive.systemId() != systemId) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the base backup's WAL belongs to cluster "
              + WalNames.systemIdText(archive.systemId())
              + ", its pg_control to "
              + WalNames.systemIdText(systemId)
              + "; no snapshot was written");
    }
    long stop = WalNames.parseLsn((String) source.get("stopLsn"));
    long stopOffset = stop - WalNames.segmentNumber(stopSegment, segmentSize) * segmentSize;
    // On a primary, the backup's end is followed by a segment switch, which PostgreSQL flushes with
    // the zero padding to the segment's end before it sends the WAL: the whole segment is final,
    // and
    // recovery to 'immediate' needs the record after the stop LSN (it stops before the first record
    // after consistency). A standby writes no switch, and what follows its stop may not be written
    // yet: only the bytes up to the stop LSN are kept then.
    boolean fromPrimary =
        "primary"
            .equals(
                BackupLabel.parse((String) source.get("backupLabel")).fields().get("BACKUP FROM"));
    push(stopSegment, held, fromPrimary ? segmentSize : stopOffset);
    held = null;
    source.put("walFragments", List.copyOf(fragments));
  }
}
