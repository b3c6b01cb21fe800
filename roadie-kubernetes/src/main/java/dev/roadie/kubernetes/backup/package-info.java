/**
 * {@code roadie backup k8s}: every object of the selected namespaces (and the cluster-scoped
 * objects they use) stored as one YAML document each ({@link
 * dev.roadie.kubernetes.backup.ClusterBackup}), and the watch behind {@code --on-change} ({@link
 * dev.roadie.kubernetes.backup.ChangeWatch}).
 */
package dev.roadie.kubernetes.backup;
