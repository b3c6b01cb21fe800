package dev.roadie.cli;

import dev.roadie.core.Id;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.redis.RedisBackup;
import dev.roadie.redis.RedisUrl;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "redis",
    description = {
      "Back up a Redis server: pulls an RDB over the replication protocol, as a replica would, into the repository.",
      "The password may be in the URL or in $REDISCLI_AUTH. Default target: redis://HOST:PORT."
    })
final class RedisBackupCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin BackupOptions options;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description =
          "redis://[USER:PASSWORD@]HOST:PORT, or rediss://…[?cacert=FILE][&cert=FILE&key=FILE] for TLS.")
  String url;

  @Option(
      names = "--chunk-size",
      paramLabel = "BYTES",
      defaultValue = "0",
      description =
          "Average chunk size of the RDB stream, a power of two from 4 KiB to 1 MiB (default 64 KiB).")
  int chunkSize;

  @Override
  public Integer call() throws Exception {
    RedisBackup.chunkerParams(chunkSize); // refused before anything is started
    RedisUrl u = RedisUrl.parse(url, System.getenv("REDISCLI_AUTH"));
    String time = options.snapshotTime();
    var tags = options.tags();
    // The password first (it may be typed), then the transfer, then the repository: the server
    // forks and streams (read ahead into memory) while the key is derived and the index loaded.
    // With repository and password from the environment, the key is being derived already
    // (EarlyOpen, started before the command line was parsed).
    char[] password = repo.password("repository password: ");
    try (RedisBackup.Transfer transfer = RedisBackup.start(u);
        Repository r = repo.open(password)) {
      Progress progress = new Progress();
      Id id;
      try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json)) {
        id =
            new RedisBackup(r, progress, chunkSize)
                .backup(transfer, options.target != null ? options.target : u.target(), tags, time);
      }
      SavedSnapshot.print(r.readSnapshot(id), java.util.List.of(), options.json);
      return 0;
    }
  }
}
