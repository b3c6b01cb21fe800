package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Names print as one unambiguous shell word, as GNU ls quotes them. */
class EntryFormatTest {
  @Test
  void namesAreQuotedAsGnuLsDoes() {
    assertEquals("plain.txt", EntryFormat.quote("plain.txt"));
    assertEquals("'sp ace'", EntryFormat.quote("sp ace"));
    assertEquals("$'new\\nline'", EntryFormat.quote("new\nline"));
    // A file name byte that is not UTF-8 is recorded as NUL and two hex digits (FileNames).
    assertEquals("$'caf\\xe9'", EntryFormat.quote("caf\u0000e9"));
    assertEquals("$'a\\x00b'", EntryFormat.quote("a\u0000b"));
  }
}
