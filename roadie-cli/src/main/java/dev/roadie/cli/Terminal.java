package dev.roadie.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether we talk to a person at a terminal (progress bars, prompts) or to a script or log. */
final class Terminal {
  private Terminal() {}

  /** The console if standard input and output are a terminal, else null. */
  static Console console() {
    Console c = System.console();
    if (c == null) return null;
    try {
      // From Java 22 on, System.console() is non-null even when redirected; isTerminal() tells.
      Method m = Console.class.getMethod("isTerminal");
      return (Boolean) m.invoke(c) ? c : null;
    } catch (ReflectiveOperationException e) {
      return c;
    }
  }

  static boolean interactive() {
    return console() != null;
  }
}
