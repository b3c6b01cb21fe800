package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;
import dev.roadie.core.repo.Repository;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the repository is and how to get its password: flags first, then the environment. */
public final class RepoOptions {
  @Option(names = {"-r", "--repo"}, paramLabel = "LOCATION",
      description = "Repository: a directory, file:// URL or s3://BUCKET/PREFIX (default: $ROADIE_REPOSITORY).")
  String repo;

  @Option(names = "--s3-endpoint", paramLabel = "URL",
      description = "S3-compatible endpoint such as http://minio:9000, addressed path-style "
          + "(default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL, then AWS).")
  String s3Endpoint;

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "File whose first line is the password (default: $ROADIE_PASSWORD_FILE, then $ROADIE_PASSWORD).")
  Path passwordFile;

  String location() {
    return repo != null ? repo : System.getenv("ROADIE_REPOSITORY");
  }

  Backend backend() {
    if (s3Endpoint != null) {
      // Read by the S3 backend provider (dev.roadie.s3.S3Settings.ENDPOINT_PROPERTY); wins over the environment.
      System.setProperty("roadie.s3.endpoint", s3Endpoint);
    }
    return BackendProvider.forLocation(location());
  }

  Repository open() throws IOException {
    if (fromEnvironment()) {
      Repository early = EarlyOpen.take();
      if (early != null) return early;
    }
    Backend backend = backend();
    return Repository.open(backend, password("repository password: "));
  }

  /** As {@link #open()} with a password the caller already has (from {@link #password}). */
  Repository open(char[] password) throws IOException {
    if (fromEnvironment()) {
      Repository early = EarlyOpen.take();
      if (early != null) return early;
    }
    return Repository.open(backend(), password);
  }

  /** True when the repository and its password come from the environment alone ({@link EarlyOpen}). */
  private boolean fromEnvironment() {
    return repo == null && passwordFile == null && s3Endpoint == null;
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
    throw new RoadieException(ErrorCode.USAGE,
        "no password given: pass --password-file FILE or set ROADIE_PASSWORD_FILE or ROADIE_PASSWORD");
  }

  static char[] readPasswordFile(Path file) throws IOException {
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
