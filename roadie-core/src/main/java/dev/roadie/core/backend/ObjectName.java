package dev.roadie.core.backend;

import java.util.Objects;

/**
 * The name of one object: its kind and its id. Ids are lower-case hex (or the fixed name "config").
 * Packs are spread over 256 sub-directories by the first two characters of their id. WAL objects
 * are the exception: their id is {@code <system identifier, 16 hex>/<PostgreSQL file name>}, see
 * {@link #WAL_ID}.
 */
public record ObjectName(ObjectKind kind, String id) {
  public ObjectName {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (kind == ObjectKind.CONFIG) {
      if (!id.equals("config")) {
        throw new IllegalArgumentException("the config object is named config, not " + id);
      }
    } else if (kind == ObjectKind.WAL) {
      if (!WAL_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("WAL object id must be <16 hex>/<WAL file name>: " + id);
      }
    } else if (id.length() < 8 || !id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("object id must be lower-case hex of 8 or more digits: " + id);
    }
  }

  /**
   * A WAL object's id: the cluster's system identifier as 16 lower-case hex digits, a slash, and one
   * of PostgreSQL's archive file names (segment {@code TTTTTTTTXXXXXXXXYYYYYYYY}, timeline history
   * {@code TTTTTTTT.history}, backup history {@code <segment>.OOOOOOOO.backup}, the last segment of a
   * timeline that a promotion left incomplete {@code <segment>.partial}) or roadie's fragment
   * of a segment {@code <segment>.SSSSSSSS-EEEEEEEE.partial} (byte range, upper-case hex).
   */
  public static final java.util.regex.Pattern WAL_ID = java.util.regex.Pattern.compile(
      "[0-9a-f]{16}/(?:[0-9A-F]{24}(?:\\.partial)?|[0-9A-F]{8}\\.history|[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup"
          + "|[0-9A-F]{24}\\.[0-9A-F]{8}-[0-9A-F]{8}\\.partial)");

  public static final ObjectName CONFIG = new ObjectName(ObjectKind.CONFIG, "config");

  public static ObjectName of(ObjectKind kind, String id) {
    return new ObjectName(kind, id);
  }

  /** Path of the object relative to the repository root, with '/' separators. */
  public String path() {
    return switch (kind) {
      case CONFIG -> "config";
      case PACK -> kind.directory() + "/" + id.substring(0, 2) + "/" + id;
      default -> kind.directory() + "/" + id;
    };
  }

  @Override
  public String toString() {
    return path();
  }
}
