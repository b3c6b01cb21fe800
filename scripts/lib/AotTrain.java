/*
 * Training driver for roadie's start-up archive (CDS / AOT cache). Not part of
 * the product: ./roadie compiles it into roadie-cli/target/dist/aot/ right after
 * a build and runs it once, with the archive being recorded, so the archive
 * holds the classes of several representative commands, not just one.
 *
 * Each argument is one command line, words separated by spaces, e.g.
 * "version" "--help". Each is passed to dev.roadie.cli.Main.main in turn; a
 * command that throws is skipped. If Main calls System.exit, training stops
 * there and the archive is written with what was loaded so far, so put the
 * most important command first.
 */
public final class AotTrain {
  private AotTrain() {}

  public static void main(String[] commands) throws ReflectiveOperationException {
    var main = Class.forName("dev.roadie.cli.Main").getMethod("main", String[].class);
    for (String command : commands) {
      String[] args = command.isBlank() ? new String[0] : command.trim().split(" +");
      try {
        main.invoke(null, (Object) args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        // The command failed; its classes are still loaded. Go on.
      }
    }
  }
}
