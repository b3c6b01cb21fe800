/**
 * Restoring a {@code k8s} snapshot: into a cluster, in dependency order with namespace mapping
 * ({@link dev.roadie.kubernetes.restore.ClusterRestore}), or as YAML files into a directory ({@link
 * dev.roadie.kubernetes.restore.DirectoryRestore}).
 */
package dev.roadie.kubernetes.restore;
