/**
 * Freeing space safely: {@link dev.roadie.core.prune.Pruner} finds data no snapshot uses, writes a
 * {@link dev.roadie.core.repo.DeletionPlan}, and deletes only after a grace period and a re-check
 * (DESIGN.md, "Concurrency and deletion").
 */
package dev.roadie.core.prune;
