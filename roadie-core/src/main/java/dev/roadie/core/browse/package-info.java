/**
 * Browsing what a snapshot holds, for {@code roadie ls}, {@code find}, {@code diff} and the
 * dashboard's snapshot page: a {@link dev.roadie.core.browse.SnapshotBrowser} per snapshot, which
 * each source provides ({@link dev.roadie.core.source.SourceProvider#browse}); a {@link
 * dev.roadie.core.browse.TreeBrowser} for snapshots whose tree is their listing; and {@link
 * dev.roadie.core.browse.SnapshotDiff} between two snapshots of one kind.
 */
package dev.roadie.core.browse;
