package dev.roadie.core.source;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.snapshot.Snapshot;
import java.util.Map;

/**
 * A source's own facts about one snapshot (server version, LSNs, row counts per table, keys per
 * database, files left unchanged, ...), as a record the source defines. It is stored as the
 * snapshot's {@code source} JSON object, the same shape snapshots have always had: a record's
 * components are the object's fields, null components are left out, and fields the record does not
 * name are ignored when it is read. So a source adds a component without a format change, and
 * snapshots written before the record existed read into it.
 *
 * <p>Read one with {@link #of(Snapshot, Class)}; write one with {@link BackupRequest#draft}.
 */
public interface SourceMetadata {

  /** The metadata of a source that records none: an empty object. */
  record None() implements SourceMetadata {}

  /** {@code metadata} as the JSON object a snapshot stores. */
  static Map<String, Object> toMap(SourceMetadata metadata) {
    if (metadata == null) return Map.of();
    return Json.MAPPER.convertValue(metadata, new TypeReference<Map<String, Object>>() {});
  }

  /** The metadata of {@code snapshot} as {@code type}; an absent object reads as an empty one. */
  static <T extends SourceMetadata> T of(Snapshot snapshot, Class<T> type) {
    return fromMap(snapshot.source(), type);
  }

  /** A stored {@code source} object as {@code type}; an absent object reads as an empty one. */
  static <T extends SourceMetadata> T fromMap(Map<String, Object> source, Class<T> type) {
    try {
      return Json.MAPPER.convertValue(source == null ? Map.of() : source, type);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "the snapshot's source metadata does not fit "
              + type.getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
