package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.Glob;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A glob over object keys ({@link Glob}'s syntax). A key matches when the whole key matches, or a
 * part of it that ends just before a '/' (so {@code photos} and {@code photos/2024} take everything
 * below them).
 */
public final class KeyPattern {
  public static final KeyPattern ALL = new KeyPattern("**", Pattern.compile("(?s).*"));

  private final String glob;
  private final Pattern regex;

  private KeyPattern(String glob, Pattern regex) {
    this.glob = glob;
    this.regex = regex;
  }

  public static KeyPattern compile(String glob) {
    if (glob.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE, "--include needs a pattern, such as photos/** or *.jpg");
    }
    String g =
        glob.endsWith("/") && glob.length() > 1 ? glob.substring(0, glob.length() - 1) : glob;
    String regex;
    try {
      regex = Glob.regex(g) + "(/.*)?";
    } catch (IllegalArgumentException e) {
      throw bad(glob, e.getMessage());
    }
    try {
      return new KeyPattern(glob, Pattern.compile(regex, Pattern.DOTALL));
    } catch (PatternSyntaxException e) {
      throw bad(glob, e.getDescription());
    }
  }

  private static RoadieException bad(String glob, String why) {
    return new RoadieException(
        ErrorCode.USAGE, "--include " + glob + " is not a valid pattern: " + why);
  }

  public boolean matches(String key) {
    return regex.matcher(key).matches();
  }

  @Override
  public String toString() {
    return glob;
  }
}
