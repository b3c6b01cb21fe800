package dev.roadie.core.browse;

import java.util.regex.Pattern;

/**
 * Shell-style patterns over '/'-separated names: {@code *} matches any characters but '/', {@code
 * **} any characters, {@code ?} one character but '/', {@code [abc]} and {@code [a-z]} one of a set
 * ({@code [!a]} none of it), {@code \} quotes the next character.
 */
public final class Glob {
  private Glob() {}

  /**
   * The regular expression of {@code glob}, to be matched whole and compiled with {@link
   * Pattern#DOTALL} (a name may hold a newline).
   *
   * @throws IllegalArgumentException saying what is wrong with the pattern
   */
  public static String regex(String glob) {
    StringBuilder r = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      switch (c) {
        case '*' -> {
          if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
            r.append(".*");
            i++;
          } else {
            r.append("[^/]*");
          }
        }
        case '?' -> r.append("[^/]");
        case '[' -> {
          int end = glob.indexOf(']', i + 2);
          if (end < 0) throw new IllegalArgumentException("'[' without ']'");
          String set = glob.substring(i + 1, end);
          boolean negate = set.startsWith("!");
          if (negate) set = set.substring(1);
          r.append('[')
              .append(negate ? "^" : "")
              .append(set.replace("\\", "\\\\").replace("[", "\\[").replace("&&", "\\&\\&"))
              .append(']');
          i = end;
        }
        case '\\' -> {
          if (i + 1 >= glob.length()) throw new IllegalArgumentException("'\\' at the end");
          r.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
        }
        default -> r.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return r.toString();
  }
}
