package dev.roadie.dashboard.status;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The repository page: what it stores and what is happening to it.
 *
 * @param storedBytesByKind stored bytes per object directory ({@code data}, {@code index}, ...)
 * @param objectsByKind objects per object directory
 * @param sourceBytes bytes read by the backups of every snapshot (what restoring all would write)
 * @param deduplicationRatio source bytes of all snapshots over stored bytes (0 when nothing is
 *     stored)
 * @param leases the writers' leases: a fresh one is a backup (or other writer) running now
 * @param plans prune's deletion plans, oldest first
 * @param copyLag the second region's copy, or null when none is known (no agent config names one)
 */
public record RepositoryFacts(
    String location,
    String id,
    int formatVersion,
    long storedBytes,
    Map<String, Long> storedBytesByKind,
    Map<String, Long> objectsByKind,
    long snapshots,
    long sourceBytes,
    double deduplicationRatio,
    List<LeaseInfo> leases,
    List<PlanInfo> plans,
    CopyLag copyLag,
    List<String> problems) {

  /** A lease: who holds it, for what, since when, and whether it is still being refreshed. */
  public record LeaseInfo(
      String host, long pid, String operation, Instant started, Instant refreshed, boolean fresh) {}

  /**
   * A deletion plan: when prune wrote it, how many packs and snapshots it names, and from when a
   * later prune may carry it out (its creation plus the grace period, when no older lease holds
   * it).
   */
  public record PlanInfo(
      String id, Instant created, int packs, int snapshots, Instant deletableFrom) {}
}
