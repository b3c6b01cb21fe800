package dev.roadie.cli;

import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "init", description = "Create a new repository (encrypted with the given password).")
final class InitCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(names = "--pack-size", paramLabel = "MiB", description = "Target pack size in MiB (default: 16).")
  int packSizeMiB = Config.DEFAULT_PACK_SIZE >> 20;

  @Override
  public Integer call() throws Exception {
    if (packSizeMiB < 1 || packSizeMiB > 1024) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--pack-size must be between 1 and 1024 MiB");
    }
    try (Repository r = CommandAudit.track(
        Repository.init(repo.backend(), repo.password("new repository password: "), packSizeMiB << 20), repo::backend)) {
      System.out.println("created repository " + r.config().id().substring(0, 8) + " at " + r.backend().location());
      System.out.println("keep the password safe: without it the data cannot be read by anyone, including you");
    }
    return 0;
  }
}
