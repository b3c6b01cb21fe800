package dev.roadie.core.source;

/**
 * The span of time one snapshot can be restored to with what else the repository holds (a physical
 * PostgreSQL base backup and the archived WAL after it), for listings and the dashboard. Times are
 * ISO-8601 UTC. A snapshot without one restores to its own time only.
 *
 * @param snapshot the snapshot's id (64 hex)
 * @param from the earliest moment a point-in-time restore from it reaches
 * @param to the newest moment it reaches
 * @param complete false when the repository lacks data the snapshot itself needs (it cannot be
 *     restored from here at all)
 * @param gapAt where the window stops although later data exists (the first missing piece, such as
 *     a WAL segment); null when it simply ends at the newest data
 * @param note what a reader should know about the window, or null
 */
public record RecoverableWindow(
    String snapshot, String from, String to, boolean complete, String gapAt, String note) {}
