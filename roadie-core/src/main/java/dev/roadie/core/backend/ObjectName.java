package dev.roadie.core.backend;

import java.util.Objects;

/**
 * The name of one object: its kind and its id. Ids are lower-case hex (or the fixed name "config").
 * Packs are spread over 256 sub-directories by the first two characters of their id.
 */
public record ObjectName(ObjectKind kind, String id) {
  public ObjectName {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (kind == ObjectKind.CONFIG) {
      if (!id.equals("config")) {
        throw new IllegalArgumentException("the config object is named config, not " + id);
      }
    } else if (id.length() < 8 || !id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("object id must be lower-case hex of 8 or more digits: " + id);
    }
  }

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
