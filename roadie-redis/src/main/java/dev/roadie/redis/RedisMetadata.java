package dev.roadie.redis;

import dev.roadie.core.source.SourceMetadata;
import java.util.Map;

/**
 * The {@code source} object of a {@code redis} snapshot, as {@link RedisBackup} writes it: what the
 * server said in {@code INFO} when the backup started (a user without the INFO permission leaves
 * those null) and what the RDB's header said.
 *
 * @param url the server, without credentials ({@link RedisUrl#target()})
 * @param database the one database backed up ({@code /N} in the URL), or null for all of them
 * @param keys keys in all databases the snapshot holds
 * @param functionLibraries function libraries in the RDB (null when not counted)
 * @param databases per database ({@code db0}, ...): keys, keys with an expiry and keys per type
 * @param keyCounts where the counts come from: {@code rdb} (counted while the RDB streamed in) or
 *     {@code info} (INFO before the transfer; older snapshots, or an RDB the scanner cannot read)
 * @param rdbOnly whether the server sent only the RDB ({@code REPLCONF rdb-only}, Redis 7+)
 * @param rdbBytes the RDB payload's length
 * @param framing how the payload was framed ({@code $<length>} or EOF marker)
 */
public record RedisMetadata(
    String url,
    Integer database,
    String redisVersion,
    String role,
    Long usedMemory,
    Long keys,
    Long keysWithExpiry,
    Long functionLibraries,
    Map<String, Keyspace> databases,
    String keyCounts,
    Boolean rdbOnly,
    Integer rdbVersion,
    Long rdbBytes,
    String framing)
    implements SourceMetadata {

  /**
   * One database's keys, keys with an expiry, and keys per type ({@code TYPE}'s names; null from
   * INFO).
   */
  public record Keyspace(long keys, long expires, Map<String, Long> types) {}
}
