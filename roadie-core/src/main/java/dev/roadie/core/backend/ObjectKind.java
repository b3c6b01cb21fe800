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
   * PostgreSQL WAL archive: {@code wal/<system identifier>/<file name>}, one immutable object per
   * archived file (segment, timeline history, backup label, or a fragment of a segment not yet
   * complete). The only kind whose ids are not hex; see {@link ObjectName}.
   */
  WAL("wal"),
  /** Records of 'roadie verify' runs: one sealed JSON object per verified snapshot, written once. */
  VERIFICATION("verifications"),
  /** Records of 'roadie drill' runs: one sealed JSON object per drill, written once. */
  DRILL("drills"),
  /** Records of the agent's jobs and 'roadie run': one sealed JSON object per job, written once. */
  RUN("runs");

  private final String directory;

  ObjectKind(String directory) {
    this.directory = directory;
  }

  /** The directory or key prefix of this kind, relative to the repository root. */
  public String directory() {
    return directory;
  }
}
