package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.backend.ServerSideEncryption;
import dev.roadie.core.repo.Repository;
import java.io.Console;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where the repository is, how to reach its storage and how to get its password: flags first, then
 * the environment. This is the one place that reads the environment for a backend's settings.
 */
public final class RepoOptions {
  @Option(
      names = {"-r", "--repo"},
      paramLabel = "LOCATION",
      description =
          "Repository: a directory, file:// URL, s3://BUCKET/PREFIX or "
              + "s3:http(s)://HOST[:PORT]/BUCKET/PREFIX (default: $ROADIE_REPOSITORY).")
  String repo;

  @Option(
      names = "--s3-endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint of an s3://BUCKET/PREFIX repository, such as http://minio:9000, addressed "
              + "path-style (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL, then AWS).")
  String s3Endpoint;

  @Option(
      names = "--profile",
      paramLabel = "NAME",
      description =
          "AWS profile (shared config and credentials files) with the S3 repository's credentials and region "
              + "(default: the AWS SDK's chain: environment, $AWS_PROFILE, web identity, instance role).")
  String profile;

  @Option(
      names = "--s3-ca-file",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authorities trusted for the S3 repository's https endpoint, "
              + "instead of the JVM's (a private CA).")
  Path s3CaFile;

  @Option(
      names = "--s3-sse",
      paramLabel = "ALGORITHM",
      description =
          "Ask S3 to encrypt every object roadie writes at rest as well: AES256 (SSE-S3) or aws:kms "
              + "(SSE-KMS), on top of roadie's own encryption (default: $ROADIE_S3_SSE, else the bucket's default).")
  String s3Sse;

  @Option(
      names = "--s3-sse-kms-key-id",
      paramLabel = "ID",
      description =
          "The KMS key for SSE-KMS (implies --s3-sse aws:kms; default: $ROADIE_S3_SSE_KMS_KEY_ID, else the "
              + "service's default key).")
  String s3SseKmsKeyId;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description =
          "File whose first line is the password (default: $ROADIE_PASSWORD_FILE, then $ROADIE_PASSWORD).")
  Path passwordFile;

  String location() {
    return repo != null ? repo : System.getenv("ROADIE_REPOSITORY");
  }

  Backend backend() {
    String location = location();
    checkOptions(
        location, s3Endpoint, "--s3-endpoint", profile, "--profile", s3CaFile, "--s3-ca-file");
    ServerSideEncryption sse = sse();
    if (sse != null && isLocal(location)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--s3-sse applies to a repository on S3, and " + location + " is a local directory");
    }
    URI uri =
        s3Endpoint != null
            ? BackendSettings.parseEndpoint(s3Endpoint, "--s3-endpoint")
            : environmentEndpoint();
    return BackendProvider.forLocation(
        location, new BackendSettings(uri, null, null, profile, s3CaFile, signPayload(), sse));
  }

  /**
   * The server-side encryption asked for: the options, else $ROADIE_S3_SSE and
   * $ROADIE_S3_SSE_KMS_KEY_ID.
   */
  ServerSideEncryption sse() {
    String algorithm = s3Sse != null ? s3Sse : blankToNull(System.getenv("ROADIE_S3_SSE"));
    String key =
        s3SseKmsKeyId != null
            ? s3SseKmsKeyId
            : blankToNull(System.getenv("ROADIE_S3_SSE_KMS_KEY_ID"));
    return ServerSideEncryption.of(algorithm, key);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /**
   * The backend at {@code location} with the storage options of one repository ({@code endpoint},
   * {@code profile}, {@code caFile}: null when not given; each with the option's name for errors).
   * The endpoint defaults to $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL; a location of the form
   * {@code s3:http(s)://HOST/…} names its own.
   */
  static Backend backend(
      String location,
      String endpoint,
      String endpointOption,
      String profile,
      String profileOption,
      Path caFile,
      String caFileOption) {
    checkOptions(location, endpoint, endpointOption, profile, profileOption, caFile, caFileOption);
    URI uri =
        endpoint != null
            ? BackendSettings.parseEndpoint(endpoint, endpointOption)
            : environmentEndpoint();
    return BackendProvider.forLocation(
        location, new BackendSettings(uri, null, null, profile, caFile, signPayload()));
  }

  /**
   * Refuses storage options that cannot apply to this repository's location, before anything is
   * opened.
   */
  void checkOptions() {
    checkOptions(
        location(), s3Endpoint, "--s3-endpoint", profile, "--profile", s3CaFile, "--s3-ca-file");
  }

  static void checkOptions(
      String location,
      String endpoint,
      String endpointOption,
      String profile,
      String profileOption,
      Path caFile,
      String caFileOption) {
    if (isLocal(location)) {
      String given =
          endpoint != null
              ? endpointOption
              : profile != null ? profileOption : caFile != null ? caFileOption : null;
      if (given != null) {
        // --profile, --s3-endpoint and --s3-ca-file are the repository's on every command; a user
        // who
        // meant the bucket of backup bucket or restore --to is told that one's names.
        String bucket =
            given.startsWith("--from-")
                ? ""
                : "; the server and credentials of a bucket that is "
                    + "backed up or restored to are given with --bucket-endpoint, --bucket-profile and --bucket-ca-file";
        throw new RoadieException(
            ErrorCode.USAGE,
            given
                + " applies to a repository on S3, and "
                + location
                + " is a local directory"
                + bucket);
      }
    }
    if (endpoint != null
        && location != null
        && location.startsWith("s3:")
        && !location.startsWith("s3://")) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the repository location "
              + location
              + " names its endpoint "
              + "already: leave out "
              + endpointOption
              + ", or use s3://BUCKET/PREFIX with "
              + endpointOption);
    }
  }

  private static boolean isLocal(String location) {
    return location != null
        && !location.isBlank()
        && BackendProvider.find(location) == null
        && (!location.contains("://") || location.startsWith("file://"));
  }

  /**
   * Whether S3 request bodies are signed: {@code ROADIE_S3_SIGN_PAYLOAD=true} (or the older {@code
   * -Droadie.s3.sign-payload=true}), for a server that refuses unsigned bodies.
   */
  static boolean signPayload() {
    String value = System.getenv("ROADIE_S3_SIGN_PAYLOAD");
    if (value == null || value.isBlank()) return Boolean.getBoolean("roadie.s3.sign-payload");
    return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new RoadieException(
              ErrorCode.USAGE, "ROADIE_S3_SIGN_PAYLOAD=" + value + " is not true or false");
    };
  }

  /**
   * The endpoint the AWS tools take from the environment: $AWS_ENDPOINT_URL_S3, else
   * $AWS_ENDPOINT_URL.
   */
  private static URI environmentEndpoint() {
    for (String name : new String[] {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
      String value = System.getenv(name);
      if (value != null && !value.isBlank()) return BackendSettings.parseEndpoint(value, name);
    }
    return null;
  }

  /** The storage options given, as arguments for another roadie process (restore_command). */
  List<String> backendArguments() {
    List<String> args = new ArrayList<>();
    if (s3Endpoint != null) args.add("--s3-endpoint=" + s3Endpoint);
    if (profile != null) args.add("--profile=" + profile);
    if (s3CaFile != null) args.add("--s3-ca-file=" + s3CaFile.toAbsolutePath().normalize());
    return args;
  }

  Repository open() throws IOException {
    if (fromEnvironment()) {
      Repository early = EarlyOpen.take();
      if (early != null) return CommandAudit.track(early, this::backend);
    }
    Backend backend = backend();
    return CommandAudit.track(
        Repository.open(backend, password("repository password: ")), this::backend);
  }

  /** As {@link #open()} with a password the caller already has (from {@link #password}). */
  Repository open(char[] password) throws IOException {
    if (fromEnvironment()) {
      Repository early = EarlyOpen.take();
      if (early != null) return CommandAudit.track(early, this::backend);
    }
    return CommandAudit.track(Repository.open(backend(), password), this::backend);
  }

  /**
   * True when the repository and its password come from the environment alone ({@link EarlyOpen}).
   */
  private boolean fromEnvironment() {
    return repo == null
        && passwordFile == null
        && s3Endpoint == null
        && profile == null
        && s3CaFile == null;
  }

  private static final java.util.Set<Path> WARNED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * One line on stderr when a password file can be read by its group or by everyone: whoever can
   * read it can read every backup. Once per file and process.
   */
  static void warnIfReadableByOthers(Path file) {
    java.util.Set<java.nio.file.attribute.PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (IOException | UnsupportedOperationException e) {
      return; // unreadable or not POSIX: reading it reports the first, the second has no such bits
    }
    boolean group = perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ);
    boolean others = perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
    if ((group || others) && WARNED.add(file.toAbsolutePath().normalize())) {
      System.err.println(
          "roadie: warning: password file "
              + file
              + " can be read by "
              + (others ? "every user" : "its group")
              + " (mode "
              + java.nio.file.attribute.PosixFilePermissions.toString(perms)
              + "); run: chmod 600 "
              + file);
    }
  }

  char[] password(String prompt) throws IOException {
    Path file = passwordFile;
    if (file == null && System.getenv("ROADIE_PASSWORD_FILE") != null) {
      file = Path.of(System.getenv("ROADIE_PASSWORD_FILE"));
    }
    if (file != null) {
      return readPasswordFile(file);
    }
    String env = System.getenv("ROADIE_PASSWORD");
    if (env != null) {
      return env.toCharArray();
    }
    Console console = Terminal.console();
    if (console != null) {
      char[] pw = console.readPassword("%s", prompt);
      if (pw != null) return pw;
    }
    throw new RoadieException(
        ErrorCode.USAGE,
        "no password given: pass --password-file FILE or set ROADIE_PASSWORD_FILE or ROADIE_PASSWORD");
  }

  static char[] readPasswordFile(Path file) throws IOException {
    warnIfReadableByOthers(file);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new RoadieException(ErrorCode.USAGE, "password file " + file + " does not exist");
    } catch (IOException e) {
      throw FileFailure.of(null, "read password file " + file, e, null);
    }
    int nl = text.indexOf('\n');
    String line = nl >= 0 ? text.substring(0, nl) : text;
    if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
    if (line.isEmpty()) {
      throw new RoadieException(ErrorCode.USAGE, "password file " + file + " is empty");
    }
    return line.toCharArray();
  }
}
