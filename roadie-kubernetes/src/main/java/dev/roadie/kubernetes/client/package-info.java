/**
 * Talking to a Kubernetes API server: finding the kubeconfig as kubectl does ({@link
 * dev.roadie.kubernetes.client.KubeEnvironment}), a connection for raw JSON requests with errors
 * that say what to do ({@link dev.roadie.kubernetes.client.KubeConnection}), and discovery of every
 * resource the server serves ({@link dev.roadie.kubernetes.client.Discovery}).
 */
package dev.roadie.kubernetes.client;
