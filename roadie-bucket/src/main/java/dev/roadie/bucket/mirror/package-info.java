/**
 * {@code roadie mirror}: keeps one bucket (or prefix) a copy of another, compared by content (a
 * SHA-256 roadie records in each copied object's user metadata) rather than by size, with metadata
 * and tags; {@link BucketMirror} runs one pass (or a read-only check), {@link MirrorWatch} keeps a
 * mirror current from bucket notifications and periodic passes.
 */
package dev.roadie.bucket.mirror;
