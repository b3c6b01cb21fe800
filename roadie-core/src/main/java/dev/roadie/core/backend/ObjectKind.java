package dev.roadie.core.backend;

/** The kinds of object a repository holds, each in its own directory (or key prefix). */
public enum ObjectKind {
  CONFIG("config"),
  KEY("keys"),
  PACK("data"),
  INDEX("index"),
  SNAPSHOT("snapshots"),
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
  /**
   * The audit trail: one sealed JSON object per operation (who, where, what, which snapshots, the
   * result), written once with a new random id and never replaced; see {@link dev.roadie.core.repo.AuditLog}.
   */
  AUDIT("audit");

  private final String directory;

  ObjectKind(String directory) {
    this.directory = directory;
  }

  /** The directory or key prefix of this kind, relative to the repository root. */
  public String directory() {
    return directory;
  }
}
