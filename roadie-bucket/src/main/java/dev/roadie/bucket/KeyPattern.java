package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A glob over object keys: {@code *} matches any characters but '/', {@code **} any characters,
 * {@code ?} one character but '/', {@code [abc]} and {@code [a-z]} one of a set ({@code [!a]} none
 * of it), {@code \} quotes the next character. A key matches when the whole key matches, or a part
 * of it that ends just before a '/' (so {@code photos} and {@code photos/2024} take everything below
 * them).
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
      throw new RoadieException(ErrorCode.USAGE, "--include needs a pattern, such as photos/** or *.jpg");
    }
    String g = glob.endsWith("/") && glob.length() > 1 ? glob.substring(0, glob.length() - 1) : glob;
    StringBuilder r = new StringBuilder("(?s)");
    for (int i = 0; i < g.length(); i++) {
      char c = g.charAt(i);
      switch (c) {
        case '*' -> {
          if (i + 1 < g.length() && g.charAt(i + 1) == '*') {
            r.append(".*");
            i++;
          } else {
            r.append("[^/]*");
          }
        }
        case '?' -> r.append("[^/]");
        case '[' -> {
          int end = g.indexOf(']', i + 2);
          if (end < 0) throw bad(glob, "'[' without ']'");
          String set = g.substring(i + 1, end);
          boolean negate = set.startsWith("!");
          if (negate) set = set.substring(1);
          r.append('[').append(negate ? "^" : "").append(set.replace("\\", "\\\\").replace("[", "\\[")
              .replace("&&", "\\&\\&")).append(']');
          i = end;
        }
        case '\\' -> {
          if (i + 1 >= g.length()) throw bad(glob, "'\\' at the end");
          r.append(Pattern.quote(String.valueOf(g.charAt(++i))));
        }
        default -> r.append(Pattern.quote(String.valueOf(c)));
      }
    }
    r.append("(/.*)?");
    try {
      return new KeyPattern(glob, Pattern.compile(r.toString()));
    } catch (PatternSyntaxException e) {
      throw bad(glob, e.getDescription());
    }
  }

  private static RoadieException bad(String glob, String why) {
    return new RoadieException(ErrorCode.USAGE, "--include " + glob + " is not a valid pattern: " + why);
  }

  public boolean matches(String key) {
    return regex.matcher(key).matches();
  }

  @Override
  public String toString() {
    return glob;
  }
}
