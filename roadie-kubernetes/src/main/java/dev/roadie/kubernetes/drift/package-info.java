/**
 * Drift: what a cluster has (live, or as a {@code k8s} snapshot recorded it) compared with the
 * manifests in Git. {@link dev.roadie.kubernetes.drift.Drift} is the entry point; {@link
 * dev.roadie.kubernetes.drift.ManifestReader} reads a directory or renders a kustomization; {@link
 * dev.roadie.kubernetes.drift.FieldComparison} compares one object field by field, over the fields
 * the manifest sets; {@link dev.roadie.kubernetes.drift.DriftReport} is the result, as text or
 * JSON.
 */
package dev.roadie.kubernetes.drift;
