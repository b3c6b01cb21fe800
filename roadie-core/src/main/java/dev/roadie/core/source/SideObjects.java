package dev.roadie.core.source;

import dev.roadie.core.Id;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.List;

/**
 * The requests and answers of a source's part in repository-wide operations ({@code forget},
 * {@code check}, {@code copy}): its side objects, which live beside the snapshots rather than in
 * their trees (a PostgreSQL cluster's archived WAL, which point-in-time recovery of its physical
 * snapshots needs). A source without side objects takes no part; see {@link SourceProvider}.
 */
public final class SideObjects {
  private SideObjects() {}

  /**
   * {@code forget} has decided which snapshots remain: side objects that no remaining snapshot
   * needs may go.
   *
   * @param remaining every snapshot that stays in the repository, of every kind (not only those the
   *     forget's filter chose): the provider picks its own
   * @param dryRun say what would be removed, remove nothing
   */
  public record Forget(Repository repository, List<SnapshotRef> remaining, boolean dryRun) {
    public Forget {
      remaining = List.copyOf(remaining);
    }
  }

  /**
   * Side objects a forget removed (or would remove), for a line such as {@code removed WAL of
   * cluster 7711636696286654047: 9 archived files (12.3 MiB) before 000000010000000000000009, the
   * start of the oldest kept backup}.
   *
   * @param what whose objects ({@code WAL of cluster 7711636696286654047})
   * @param objects how many
   * @param unit what one object is, plural ({@code archived files})
   * @param bytes their stored size
   * @param reason why they could go ({@code before …, the start of the oldest kept backup})
   */
  public record Removed(String what, long objects, String unit, long bytes, String reason) {}

  /**
   * {@code check} has checked packs, index and snapshots: the provider checks its side objects.
   *
   * @param snapshots every readable snapshot, of every kind
   * @param readDataShare the share (0 to 1) of stored data the check reads; side objects are read
   *     in about that share too
   */
  public record Check(Repository repository, List<SnapshotRef> snapshots, double readDataShare) {
    public Check {
      snapshots = List.copyOf(snapshots);
    }
  }

  /**
   * What a check of side objects found: errors (a snapshot cannot be restored as recorded; the
   * check fails) and warnings (something is missing that no snapshot strictly needs).
   */
  public record Findings(List<String> errors, List<String> warnings) {
    public static final Findings NONE = new Findings(List.of(), List.of());

    public Findings {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * {@code copy} has copied snapshots from one repository to another: the provider carries the side
   * objects they need that the destination lacks.
   *
   * @param copied each copied snapshot as it is in {@code from}, with its new id in {@code to}
   */
  public record Copy(Repository from, Repository to, List<Copied> copied) {
    public Copy {
      copied = List.copyOf(copied);
    }
  }

  /** One copied snapshot: as read from the source repository, and its id in the destination. */
  public record Copied(SnapshotRef from, Id to) {}

  /** Side objects a copy carried: whose ({@code WAL of cluster …}), how many, what one is (plural), bytes added. */
  public record Carried(String what, long objects, String unit, long bytes) {}
}
