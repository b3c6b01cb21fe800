package dev.roadie.postgres;

import dev.roadie.core.source.SourceMetadata;
import java.util.List;
import java.util.Map;

/**
 * The {@code source} object of a {@code postgres} (logical) snapshot, as {@link PostgresBackup}
 * writes it (docs/commands.md, "backup postgres"). Fields a snapshot lacks are null: {@code
 * tables}, {@code sequences} and {@code tableCount} only in the native format, the patterns and the
 * {@code -only} flags only when given.
 *
 * @param tables per table ({@code schema.table}): rows and bytes counted from the COPY stream,
 *     inside the backup's snapshot
 * @param probes per probe name, its result inside the backup's snapshot ({@code --probe})
 */
public record PostgresMetadata(
    String serverVersion,
    Integer serverVersionNum,
    String database,
    String snapshotTime,
    String encoding,
    String collate,
    String ctype,
    Integer blockSize,
    String format,
    String url,
    String pgDumpVersion,
    Boolean schemaOnly,
    Boolean dataOnly,
    List<String> tablePatterns,
    List<String> excludeTablePatterns,
    Map<String, TableCount> tables,
    List<Sequence> sequences,
    List<List<String>> materializedViews,
    Integer tableCount,
    Map<String, Probes.Result> probes)
    implements SourceMetadata {

  /** A table's rows and bytes of COPY text. */
  public record TableCount(long rows, long bytes) {}

  /** A sequence's value as the backup's transaction saw it. */
  public record Sequence(String schema, String name, long lastValue, boolean isCalled) {}
}
