/** Verification of {@code k8s} snapshots and of their restored copies. */
package dev.roadie.kubernetes.verify;
