package dev.roadie.cli;

import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "init",
    description = "Create a new repository (encrypted with the given password).")
final class InitCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(
      names = "--pack-size",
      paramLabel = "MiB",
      description = "Target pack size in MiB (default: 16).")
  int packSizeMiB = Config.DEFAULT_PACK_SIZE >> 20;

  @Option(
      names = "--object-lock",
      paramLabel = "DAYS",
      description =
          "Keep every backup object for at least DAYS "
              + "days with S3 Object Lock: the bucket is created with object lock; forget writes tombstones, prune waits "
              + "for retention to pass (see docs/security.md).")
  Integer objectLockDays;

  @Option(
      names = "--object-lock-mode",
      paramLabel = "MODE",
      description =
          "compliance (default: nobody can shorten "
              + "the retention, not even the bucket's root credentials) or governance (credentials allowed to bypass "
              + "governance retention can).")
  String objectLockMode;

  @Override
  public Integer call() throws Exception {
    if (packSizeMiB < 1 || packSizeMiB > 1024) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--pack-size must be between 1 and 1024 MiB");
    }
    if (objectLockMode != null && objectLockDays == null) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--object-lock-mode needs --object-lock DAYS");
    }
    ObjectLock lock =
        objectLockDays == null
            ? null
            : new ObjectLock(
                objectLockDays,
                objectLockMode == null
                    ? ObjectLock.Mode.COMPLIANCE
                    : ObjectLock.Mode.parse(objectLockMode));
    try (Repository r =
        CommandAudit.track(
            Repository.init(
                repo.backend(),
                repo.password("new repository password: "),
                packSizeMiB << 20,
                lock),
            repo::backend)) {
      System.out.println(
          "created repository "
              + r.config().id().substring(0, 8)
              + " at "
              + r.backend().location());
      if (lock != null) {
        System.out.println(
            "object lock: "
                + lock.mode()
                + " mode, every backup object kept at least "
                + lock.days()
                + (lock.days() == 1 ? " day" : " days"));
      }
      System.out.println(
          "keep the password safe: without it the data cannot be read by anyone, including you");
    }
    return 0;
  }
}
