package dev.roadie.cli;

import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.repo.AuditLog;
import dev.roadie.core.repo.AuditOperation;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Leaves one audit entry in every repository a command opened, once the command has ended and its
 * result is known. The repository is closed by then, so the entry goes through a backend opened
 * again with the same settings; the master key stays in memory until the process ends anyway.
 *
 * <p>Listing and checking commands and dry runs leave none (they change nothing and read no data
 * out), nor do the WAL commands, which PostgreSQL runs once per WAL segment: the restore or backup
 * around them has its own entry.
 */
final class CommandAudit {
  private static final Set<String> UNAUDITED =
      Set.of(
          "snapshots",
          "check",
          "stats",
          "diff",
          "audit",
          "verifications",
          "version",
          "demo",
          "help",
          "key list",
          "wal-push",
          "wal-fetch",
          "wal-stream",
          "mirror");

  private static volatile CommandAudit current;

  private record Tracked(Repository repo, AuditOperation op, Supplier<Backend> reopen) {}

  private final String operation;
  private final List<Tracked> tracked = new ArrayList<>();

  private CommandAudit(String operation) {
    this.operation = operation;
  }

  /**
   * Runs the parsed command with {@code strategy}, recording its end in every repository it opened.
   */
  static int run(CommandLine.ParseResult parsed, CommandLine.IExecutionStrategy strategy) {
    String operation = operation(parsed);
    CommandLine.ParseResult last = parsed;
    while (last.hasSubcommand()) last = last.subcommand();
    // A dry run (forget, prune) changes nothing and reads no data out: like a listing, no entry.
    boolean dryRun = last.hasMatchedOption("--dry-run");
    CommandAudit audit =
        dryRun || UNAUDITED.contains(operation) || UNAUDITED.contains(operation.split(" ")[0])
            ? null
            : new CommandAudit(operation);
    CommandAudit previous = current;
    current = audit;
    try {
      int code = strategy.execute(parsed);
      if (audit != null) audit.finish(code == 0 ? null : "ended with exit status " + code);
      return code;
    } catch (CommandLine.ExecutionException e) {
      if (audit != null) audit.finish(describe(e.getCause()));
      throw e;
    } catch (RuntimeException e) {
      if (audit != null) audit.finish(describe(e));
      throw e;
    } finally {
      current = previous;
    }
  }

  /**
   * Ties {@code repo} to the running command's audit entry: the snapshots and records it writes
   * name the entry. {@code reopen} gives a backend for the same location and settings, to write the
   * entry after the command closed the repository.
   */
  static Repository track(Repository repo, Supplier<Backend> reopen) {
    CommandAudit audit = current;
    if (audit != null && repo.audit() == null) {
      AuditOperation op = new AuditOperation(audit.operation);
      repo.audit(op);
      synchronized (audit.tracked) {
        audit.tracked.add(new Tracked(repo, op, reopen));
      }
    }
    return repo;
  }

  private void finish(String error) {
    List<Tracked> all;
    synchronized (tracked) {
      all = List.copyOf(tracked);
    }
    for (Tracked t : all) {
      try (Backend backend = t.reopen().get()) {
        // In an object-locked repository the entry is locked like every record.
        if (t.repo().lock() != null) backend.useObjectLock(t.repo().lock());
        AuditLog.write(backend, t.repo().key(), t.op().id(), t.op().entry(t.repo().keyId(), error));
      } catch (IOException | RuntimeException e) {
        // The command's own result stands. After a success its snapshots may name this entry, which
        // check will report missing: say so now. After a failure its own error is what to fix
        // (often
        // the same cause: storage that refuses writes), and one message says it.
        if (error != null) continue;
        System.err.println(
            "roadie: warning: the audit entry of this "
                + operation
                + " could not be written to "
                + t.repo().backend().location()
                + ": "
                + describe(e));
      }
    }
  }

  /**
   * The command's name below {@code roadie}: {@code backup postgres}, {@code key add}, {@code
   * restore}.
   */
  static String operation(CommandLine.ParseResult parsed) {
    List<String> names = new ArrayList<>();
    for (CommandLine cl : parsed.asCommandLineList()) {
      String name = cl.getCommandName();
      if (name.startsWith("roadie ")) name = name.substring("roadie ".length());
      if (!name.equals("roadie")) names.add(name);
    }
    return String.join(" ", names);
  }

  /** What failed, as the command line prints it (messages carry no secrets: see Redact). */
  static String describe(Throwable t) {
    if (t instanceof UncheckedIOException u && u.getCause() != null) t = u.getCause();
    if (t instanceof RoadieException r) return r.getMessage();
    if (t instanceof IOException io) return FileFailure.describe(io);
    if (t instanceof CommandLine.ParameterException p) return p.getMessage();
    return "internal error: " + t;
  }
}
