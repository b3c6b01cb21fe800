package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.copy.SnapshotCopier;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SideObjects;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "copy",
    description = {
      "Copy snapshots from another repository into this one, re-encrypted under this one's keys.",
      "Only data this repository lacks is uploaded. Snapshots copied before are skipped, so it can run from cron "
          + "(second region, DR). Snapshots bring the side objects their source keeps beside them: physical "
          + "PostgreSQL snapshots the archived WAL they need, up to the newest the source holds."
    })
final class CopyCommand implements Callable<Integer> {
  /*
   * Errors opening either repository name the side: both may be on S3, with different endpoints and
   * credentials, and a refused credential must say which to fix.
   */
  private static final String SOURCE = "source repository (--from): ";
  private static final String DESTINATION = "destination repository (--repo): ";

  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Option(
      names = "--from",
      paramLabel = "LOCATION",
      description = "The repository to copy from (default: $ROADIE_FROM_REPOSITORY).")
  String from;

  @Option(
      names = "--from-password-file",
      paramLabel = "FILE",
      description =
          "Password file of the source (default: $ROADIE_FROM_PASSWORD_FILE, then $ROADIE_FROM_PASSWORD).")
  Path fromPasswordFile;

  @Option(
      names = "--from-s3-endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint of an s3://BUCKET/PREFIX source (default: $AWS_ENDPOINT_URL_S3, then "
              + "$AWS_ENDPOINT_URL, then AWS); --s3-endpoint is the destination's.")
  String fromS3Endpoint;

  @Option(
      names = "--from-profile",
      paramLabel = "NAME",
      description =
          "AWS profile with the S3 source's credentials and region (default: the AWS SDK's chain); "
              + "--profile is the destination's.")
  String fromProfile;

  @Option(
      names = "--from-s3-ca-file",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authorities trusted for the S3 source's https endpoint; "
              + "--s3-ca-file is the destination's.")
  Path fromS3CaFile;

  @Option(names = "--target", paramLabel = "NAME", description = "Only snapshots of this target.")
  String target;

  @Parameters(
      paramLabel = "SNAPSHOT",
      arity = "0..*",
      description =
          "Snapshots to copy (ids, id prefixes or 'latest'); default: every snapshot the filters accept.")
  List<String> snapshots = new ArrayList<>();

  @Option(names = "--json", description = "Print what was copied and skipped as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    String source = from != null ? from : System.getenv("ROADIE_FROM_REPOSITORY");
    if (source == null || source.isBlank()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "copy needs the source repository: --from LOCATION " + "(or ROADIE_FROM_REPOSITORY)");
    }
    SnapshotFilter filter = filters.filter(target);
    checkStorageOptions(source);
    try (Repository src = openSource(source);
        Repository dst = openDestination()) {
      List<SnapshotRef> chosen = new ArrayList<>();
      if (snapshots.isEmpty()) {
        for (SnapshotRef s : src.snapshots(null)) {
          if (filter.matches(s.snapshot())) chosen.add(s);
        }
      } else {
        for (String spec : snapshots) {
          SnapshotRef s = src.resolve(spec, filter);
          if (chosen.stream().noneMatch(c -> c.id().equals(s.id()))) chosen.add(s);
        }
        chosen.sort(
            java.util.Comparator.comparing((SnapshotRef r) -> r.time().toInstant())
                .thenComparing(SnapshotRef::id));
      }
      Consumer<String> log =
          msg -> {
            if (!json) System.err.println("copy: " + msg);
          };
      // The sources' side objects (a cluster's archived WAL) are carried first, inside the copier.
      SnapshotCopier.Result result = new SnapshotCopier(src, dst, log).copy(chosen);
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("copied", result.copied());
        out.put("skipped", result.skipped());
        out.put("sideObjects", result.sideObjects());
        System.out.println(Json.writePretty(out));
      } else {
        for (SideObjects.Carried c : result.sideObjects()) {
          System.out.println(
              c.what()
                  + ": "
                  + c.objects()
                  + " "
                  + c.unit()
                  + " copied ("
                  + Format.bytes(c.bytes())
                  + ")");
        }
        long added = 0;
        for (SnapshotCopier.Copied c : result.copied()) {
          System.out.println(
              "copied "
                  + c.from().substring(0, 8)
                  + " -> "
                  + c.to().substring(0, 8)
                  + "  "
                  + c.target()
                  + "  "
                  + c.time()
                  + "  ("
                  + Format.bytes(c.bytesAdded())
                  + " added)");
          added += c.bytesAdded();
        }
        System.out.println(
            Plural.count(result.copied().size(), "snapshot")
                + " copied ("
                + Format.bytes(added)
                + " added), "
                + result.skipped().size()
                + " already present");
      }
      return 0;
    }
  }

  /**
   * Both sides' storage options, before either is opened: one given for the wrong side must not
   * send the other side's requests elsewhere.
   */
  private void checkStorageOptions(String source) {
    try {
      RepoOptions.checkOptions(
          source,
          fromS3Endpoint,
          "--from-s3-endpoint",
          fromProfile,
          "--from-profile",
          fromS3CaFile,
          "--from-s3-ca-file");
    } catch (RoadieException e) {
      throw e.withContext(SOURCE);
    }
    try {
      repo.checkOptions();
    } catch (RoadieException e) {
      throw e.withContext(DESTINATION);
    }
  }

  private Repository openSource(String source) throws IOException {
    try {
      java.util.function.Supplier<dev.roadie.core.backend.Backend> backend =
          () ->
              RepoOptions.backend(
                  source,
                  fromS3Endpoint,
                  "--from-s3-endpoint",
                  fromProfile,
                  "--from-profile",
                  fromS3CaFile,
                  "--from-s3-ca-file");
      return CommandAudit.track(Repository.open(backend.get(), fromPassword()), backend);
    } catch (RoadieException e) {
      throw e.withContext(SOURCE);
    } catch (IOException e) {
      throw new IOException(SOURCE + e.getMessage(), e);
    }
  }

  private Repository openDestination() throws IOException {
    try {
      return repo.open();
    } catch (RoadieException e) {
      throw e.withContext(DESTINATION);
    } catch (IOException e) {
      throw new IOException(DESTINATION + e.getMessage(), e);
    }
  }

  private char[] fromPassword() throws IOException {
    Path file = fromPasswordFile;
    if (file == null && System.getenv("ROADIE_FROM_PASSWORD_FILE") != null) {
      file = Path.of(System.getenv("ROADIE_FROM_PASSWORD_FILE"));
    }
    if (file != null) return RepoOptions.readPasswordFile(file);
    if (System.getenv("ROADIE_FROM_PASSWORD") != null)
      return System.getenv("ROADIE_FROM_PASSWORD").toCharArray();
    Console console = Terminal.console();
    if (console != null) {
      char[] pw = console.readPassword("%s", "source repository password: ");
      if (pw != null) return pw;
    }
    throw new RoadieException(
        ErrorCode.USAGE,
        "no password for the source repository: pass --from-password-file FILE "
            + "or set ROADIE_FROM_PASSWORD_FILE or ROADIE_FROM_PASSWORD");
  }
}
