package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * An argument no command takes is named with what the command does take, never as picocli's
 * "Unmatched argument at index 0" (which reads as a missing feature nobody explains). Each case
 * fails while parsing, before any repository is looked at.
 */
class LeftOverArgumentsTest {
  private static String stderr(int expectedExit, String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = Main.run(args);
    } finally {
      System.setErr(saved);
    }
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(expectedExit, exit, text);
    assertFalse(text.contains("Unmatched argument"), text);
    return text;
  }

  @Test
  void anUnknownCommandIsNamedAsOne() {
    String s = stderr(2, "restre", "latest");
    assertTrue(s.contains("roadie: 'restre' is not a roadie command"), s);
    assertTrue(s.contains("did you mean 'roadie restore'?"), s);
    String foo = stderr(2, "foo");
    assertTrue(foo.contains("roadie: 'foo' is not a roadie command\n"), foo);
    String key = stderr(2, "key", "lst");
    assertTrue(
        key.contains("'lst' is not a command of roadie key: add, list, remove, passwd"), key);
  }

  @Test
  void anArgumentACommandDoesNotTakeIsNamed() {
    // restic's 'snapshots ID': roadie's snapshots lists them all and narrows by option.
    String s = stderr(2, "snapshots", "e0acb8ea");
    assertTrue(s.contains("roadie snapshots takes no arguments; 'e0acb8ea' is left over"), s);
    String r = stderr(2, "restore", "a", "b", "--stdout");
    assertTrue(r.contains("roadie restore takes one SNAPSHOT; 'b' is left over"), r);
  }
}
