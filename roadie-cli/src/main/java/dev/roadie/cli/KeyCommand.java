package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import java.io.Console;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "key",
    description = "Manage the passwords (key files) that open the repository.",
    subcommands = {
      KeyCommand.Add.class,
      KeyCommand.ListKeys.class,
      KeyCommand.Remove.class,
      KeyCommand.Passwd.class
    })
final class KeyCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "say what to do: key add|list|remove|passwd");
  }

  /**
   * The new password: from --new-password-file, else $ROADIE_NEW_PASSWORD, else asked twice at the
   * terminal.
   */
  static final class NewPassword {
    @Option(
        names = "--new-password-file",
        paramLabel = "FILE",
        description = "File whose first line is the new password.")
    Path file;

    char[] get() throws Exception {
      if (file != null) return RepoOptions.readPasswordFile(file);
      String env = System.getenv("ROADIE_NEW_PASSWORD");
      if (env != null && !env.isEmpty()) return env.toCharArray();
      Console c = Terminal.console();
      if (c == null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "no new password given: pass --new-password-file FILE or set ROADIE_NEW_PASSWORD");
      }
      char[] a = c.readPassword("new password: ");
      char[] b = c.readPassword("new password again: ");
      if (a == null || a.length == 0 || !Arrays.equals(a, b)) {
        throw new RoadieException(
            ErrorCode.USAGE, "the passwords are empty or differ; nothing changed");
      }
      return a;
    }
  }

  @Command(name = "add", description = "Add a password; every password opens the same data.")
  static final class Add implements Callable<Integer> {
    @Mixin RepoOptions repo;
    @Mixin NewPassword newPassword;

    @Override
    public Integer call() throws Exception {
      try (Repository r = repo.open()) {
        Id id = r.addKey(newPassword.get());
        if (r.audit() != null) r.audit().target("key " + id.hex());
        System.out.println("added key " + id.shortHex());
        return 0;
      }
    }
  }

  @Command(
      name = "list",
      description = "List key files; * marks the one that opened the repository.")
  static final class ListKeys implements Callable<Integer> {
    @Mixin RepoOptions repo;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      try (Repository r = repo.open()) {
        List<Repository.KeyInfo> keys = r.keys();
        if (json) {
          System.out.println(
              Json.writePretty(
                  keys.stream()
                      .map(
                          k -> {
                            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                            m.put("id", k.id().hex());
                            m.put("created", k.created());
                            m.put("host", k.host());
                            m.put("user", k.user());
                            m.put("current", k.current());
                            return m;
                          })
                      .toList()));
          return 0;
        }
        Table t = new Table(" ID", "CREATED", "HOST", "USER");
        for (Repository.KeyInfo k : keys) {
          t.row((k.current() ? "*" : " ") + k.id().shortHex(), k.created(), k.host(), k.user());
        }
        System.out.print(t.render(""));
        return 0;
      }
    }
  }

  @Command(name = "remove", description = "Remove a key file, revoking its password.")
  static final class Remove implements Callable<Integer> {
    @Mixin RepoOptions repo;

    @Parameters(
        paramLabel = "KEY-ID",
        description = "Id or unique id prefix, from 'roadie key list'.")
    String keyId;

    @Override
    public Integer call() throws Exception {
      try (Repository r = repo.open()) {
        Id id = r.resolveKey(keyId);
        if (r.audit() != null) r.audit().target("key " + id.hex());
        r.removeKey(id);
        System.out.println("removed key " + id.shortHex());
        return 0;
      }
    }
  }

  @Command(
      name = "passwd",
      description =
          "Change the password in use: adds a key for the new one, then removes the old key.")
  static final class Passwd implements Callable<Integer> {
    @Mixin RepoOptions repo;
    @Mixin NewPassword newPassword;

    @Override
    public Integer call() throws Exception {
      try (Repository r = repo.open()) {
        Id old = r.keyId();
        Id added = r.changePassword(newPassword.get());
        if (r.audit() != null) {
          r.audit().target("key " + old.hex());
          r.audit().target("key " + added.hex());
        }
        System.out.println(
            "password changed: key " + old.shortHex() + " replaced by " + added.shortHex());
        return 0;
      }
    }
  }
}
