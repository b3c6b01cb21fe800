package dev.roadie.core.snapshot;

import java.util.List;
import java.util.Map;

/**
 * A snapshot as stored (encrypted JSON in {@code snapshots/<id>}). {@code time} is ISO-8601 with an
 * offset; {@code target} names what was backed up (one target has many snapshots over time); {@code
 * kind} is the source kind ({@code file}, {@code postgres}, ...); {@code tree} is the root tree's
 * blob id; {@code source} holds the source's own metadata (server version, LSNs, row counts).
 * {@code copy} is set only on a snapshot written by {@code copy}; its {@code stats} stay those of
 * the original backup. {@code audit} is the id of the audit entry of the operation that wrote it
 * (null in snapshots written before the audit trail existed, and by library callers that keep
 * none).
 */
public record Snapshot(
    int version,
    String time,
    String target,
    String kind,
    String host,
    String user,
    List<String> tags,
    List<String> paths,
    String tree,
    String parent,
    Stats stats,
    Map<String, Object> source,
    Copy copy,
    String audit) {

  public static final int VERSION = 1;

  /** A snapshot as a backup writes it: not a copy. */
  public Snapshot(
      int version,
      String time,
      String target,
      String kind,
      String host,
      String user,
      List<String> tags,
      List<String> paths,
      String tree,
      String parent,
      Stats stats,
      Map<String, Object> source) {
    this(
        version, time, target, kind, host, user, tags, paths, tree, parent, stats, source, null,
        null);
  }

  public Snapshot(
      int version,
      String time,
      String target,
      String kind,
      String host,
      String user,
      List<String> tags,
      List<String> paths,
      String tree,
      String parent,
      Stats stats,
      Map<String, Object> source,
      Copy copy) {
    this(
        version, time, target, kind, host, user, tags, paths, tree, parent, stats, source, copy,
        null);
  }

  /** This snapshot, naming audit entry {@code audit}. */
  public Snapshot withAudit(String audit) {
    return new Snapshot(
        version, time, target, kind, host, user, tags, paths, tree, parent, stats, source, copy,
        audit);
  }

  /**
   * {@code bytesRead}: bytes of source data read; {@code bytesAdded}: bytes this snapshot added to
   * the repository (packs and index after deduplication and compression); {@code blobsAdded}: new
   * blobs; {@code files}: files and streams; {@code durationMillis}: wall time of the backup.
   */
  public record Stats(
      long bytesRead, long bytesAdded, long blobsAdded, long files, long durationMillis) {}

  /**
   * How a copied snapshot came to this repository: {@code repository} and {@code snapshot} are the
   * ids it was copied from (for a copy of a copy, the intermediate one; the first origin is in
   * {@code source.copiedFrom}), {@code time} when the copy was made (ISO-8601 UTC), {@code stats}
   * what the copy read and added to this repository.
   */
  public record Copy(String repository, String snapshot, String time, Stats stats) {}
}
