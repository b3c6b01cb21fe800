/**
 * Kubernetes objects as roadie stores and compares them: plain maps of the object's JSON, with what
 * the API server owns taken out ({@link dev.roadie.kubernetes.objects.ObjectNormalizer}) and
 * written as YAML with sorted keys ({@link dev.roadie.kubernetes.objects.ObjectYaml}), so that an
 * unchanged object is stored as the same bytes every time. Backup, restore and drift all go through
 * here.
 */
package dev.roadie.kubernetes.objects;
