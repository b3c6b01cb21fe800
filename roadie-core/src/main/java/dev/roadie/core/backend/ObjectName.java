package dev.roadie.core.backend;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of one object: its kind and its id. Ids are lower-case hex (or the fixed name "config").
 * Packs are spread over 256 sub-directories by the first two characters of their id. Side objects
 * are the exception: their id is a path of three parts, {@code <area>/<group>/<name>}, see {@link
 * #SIDE_ID}; what names a source allows inside its area is the source's to check.
 */
public record ObjectName(ObjectKind kind, String id) {
  public ObjectName {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (kind == ObjectKind.CONFIG) {
      if (!id.equals("config")) {
        throw new IllegalArgumentException("the config object is named config, not " + id);
      }
    } else if (kind == ObjectKind.SIDE) {
      Matcher m = SIDE_ID.matcher(id);
      if (!m.matches() || isKindDirectory(m.group(1))) {
        throw new IllegalArgumentException(
            "side object id must be <area>/<group>/<name> in an area that is not one of "
                + "the repository's own directories: "
                + id);
      }
    } else if (id.length() < 8
        || !id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException(
          "object id must be lower-case hex of 8 or more digits: " + id);
    }
  }

  /**
   * A side object's id: its area (a directory at the repository's root that one source owns: lower
   * case letters, digits and '-', starting with a letter), its group (a set of objects listed
   * together, such as one server's), and its name. Group and name are letters, digits, '.', '_' and
   * '-', starting with a letter or digit, so no part is empty, '.' or '..'. The area is group 1,
   * the group group 2, the name group 3.
   */
  public static final Pattern SIDE_ID =
      Pattern.compile(
          "([a-z][a-z0-9-]{0,31})/([0-9A-Za-z][0-9A-Za-z._-]{0,127})/([0-9A-Za-z][0-9A-Za-z._-]{0,254})");

  public static final ObjectName CONFIG = new ObjectName(ObjectKind.CONFIG, "config");

  public static ObjectName of(ObjectKind kind, String id) {
    return new ObjectName(kind, id);
  }

  /** The side object {@code name} of {@code group} in {@code area}. */
  public static ObjectName side(String area, String group, String name) {
    return new ObjectName(ObjectKind.SIDE, area + "/" + group + "/" + name);
  }

  /**
   * Whether {@code dir} is the directory of a kind of the repository's own (config, data, index,
   * …).
   */
  static boolean isKindDirectory(String dir) {
    for (ObjectKind k : ObjectKind.values()) {
      if (k != ObjectKind.SIDE && k.directory().equals(dir)) return true;
    }
    return false;
  }

  /** A side object's area (its first part); fails for other kinds. */
  public String area() {
    return sidePart(1);
  }

  /** A side object's group (its second part); fails for other kinds. */
  public String group() {
    return sidePart(2);
  }

  /** A side object's name within its group (its last part); fails for other kinds. */
  public String sideName() {
    return sidePart(3);
  }

  private String sidePart(int part) {
    if (kind != ObjectKind.SIDE) throw new IllegalStateException(this + " is not a side object");
    Matcher m = SIDE_ID.matcher(id);
    if (!m.matches()) throw new IllegalStateException(id);
    return m.group(part);
  }

  /** Path of the object relative to the repository root, with '/' separators. */
  public String path() {
    return switch (kind) {
      case CONFIG -> "config";
      case PACK -> kind.directory() + "/" + id.substring(0, 2) + "/" + id;
      case SIDE -> id;
      default -> kind.directory() + "/" + id;
    };
  }

  @Override
  public String toString() {
    return path();
  }
}
