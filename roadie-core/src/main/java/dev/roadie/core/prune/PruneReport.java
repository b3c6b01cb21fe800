package dev.roadie.core.prune;

import java.util.ArrayList;
import java.util.List;

/**
 * What a prune did (or, with {@code dryRun}, would do), as printed by {@code roadie prune --json}.
 * Sizes are bytes as stored (compressed and encrypted).
 */
public final class PruneReport {
  public boolean dryRun;

  /** Snapshots read to find live data, and what the index held then. */
  public int snapshots;

  public long blobs;
  public long liveBlobs;
  public int packs;
  public long packBytes;

  /** The plan written by this run, if any. */
  public String planId;

  public int plannedPacks;
  public long plannedBytes;
  public int unusedPacks;
  public int unindexedPacks;

  /** Packs rewritten because their unused share was above --max-unused: read, live blobs copied. */
  public int repackedPacks;

  public long repackedBytes;
  public long repackedBlobs;
  public int packsWritten;
  public long bytesWritten;

  /** Plans carried out by this run and what was deleted. */
  public List<String> plansCarriedOut = new ArrayList<>();

  public int packsDeleted;
  public long bytesDeleted;
  public int indexFilesDeleted;
  public int indexFilesWritten;

  /** Packs a plan named that this run kept, and why. */
  public List<String> kept = new ArrayList<>();

  /** Plans not carried out yet: waiting for their grace period or for writers. */
  public List<Pending> pending = new ArrayList<>();

  /** Peak Java heap in use during the run, and the part the blob index took. */
  public long memoryBytes;

  public long indexMemoryBytes;
  public long durationMillis;

  public record Pending(String plan, String created, String due, int packs, String waitingFor) {}
}
