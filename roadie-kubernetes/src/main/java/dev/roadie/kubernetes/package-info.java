/**
 * The {@code k8s} source: Kubernetes objects backed up as one YAML document each, restored in
 * dependency order with namespace mapping, and compared with manifests (drift).
 */
package dev.roadie.kubernetes;
