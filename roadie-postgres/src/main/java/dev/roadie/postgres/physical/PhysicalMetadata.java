package dev.roadie.postgres.physical;

import dev.roadie.core.source.SourceMetadata;

/**
 * The {@code source} object of a {@code postgres-physical} snapshot: the fields read through this
 * record. {@link PhysicalBackup} writes more (docs/repository-format.md §22: tablespaces, the
 * backup label, the page-skip figures, ...), which stay in the stored object and are read where
 * they are needed; fields are added here as readers move to the record.
 *
 * @param systemIdentifier the cluster's system identifier, in decimal (the WAL archive's cluster
 *     name)
 * @param startLsn where recovery from this backup starts
 * @param startSegment the WAL segment of {@code startLsn}, as PostgreSQL names it
 * @param walMethod {@code none} (WAL from the repository's archive) or {@code fetch} (inside the
 *     backup)
 * @param probes the probe queries' results ({@code --probe}), taken at {@code probeLsn} in {@code
 *     probeDatabase} ({@link PhysicalProbes}); null when none were given
 */
public record PhysicalMetadata(
    String serverVersion,
    Integer serverVersionNum,
    String url,
    String systemIdentifier,
    Integer timeline,
    String startLsn,
    String stopLsn,
    String startSegment,
    String stopSegment,
    Long walSegmentSize,
    String walMethod,
    String walSource,
    String startTime,
    String stopTime,
    Integer chunkSize,
    java.util.Map<String, dev.roadie.postgres.Probes.Result> probes,
    String probeLsn,
    String probeDatabase)
    implements SourceMetadata {}
