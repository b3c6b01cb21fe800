package dev.roadie.core.source;

import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.List;

/**
 * The requests and answers of a source's part in repository-wide operations ({@code forget}, {@code
 * check}, {@code copy}): its side objects, which live beside the snapshots rather than in their
 * trees (a PostgreSQL cluster's archived WAL, which point-in-time recovery of its physical
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
   * @param unit what one object is, singular ({@code archived file})
   * @param bytes their stored size
   * @param reason why they could go ({@code before …, the start of the oldest kept backup})
   * @param held in a repository with object lock, what could go but stays because the storage still
   *     keeps it, and until when ({@code 3 more stay until object lock lets them go, the last on
   *     …}); null when nothing does. A later forget removes them.
   */
  public record Removed(
      String what, long objects, String unit, long bytes, String reason, String held) {}

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
   * check fails), warnings (something is missing that no snapshot strictly needs), and the ids (64
   * hex) of the snapshots the errors make unrestorable, which {@code check} lists as damaged.
   */
  public record Findings(
      List<String> errors, List<String> warnings, List<String> damagedSnapshots) {
    public static final Findings NONE = new Findings(List.of(), List.of(), List.of());

    public Findings {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
      damagedSnapshots = List.copyOf(damagedSnapshots);
    }
  }

  /**
   * {@code copy} is about to copy {@code snapshots} (as read from {@code from}) into {@code to}:
   * the provider first carries the side objects they need that {@code to} lacks, so that a copied
   * snapshot never shows in {@code to} without them.
   */
  public record Copy(Repository from, Repository to, List<SnapshotRef> snapshots) {
    public Copy {
      snapshots = List.copyOf(snapshots);
    }
  }

  /**
   * Side objects a copy carried: whose ({@code WAL of cluster …}), how many, what one is (plural),
   * bytes added.
   */
  public record Carried(String what, long objects, String unit, long bytes) {}
}
