package dev.roadie.core;

/** Counts in messages: "1 file", "2 files", "1 function library", "3 function libraries". */
public final class Plural {
  private Plural() {}

  /** {@code n} and the noun, with "s" added unless {@code n} is 1. */
  public static String count(long n, String noun) {
    return n + " " + (n == 1 ? noun : noun + "s");
  }

  /** {@code n} and the noun, for nouns whose plural is not formed with "s". */
  public static String count(long n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }
}
