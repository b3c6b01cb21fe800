package dev.roadie.core.backend;

/** The kinds of object a repository holds, each in its own directory (or key prefix). */
public enum ObjectKind {
  CONFIG("config"),
  KEY("keys"),
  PACK("data"),
  INDEX("index"),
  SNAPSHOT("snapshots"),
  /**
   * Records of snapshots that 'forget' removed from a repository with object lock, where the
   * snapshot object itself cannot be deleted yet: named by the snapshot's id.
   */
  TOMBSTONE("tombstones"),
  /** Liveness records of running writers, read by prune before it deletes anything. */
  LEASE("leases"),
  /** Deletion plans written by prune; see DESIGN.md, "Concurrency and deletion". */
  PLAN("plans"),
  /**
   * A source's side objects, which live beside the snapshots rather than in their trees (see {@code
   * dev.roadie.core.source.SideObjects}): {@code <area>/<group>/<name>}, one immutable object per
   * name. The area is a directory at the repository's root that one source owns and names; core
   * knows no area and never reads what a side object holds. The only kind without a directory of
   * its own and whose ids are not hex; see {@link ObjectName#SIDE_ID}.
   */
  SIDE(""),
  /**
   * Records of 'roadie verify' runs: one sealed JSON object per verified snapshot, written once.
   */
  VERIFICATION("verifications"),
  /** Records of 'roadie drill' runs: one sealed JSON object per drill, written once. */
  DRILL("drills"),
  /** Records of the agent's jobs and 'roadie run': one sealed JSON object per job, written once. */
  RUN("runs"),
  /**
   * The audit trail: one sealed JSON object per operation (who, where, what, which snapshots, the
   * result), written once with a new random id and never replaced; see {@link
   * dev.roadie.core.repo.AuditLog}.
   */
  AUDIT("audit");

  private final String directory;

  ObjectKind(String directory) {
    this.directory = directory;
  }

  /**
   * The directory or key prefix of this kind, relative to the repository root; empty for {@link
   * #SIDE}, whose ids begin with their area's directory.
   */
  public String directory() {
    return directory;
  }
}
