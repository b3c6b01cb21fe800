package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A sealed list of packs that prune will delete once the plan is older than the grace period, and
 * the snapshots that existed when it was made (a later prune re-checks only the others). Stored as
 * {@code plans/<random id>}; never changed once written; deleted when carried out. Part of the
 * repository's layout, with the repository rather than with prune: every writer reads the plans
 * (blobs found only in planned packs count as absent), prune writes and carries them out.
 *
 * <h2>Payload (version 1), inside the sealed object</h2>
 *
 * <pre>
 * plan      = version:u8 (=1)  created:u64 (milliseconds since 1970, UTC)
 *             packCount:u32  pack*  snapshotCount:u32  snapshotId:32 bytes *
 * pack      = packId:32 bytes  reason:u8 (0 = no live blob, 1 = repacked, 2 = in no index)
 * </pre>
 *
 * All integers big-endian. Nothing may follow the last snapshot id.
 */
public record DeletionPlan(Id id, Instant created, List<Planned> packs, List<Id> snapshots) {
  public static final int VERSION = 1;

  /** Why a pack is planned for deletion. */
  public enum Reason {
    UNUSED,
    REPACKED,
    UNINDEXED;
  }

  public record Planned(Id pack, Reason reason) {}

  public DeletionPlan {
    packs = List.copyOf(packs);
    snapshots = List.copyOf(snapshots);
  }

  public ObjectName name() {
    return ObjectName.of(ObjectKind.PLAN, id.hex());
  }

  public Set<Id> packIds() {
    Set<Id> out = new HashSet<>();
    for (Planned p : packs) out.add(p.pack());
    return out;
  }

  public byte[] encode() {
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(13 + packs.size() * 33 + snapshots.size() * 32);
    out.write(VERSION);
    putLong(out, created.toEpochMilli());
    putInt(out, packs.size());
    for (Planned p : packs) {
      out.writeBytes(p.pack().bytes());
      out.write(p.reason().ordinal());
    }
    putInt(out, snapshots.size());
    for (Id s : snapshots) out.writeBytes(s.bytes());
    return out.toByteArray();
  }

  /** Decodes a plan's payload; anything but an exact version-1 layout is refused. */
  public static DeletionPlan decode(Id id, byte[] b) {
    String what = "deletion plan " + id.shortHex();
    if (b.length < 17 || b[0] != VERSION) {
      throw new RoadieException(ErrorCode.INTEGRITY, what + ": unknown version or truncated");
    }
    Instant created = Instant.ofEpochMilli(getLong(b, 1));
    int packCount = getInt(b, 9);
    int p = 13;
    if (packCount < 0 || (long) packCount * 33 + 4 > b.length - p) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, what + ": pack count " + packCount + " does not fit");
    }
    List<Planned> packs = new ArrayList<>(packCount);
    for (int i = 0; i < packCount; i++, p += 33) {
      int reason = b[p + 32];
      if (reason < 0 || reason >= Reason.values().length) {
        throw new RoadieException(ErrorCode.INTEGRITY, what + ": unknown reason " + reason);
      }
      packs.add(new Planned(Id.of(b, p), Reason.values()[reason]));
    }
    int snapshotCount = getInt(b, p);
    p += 4;
    if (snapshotCount < 0 || (long) snapshotCount * 32 != b.length - p) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, what + ": snapshot count " + snapshotCount + " does not fit");
    }
    List<Id> snapshots = new ArrayList<>(snapshotCount);
    for (int i = 0; i < snapshotCount; i++, p += 32) snapshots.add(Id.of(b, p));
    return new DeletionPlan(id, created, packs, snapshots);
  }

  public void write(Repository repo) throws IOException {
    repo.writeSealed(name(), encode());
  }

  /**
   * Every plan in the repository, oldest first. An unreadable plan fails the call: its packs are
   * unknown, so neither a writer nor prune could tell which blobs are safe to use.
   */
  public static List<DeletionPlan> readAll(Repository repo) throws IOException {
    List<DeletionPlan> out = new ArrayList<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.PLAN)) {
      Id id = Id.parse(info.name().id());
      byte[] payload;
      try {
        payload = repo.readSealed(info.name());
      } catch (dev.roadie.core.backend.NoSuchObjectException e) {
        continue; // carried out and deleted by a prune since the listing
      }
      out.add(decode(id, payload));
    }
    out.sort(java.util.Comparator.comparing(DeletionPlan::created).thenComparing(DeletionPlan::id));
    return out;
  }

  /** The packs named by any plan: blobs found only there count as absent for writers. */
  public static Set<Id> plannedPacks(Repository repo) throws IOException {
    Set<Id> out = new HashSet<>();
    for (DeletionPlan p : readAll(repo)) out.addAll(p.packIds());
    return out;
  }

  private static void putLong(ByteArrayOutputStream out, long v) {
    putInt(out, (int) (v >>> 32));
    putInt(out, (int) v);
  }

  private static void putInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  private static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }

  private static long getLong(byte[] b, int off) {
    return ((long) getInt(b, off) << 32) | (getInt(b, off + 4) & 0xFFFF_FFFFL);
  }
}
