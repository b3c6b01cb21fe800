package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import dev.roadie.s3.S3Location;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The {@code bucket} source: the objects under an S3 bucket location with their bytes, headers,
 * user metadata and tags (optionally every version and delete marker). Restores into a bucket (the
 * same, another, on another server) or into a directory.
 */
public final class BucketSource implements SourceProvider {
  public static final String KIND = "bucket";
  static final String FORM = "s3://BUCKET[/PREFIX] or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]";

  @Override
  public Set<String> kinds() {
    return Set.of(KIND);
  }

  @Override
  public SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return new ObjectBrowser(repo, snapshot);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return BucketMetadata.class;
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    return new BucketBackup(request).run();
  }

  /**
   * {@code location} (required: {@code s3://BUCKET[/PREFIX]} or {@code s3:http(s)://HOST/BUCKET}),
   * {@code endpoint}, {@code profile}, {@code caFile}, the keys by {@code accessKeyIdFile}/{@code
   * accessKeyIdEnv} and {@code secretAccessKeyFile}/{@code secretAccessKeyEnv} (else the profile or
   * the AWS SDK's chain), {@code allVersions} and {@code force}: as {@code roadie backup bucket}.
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    String location = options.requiredString("location", "s3://photos/2024");
    String endpoint = options.string("endpoint");
    String profile = options.string("profile");
    java.nio.file.Path caFile = options.path("caFile");
    String keyId = options.secret("accessKeyId");
    String secret = options.secret("secretAccessKey");
    boolean allVersions = options.flag("allVersions", false);
    boolean force = options.flag("force", false);
    options.refuseUnknown(kind);
    if ((keyId == null) != (secret == null)) {
      throw options.error(
          keyId == null ? "accessKeyIdFile" : "secretAccessKeyFile",
          "give both the access key id and the secret access key, or neither (then the profile or the AWS chain)");
    }
    if (keyId != null && profile != null)
      throw options.error("profile", "give a profile or keys, not both");
    try {
      java.net.URI uri =
          endpoint == null
              ? null
              : dev.roadie.core.backend.BackendSettings.parseEndpoint(endpoint, "endpoint");
      var credentials =
          keyId == null
              ? null
              : software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                  software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                      keyId, secret));
      BucketLocation where =
          BucketLocation.parse(
              location,
              new dev.roadie.core.backend.BackendSettings(uri, null, null, profile, caFile),
              credentials);
      return new BucketBackupOptions(where, allVersions, force);
    } catch (RoadieException e) {
      throw options.error(
          e.getMessage().contains("endpoint") && endpoint != null ? "endpoint" : "location",
          e.getMessage().replace("--bucket-endpoint", "endpoint"));
    }
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(
        Destination.Fit.server(FORM, "s3", "s3:http", "s3:https"),
        Destination.Fit.of(Destination.Type.DIRECTORY));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    BucketRestoreOptions o =
        request.options(BucketRestoreOptions.class, BucketRestoreOptions.DEFAULTS);
    return switch (request.destination()) {
      case Destination.Server s when destinations(KIND).get(0).accepts(s) ->
          new BucketRestore(
                  request.repository(),
                  request.snapshot(),
                  request.progress(),
                  o,
                  o.location(s.url()))
              .run();
      case Destination.Directory d -> {
        if (o.deleteExtra()) {
          throw new RoadieException(
              ErrorCode.USAGE,
              "--delete-extra goes with a bucket destination (--to "
                  + FORM
                  + "); a restore into a directory deletes nothing");
        }
        yield new DirectoryRestore(
                request.repository(), request.snapshot(), request.progress(), o.pattern(), d.path())
            .run();
      }
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a bucket snapshot restores into a bucket ("
                  + FORM
                  + ") or a directory, not to "
                  + request.destination().describe());
    };
  }

  @Override
  public VerifyResult verify(VerifyRequest request) throws IOException {
    BucketRestoreOptions o =
        request.options(BucketRestoreOptions.class, BucketRestoreOptions.DEFAULTS);
    BucketVerify v = new BucketVerify(request.repository(), request.snapshot(), o);
    return switch (request.copy()) {
      case Destination.Server s when destinations(KIND).get(0).accepts(s) ->
          v.bucket(o.location(s.url()));
      case Destination.Directory d -> v.directory(d.path());
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a bucket snapshot's copy is verified in a bucket or a "
                  + "directory, not "
                  + request.copy().describe());
    };
  }

  @Override
  public Set<String> targetNames(String kind, String given) {
    if (given == null || !S3Location.isS3(given)) return Set.of();
    try {
      S3Location loc = S3Location.parse(given);
      return Set.of(BucketLocation.target(loc.endpoint(), loc.bucket(), loc.prefix()));
    } catch (RuntimeException e) {
      return Set.of();
    }
  }

  @Override
  public String summary(Snapshot snapshot) {
    BucketMetadata m = SourceMetadata.of(snapshot, BucketMetadata.class);
    long objects = m.objects() == null ? 0 : m.objects();
    StringBuilder b =
        new StringBuilder().append(objects).append(objects == 1 ? " object" : " objects");
    if (m.versioned()) {
      b.append(" (")
          .append(m.versions())
          .append(" versions, ")
          .append(m.deleteMarkers())
          .append(" delete markers)");
    }
    if (m.unchangedObjects() != null && m.unchangedObjects() > 0) {
      b.append(" (").append(m.unchangedObjects()).append(" unchanged)");
    }
    if (m.skippedOrZero() > 0) {
      b.append(", INCOMPLETE: ").append(m.skippedOrZero()).append(" not captured");
    }
    return b.toString();
  }
}
