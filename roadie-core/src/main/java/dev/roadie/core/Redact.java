package dev.roadie.core;

/** Hides secrets in text that a message or a listing shows. */
public final class Redact {
  private Redact() {}

  /**
   * {@code url} without secrets: the password of {@code USER:PASSWORD@} and of a {@code password=}
   * parameter become {@code ***}, and so does a lone {@code NAME@}, which some schemes read as a
   * password ({@code redis://SECRET@HOST}). Text that is not a URL passes unchanged.
   */
  public static String url(String url) {
    if (url == null) return null;
    return url.replaceAll("(://[^:/@\\s]*):[^@/\\s]*@", "$1:***@")
        .replaceAll("(://)[^:/@\\s]+@", "$1***@")
        .replaceAll("(?i)(password=)[^&\\s]*", "$1***");
  }
}
