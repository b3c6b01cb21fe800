package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import dev.roadie.core.crypto.Providers;
import dev.roadie.core.repo.Hosts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code roadie} command. */
@Command(
    name = "roadie",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Backup and disaster recovery into one encrypted, deduplicated repository.",
    subcommands = {
      InitCommand.class,
      BackupCommand.class,
      SnapshotsCommand.class,
      RestoreCommand.class,
      ForgetCommand.class,
      PruneCommand.class,
      CopyCommand.class,
      MirrorCommand.class,
      DumpCommand.class,
      CheckCommand.class,
      DiffCommand.class,
      LsCommand.class,
      FindCommand.class,
      StatsCommand.class,
      KeyCommand.class,
      VersionCommand.class,
      DemoCommand.class,
      WalPushCommand.class,
      WalFetchCommand.class,
      WalStreamCommand.class,
      VerifyCommand.class,
      VerificationsCommand.class,
      AuditCommand.class,
      DrillCommand.class,
      AgentCommand.class,
      RunCommand.class,
      ConfigCommand.class,
      ReportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required; see 'roadie help'");
  }

  public static void main(String[] args) {
    applyEnvironment();
    EarlyOpen.start(args);
    HeapGovernor.start();
    System.exit(run(args));
  }

  /**
   * Runs one command line in this JVM, as {@code roadie ARGS} would, and returns its exit status
   * (without exiting). Output goes to {@link System#out} and {@link System#err} as they are now.
   */
  public static int run(String... args) {
    applyEnvironment();
    CommandLine cl = args.length > 0 ? single(args[0]) : null;
    if (cl != null) {
      args = java.util.Arrays.copyOfRange(args, 1, args.length);
    } else {
      cl = new CommandLine(new Main());
    }
    return configure(cl).execute(args);
  }

  /**
   * Process-wide settings from the environment, applied before a command runs (the library below
   * the command line reads no environment): {@code HOSTNAME}, the host recorded in snapshots, key
   * files and leases; {@code ROADIE_CRYPTO=jdk}, the JDK's AES-GCM only (never the native
   * provider).
   */
  static void applyEnvironment() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) Hosts.useHost(host);
    String crypto = System.getenv("ROADIE_CRYPTO");
    if (crypto != null && crypto.equalsIgnoreCase("jdk")) Providers.useJdkOnly();
  }

  /** The whole command tree as {@link #run} sets it up (for tests of the help). */
  static CommandLine commandLine() {
    return configure(new CommandLine(new Main()));
  }

  private static CommandLine configure(CommandLine cl) {
    addHelpOptions(cl);
    HelpLayout.install(cl);
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setExecutionStrategy(parsed -> CommandAudit.run(parsed, new CommandLine.RunLast()));
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          String message = ex.getMessage();
          if (ex instanceof CommandLine.UnmatchedArgumentException u
              && !u.getUnmatched().isEmpty()
              && !u.isUnknownOption()) {
            message = leftOver(u);
          }
          err.println("roadie: " + message);
          err.println(
              "Try '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for usage.");
          // A mistyped restore_command must stop recovery, not read as "no more WAL" (which ends it
          // early).
          return ex.getCommandLine().getCommand() instanceof WalFetchCommand
              ? WalFetchCommand.FATAL
              : ErrorCode.USAGE.exitCode();
        });
    return cl;
  }

  /**
   * What to say of an argument that no command or parameter takes, instead of picocli's "Unmatched
   * argument at index N", which names neither the command nor what it takes.
   */
  private static String leftOver(CommandLine.UnmatchedArgumentException u) {
    CommandLine cl = u.getCommandLine();
    String arg = u.getUnmatched().get(0);
    String name = cl.getCommandSpec().qualifiedName();
    if (cl.getCommand() instanceof BackupCommand) return BackupCommand.notAKind(arg);
    if (cl.getCommand() instanceof Main) {
      // picocli suggests the most similar name even when nothing is (foo: forget); a typo keeps
      // the start of the word.
      String start = arg.length() >= 3 ? arg.substring(0, 3) : null;
      String like =
          start == null
              ? null
              : u.getSuggestions().stream()
                  .filter(c -> c.startsWith(start))
                  .findFirst()
                  .orElse(null);
      return "'"
          + arg
          + "' is not a roadie command"
          + (like == null ? "" : "; did you mean 'roadie " + like + "'?");
    }
    if (!cl.getSubcommands().isEmpty()) {
      return "'"
          + arg
          + "' is not a command of "
          + name
          + ": "
          + String.join(", ", cl.getSubcommands().keySet());
    }
    List<CommandLine.Model.PositionalParamSpec> params = cl.getCommandSpec().positionalParameters();
    String takes;
    if (params.isEmpty()) {
      takes = "takes no arguments";
    } else if (params.size() == 1 && params.get(0).arity().max() == 1) {
      takes = "takes one " + params.get(0).paramLabel();
    } else {
      takes =
          "takes "
              + String.join(
                  " ",
                  params.stream()
                      .map(p -> p.paramLabel() + (p.arity().max() > 1 ? "..." : ""))
                      .toList());
    }
    return name + " " + takes + "; '" + arg + "' is left over";
  }

  /**
   * The model of just the named command (and its subcommands). picocli builds models by reflection,
   * and building all of them is most of roadie's start-up time; one command costs a tenth of that.
   * Null when the name is not a command: then the whole tree is built, for help and error messages.
   */
  private static CommandLine single(String name) {
    for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
      Command command = c.getAnnotation(Command.class);
      if (command != null && command.name().equals(name) && c != CommandLine.HelpCommand.class) {
        CommandLine cl = new CommandLine(c);
        cl.setCommandName("roadie " + name);
        return cl;
      }
    }
    return null;
  }

  /** Every command and subcommand takes -h/--help (and -V/--version). */
  private static void addHelpOptions(CommandLine cl) {
    CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
    if (!spec.mixinStandardHelpOptions()) {
      spec.mixinStandardHelpOptions(true);
    }
    spec.versionProvider(new VersionCommand.Provider());
    for (CommandLine sub : cl.getSubcommands().values()) {
      addHelpOptions(sub);
    }
  }

  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
    if (StandardOutput.closed(ex)) {
      // The reader of our standard output went away (`roadie dump | head`): end quietly, as a Unix
      // tool killed by SIGPIPE does, with the shell's status for that.
      return StandardOutput.CLOSED_EXIT;
    }
    ErrorCode code = report(ex, cl.getErr());
    return cl.getCommand() instanceof CommandExitCodes own ? own.exitCode(code) : code.exitCode();
  }

  /** Prints what failed and returns its class. */
  private static ErrorCode report(Exception ex, PrintWriter err) {
    Throwable t = ex;
    if (t instanceof UncheckedIOException u) {
      t = u.getCause();
    }
    boolean debug = System.getenv("ROADIE_DEBUG") != null;
    if (t instanceof RoadieException r) {
      err.println("roadie: " + r.getMessage());
      // RoadieException.Retriable carries ErrorCode.TEMPORARY: 75, so a scheduler can tell "try
      // again" from "fix it".
      if (debug) r.printStackTrace(err);
      return r.code();
    }
    if (t instanceof IOException io) {
      // java.nio's messages are often just a path: FileFailure adds what failed, why and what to
      // do.
      err.println("roadie: " + FileFailure.describe(io));
      if (debug) io.printStackTrace(err);
      return ErrorCode.FAILURE;
    }
    err.println("roadie: internal error: " + t);
    if (debug) {
      t.printStackTrace(err);
    } else {
      err.println("(set ROADIE_DEBUG=1 for the stack trace, and please report it)");
    }
    return ErrorCode.FAILURE;
  }
}
