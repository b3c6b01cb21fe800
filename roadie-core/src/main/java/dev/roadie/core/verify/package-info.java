/**
 * Proof that backups restore, knowing no source: {@link dev.roadie.core.verify.Verifier} picks the
 * snapshots, has each source restore its snapshot into scratch space and check it ({@link
 * dev.roadie.core.source.SourceProvider#verifyInScratch}), and stores the outcome as an append-only
 * {@link dev.roadie.core.verify.VerificationRecord}; {@link dev.roadie.core.verify.Drill} times a
 * disaster-recovery scenario the same way and stores a {@link dev.roadie.core.verify.DrillRecord}.
 */
package dev.roadie.core.verify;
