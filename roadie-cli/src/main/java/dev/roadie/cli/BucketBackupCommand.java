package dev.roadie.cli;

import dev.roadie.bucket.BucketBackupOptions;
import dev.roadie.bucket.BucketLocation;
import dev.roadie.bucket.BucketMetadata;
import dev.roadie.bucket.BucketSource;
import dev.roadie.bucket.PreparedBucket;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.Sources;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "bucket",
    description = {
      "Back up the objects of an S3 bucket (under a prefix): bytes, headers, user metadata and tags.",
      "Default target: bucket://HOST[:PORT]/BUCKET[/PREFIX]. Objects unchanged since the target's previous snapshot",
      "(same key, size, ETag and last-modified time) are not read again.",
      "Exit 4: the snapshot was saved but lacks objects that changed or disappeared while they were read."
    })
final class BucketBackupCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin BackupOptions options;
  @Mixin BucketOptions bucket;

  @Parameters(
      paramLabel = "LOCATION",
      description = "s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX].")
  String location;

  @Option(
      names = "--all-versions",
      description =
          "Every version and delete marker of a versioned bucket, not only "
              + "the current objects.")
  boolean allVersions;

  @Option(
      names = "--force",
      description = "Read every object, also those the previous snapshot shows unchanged.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    BucketLocation where = BucketLocation.parse(location, bucket.settings(location), null);
    String time = options.snapshotTime();
    var tags = options.tags();
    // The bucket is opened and listed while the repository opens (its key derivation).
    try (PreparedBucket prepared = PreparedBucket.start(where, allVersions);
        Repository r = repo.open()) {
      Progress progress = new Progress();
      BackupResult result;
      try (ProgressPrinter p = new ProgressPrinter(progress, "backup", !options.json)) {
        result =
            Sources.backup(
                new BackupRequest(
                    r,
                    BucketSource.KIND,
                    new BucketBackupOptions(where, allVersions, force, prepared),
                    options.target,
                    tags,
                    time,
                    null,
                    progress));
      }
      SavedSnapshot.print(result.snapshot(), result.warnings(), options.json);
      BucketMetadata m = SourceMetadata.of(result.snapshot().snapshot(), BucketMetadata.class);
      return m.skippedOrZero() > 0 ? ErrorCode.INCOMPLETE.exitCode() : 0;
    }
  }
}
