package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.browse.TreeBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * A source: something roadie backs up into snapshots and restores from them (files, a PostgreSQL
 * database or cluster, a Redis server; later S3 buckets and Kubernetes resources). This is the
 * whole contract between a source module and the rest of roadie; the CLI and the agent reach a
 * source only through it.
 *
 * <h2>Finding a provider</h2>
 *
 * A source module registers its provider class in {@code
 * META-INF/services/dev.roadie.core.source.SourceProvider} (a public class with a public
 * no-argument constructor); {@link Sources} loads every registered provider with {@link
 * java.util.ServiceLoader} and picks the one that claims a snapshot's {@link #kinds() kind}. A kind
 * is a short lower-case name written into every snapshot ({@code file}, {@code postgres}, {@code
 * postgres-physical}, {@code redis}, {@code bucket}, {@code k8s}); it never changes once snapshots
 * of it exist, since a restore years later finds the provider by it. Two providers must not claim
 * one kind.
 *
 * <h2>Back up</h2>
 *
 * {@link #backup} reads the source and writes one snapshot through {@link
 * dev.roadie.core.repo.BackupWriter}: streams in ({@code writeStream}), trees of {@link
 * dev.roadie.core.snapshot.Node}s, then {@code commit} with the snapshot that {@link
 * BackupRequest#draft} builds. The rules every source keeps:
 *
 * <ul>
 *   <li>Stream: never a temporary copy of the whole dataset on local disk. Hand over uncompressed
 *       bytes; the engine chunks, deduplicates, compresses and encrypts.
 *   <li>All or nothing: a backup that fails, is interrupted or cannot be complete throws and
 *       commits nothing (closing the writer without a commit leaves only unreferenced packs, which
 *       {@code prune} removes). A snapshot that silently lacks data is worse than none.
 *   <li>Record what a verification needs in the snapshot itself, taken from the same consistent
 *       view as the data (row counts inside the backup's transaction, keys per database of the
 *       RDB), in the kind's {@link SourceMetadata} record ({@link #metadataType}).
 *   <li>A source may use an earlier snapshot of the same target (the parent) to skip or delta its
 *       unchanged parts; it must never trust the parent for data that may have changed, and must
 *       reference only blobs the writer confirms are stored ({@code BackupWriter.reuse}).
 *   <li>No environment variables, system properties or terminal: everything comes in the request
 *       (the CLI reads the environment; the agent reads its config).
 * </ul>
 *
 * <h2>Restore</h2>
 *
 * {@link #restore} writes a snapshot to a {@link Destination}. {@link #destinations} lists the
 * shapes of destination a kind restores to; the CLI names them when the user gave none or one that
 * does not fit ("a postgres snapshot restores with --to postgresql://USER@HOST:PORT/DB"). The
 * provider checks the destination and everything it can know in advance (the target directory's
 * entries in the way, a non-empty database) before it writes anything, and refuses with a message
 * that says what to do. Data at the destination is replaced only as the kind documents; a restore
 * that fails part-way says what state it left.
 *
 * <h2>Verify</h2>
 *
 * {@link #verify} compares a restored copy with what the snapshot recorded (file contents and
 * attributes, row counts per table, keys per database) and reports each difference. The agent runs
 * it after scheduled test restores into scratch servers, so it must not trust the restore it
 * checks: it reads the copy itself.
 *
 * <p>{@link #verifyInScratch} is the whole proof that a snapshot restores ({@code roadie verify},
 * drills): restore into scratch space the source sets up (a throwaway server it starts, a scratch
 * database, a temporary directory), run every check the kind has, and register each tear-down with
 * the request's {@link Scratch} the moment the thing exists. The default restores into a scratch
 * directory and calls {@link #verify}, which suits any kind that restores to a directory.
 *
 * <h2>Repository-wide operations</h2>
 *
 * A source whose snapshots need objects beside their trees (archived WAL for point-in-time
 * recovery) takes part in {@link #forget}, {@link #check} and {@link #copy}; the defaults do
 * nothing, which is right for a source whose snapshots hold all they need.
 *
 * <h2>Browsing</h2>
 *
 * {@link #browse} lists what a snapshot holds, from its trees and source metadata only.
 *
 * <h2>Names and summaries</h2>
 *
 * {@link #targetNames} turns what a user types ({@code restore latest --of URL}) into the target
 * names a backup of it records, and {@link #summary} gives the kind's words for the one line that
 * reports a saved snapshot.
 *
 * <p>Providers are shared by every thread of a process and must be stateless (or thread-safe).
 */
public interface SourceProvider {

  /** The snapshot kinds this provider backs up and restores. */
  Set<String> kinds();

  /**
   * The record of a kind's source metadata. Its fields must keep their names and meaning, since old
   * snapshots are read into it; new fields must be nullable (absent in older snapshots).
   */
  default Class<? extends SourceMetadata> metadataType(String kind) {
    return SourceMetadata.None.class;
  }

  /**
   * Backs up the source that {@code request.options()} describes into one new snapshot of {@code
   * request.kind()}, committed before this returns.
   *
   * @throws RoadieException with {@link ErrorCode#USAGE} for options that do not fit, {@link
   *     ErrorCode#FAILURE} when the source cannot be read completely; no snapshot is written then
   */
  BackupResult backup(BackupRequest request) throws IOException;

  /**
   * The kind's backup options from a config file's target ({@code roadie.yaml}: the keys beside
   * {@code kind}, camelCase), so the agent and {@code roadie run} back up any kind without knowing
   * it. Reads each key with {@link TargetOptions}'s getters (whose errors name the key and where it
   * was written), secrets only by file or environment reference ({@link TargetOptions#secret}), and
   * ends with {@link TargetOptions#refuseUnknown}. Reaches no server: a config is checked without
   * the network.
   *
   * @throws RoadieException with {@link ErrorCode#USAGE} naming the key that does not fit
   */
  BackupRequest.Options backupOptions(String kind, TargetOptions options);

  /**
   * A job that runs this kind continuously under a supervisor (the agent's {@code schedule:
   * continuous} or {@code on-change}): the WAL stream of {@code postgres-physical}, snapshots on
   * change of {@code k8s}. A kind without one says so.
   */
  default ContinuousRequest.Job continuous(ContinuousRequest request) {
    throw new RoadieException(ErrorCode.USAGE, request.kind() + " targets cannot run continuously");
  }

  /** The destinations a snapshot of {@code kind} restores to, the most usual first. */
  List<Destination.Fit> destinations(String kind);

  /**
   * Restores {@code request.snapshot()} to {@code request.destination()}. Checks first that the
   * destination fits the kind and that nothing there is in the way; refuses before writing anything
   * otherwise.
   */
  RestoreResult restore(RestoreRequest request) throws IOException;

  /**
   * Compares a restored copy with what the snapshot recorded. Reads the copy, not the restore's own
   * account of it. A source that cannot verify yet says so.
   */
  default VerifyResult verify(VerifyRequest request) throws IOException {
    throw new RoadieException(
        ErrorCode.USAGE,
        request.snapshot().snapshot().kind()
            + " snapshots cannot be verified yet: this source does not compare restored copies");
  }

  /**
   * Restores the snapshot into scratch space and checks the copy ({@code roadie verify}); never
   * writes anywhere but scratch space. A restore that fails is a failed {@code restore} check, not
   * an exception; an exception means the verification could not be carried out at all.
   */
  default ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request) throws IOException {
    return ScratchDirectoryVerify.run(this, request);
  }

  /**
   * The target names a backup of {@code kind} records for what {@code given} names, when {@code
   * given} is something this source recognises but not in the form it records: a URL with a user,
   * password, parameters, another scheme spelling or no port ({@code
   * postgresql://app:pw@db/shop?sslmode=require} is recorded as {@code postgres://db:5432/shop}).
   * Empty when {@code given} is not such a thing; the exact name always matches as well.
   */
  default Set<String> targetNames(String kind, String given) {
    return Set.of();
  }

  /**
   * The kind's words for the line that reports a saved snapshot, without byte counts or time (the
   * caller adds those from the snapshot's statistics): {@code 7 files}, {@code PostgreSQL 16.4, 11
   * tables}, {@code Redis 7.2.4, RDB 11, 1000 keys}.
   */
  default String summary(Snapshot snapshot) {
    return streams(snapshot);
  }

  /**
   * {@code N streams}: the count of a snapshot's files and streams, the summary of a kind with no
   * words of its own.
   */
  static String streams(Snapshot snapshot) {
    long n = snapshot.stats() == null ? 0 : snapshot.stats().files();
    return n + (n == 1 ? " stream" : " streams");
  }

  /**
   * What {@code snapshot} (of one of this provider's kinds) holds, as {@code ls}, {@code find},
   * {@code diff} and the dashboard show it. The default lists the snapshot's tree as it is stored,
   * which suits a kind whose tree is files; a kind whose entries mean more (tables, databases,
   * objects and their versions) gives its own.
   */
  default SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return new TreeBrowser(repo, snapshot);
  }

  /**
   * The spans of time that {@code snapshots} (this provider's kinds among them; others are ignored)
   * can be restored to with the side objects the repository holds: one entry per snapshot that
   * reaches beyond its own moment (a physical base backup with archived WAL after it). Read-only;
   * one call per listing, so a provider lists its side objects once for all of them. A snapshot
   * whose window cannot be worked out is left out.
   */
  default List<RecoverableWindow> recoverableWindows(
      Repository repository, List<SnapshotRef> snapshots) throws IOException {
    return List.of();
  }

  /**
   * This source's side objects that no remaining snapshot needs: removed, or listed on a dry run.
   */
  default List<SideObjects.Removed> forget(SideObjects.Forget request) throws IOException {
    return List.of();
  }

  /** Checks this source's side objects against the snapshots that need them. */
  default SideObjects.Findings check(SideObjects.Check request) throws IOException {
    return SideObjects.Findings.NONE;
  }

  /**
   * Copies the side objects that the snapshots about to be copied need and the destination lacks;
   * called before the snapshots are copied.
   */
  default List<SideObjects.Carried> copy(SideObjects.Copy request) throws IOException {
    return List.of();
  }
}
