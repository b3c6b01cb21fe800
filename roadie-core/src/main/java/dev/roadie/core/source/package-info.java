/**
 * The source SPI: what a source (file, postgres, postgres-physical, redis, later bucket and k8s)
 * implements so that the CLI and the agent can back it up, restore it, verify a restored copy and
 * carry its side objects through repository-wide operations without knowing it.
 *
 * <p>Start at {@link dev.roadie.core.source.SourceProvider}. A source module registers its provider
 * in {@code META-INF/services/dev.roadie.core.source.SourceProvider}; {@link
 * dev.roadie.core.source.Sources} finds it by the kind a snapshot records. Nothing in roadie-core
 * names a source.
 */
package dev.roadie.core.source;
