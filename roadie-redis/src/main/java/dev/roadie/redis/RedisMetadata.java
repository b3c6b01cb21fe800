package dev.roadie.redis;

import dev.roadie.core.source.SourceMetadata;
import java.util.Map;

/**
 * The {@code source} object of a {@code redis} snapshot, as {@link RedisBackup} writes it: what the
 * server said in {@code INFO} when the backup started (a user without the INFO permission leaves
 * those null) and what the RDB's header said.
 *
 * @param url the server, without credentials ({@link RedisUrl#target()})
 * @param keys keys in all databases per INFO keyspace
 * @param databases per database ({@code db0}, ...): keys and keys with an expiry, per INFO
 * @param rdbOnly whether the server sent only the RDB ({@code REPLCONF rdb-only}, Redis 7+)
 * @param rdbBytes the RDB payload's length
 * @param framing how the payload was framed ({@code $<length>} or EOF marker)
 */
public record RedisMetadata(String url, String redisVersion, String role, Long usedMemory, Long keys,
    Long keysWithExpiry, Map<String, Keyspace> databases, Boolean rdbOnly, Integer rdbVersion, Long rdbBytes,
    String framing) implements SourceMetadata {

  /** One database's keys and keys with an expiry. */
  public record Keyspace(long keys, long expires) {}
}
