package dev.roadie.postgres.physical;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a restore puts the tablespaces of a snapshot that stores them as directories {@code
 * pg_tblspc/OID} (local reads, see {@link LocalRead}): in their original location, or where {@code
 * --tablespace-map OLD=NEW} moves them (OLD is the original location or the OID), with {@code
 * pg_tblspc/OID} a symbolic link to it, as PostgreSQL requires (recovery refuses a directory
 * there). A location must be empty or absent, unless the restore may overwrite ({@code --force},
 * {@code --delta}): on the backed-up host the original location belongs to the running cluster.
 */
final class TablespaceDirs {
  private final Map<String, Path> byOid = new HashMap<>();

  TablespaceDirs(Map<String, Object> source, Map<String, String> mapping, boolean overwrite)
      throws IOException {
    Map<String, String> unused = new TreeMap<>(mapping);
    if (source.get("tablespaces") instanceof Map<?, ?> recorded) {
      for (Map.Entry<?, ?> e : recorded.entrySet()) {
        String oid = String.valueOf(e.getKey());
        String original = String.valueOf(e.getValue());
        String mapped = unused.remove(original);
        if (unused.containsKey(oid)) mapped = unused.remove(oid);
        Path dir = Path.of(mapped != null ? mapped : original).toAbsolutePath().normalize();
        if (!overwrite && !isEmpty(dir)) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "tablespace "
                  + oid
                  + " goes to "
                  + dir
                  + ", which is not empty "
                  + (mapped == null
                      ? "(its original location, maybe the running cluster's); pass --tablespace-map "
                          + original
                          + "=NEW_DIR"
                      : "")
                  + "; or pass --delta or --force to overwrite it");
        }
        byOid.put(oid, dir);
      }
    }
    if (!unused.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--tablespace-map "
              + unused.keySet().iterator().next()
              + ": the "
              + "snapshot has no tablespace with that location or OID (it has "
              + byOid.keySet()
              + ")");
    }
  }

  /**
   * The directory to restore {@code rel} into when it is a tablespace ({@code pg_tblspc/OID}), else
   * null.
   */
  Path dirFor(String rel) {
    return rel.startsWith("pg_tblspc/") ? byOid.get(rel.substring("pg_tblspc/".length())) : null;
  }

  Iterable<Path> dirs() {
    return byOid.values();
  }

  private static boolean isEmpty(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return true;
    if (!Files.isDirectory(dir)) return false;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      return !ds.iterator().hasNext();
    }
  }
}
