package dev.roadie.agent.config;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A repository and how to reach it: its location (a directory or an S3 location), the S3 options of
 * {@code roadie --repo} ({@code s3Endpoint}, {@code profile}, {@code caFile}), and its password, by
 * file or by environment variable only.
 *
 * @param passwordFile the file whose first line is the password, or null
 * @param passwordEnv the name of the environment variable holding it, or null
 * @param passwordFromEnv that variable's value when the config was read
 */
public record RepositoryConfig(
    String location,
    String s3Endpoint,
    String profile,
    Path caFile,
    Path passwordFile,
    String passwordEnv,
    String passwordFromEnv) {

  /**
   * The password: the file's first line (read now, so a rotated file is picked up), or the
   * variable's value.
   */
  public char[] password() {
    if (passwordFile == null) return passwordFromEnv.toCharArray();
    String text;
    try {
      text = Files.readString(passwordFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE, "password file " + passwordFile + " cannot be read: " + e.getMessage());
    }
    int nl = text.indexOf('\n');
    String line = nl >= 0 ? text.substring(0, nl) : text;
    if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
    if (line.isEmpty())
      throw new RoadieException(ErrorCode.USAGE, "password file " + passwordFile + " is empty");
    return line.toCharArray();
  }

  /** True for a directory on this machine (not an S3 location). */
  public boolean local() {
    return !location.contains("://") || location.startsWith("file://");
  }

  /** The local directory of a local repository. */
  public Path directory() {
    return Path.of(
        location.startsWith("file://") ? location.substring("file://".length()) : location);
  }

  /** The command that creates this repository, for the message that it does not exist. */
  public String initCommand() {
    StringBuilder b = new StringBuilder("roadie init --repo ").append(location);
    if (s3Endpoint != null) b.append(" --s3-endpoint ").append(s3Endpoint);
    if (profile != null) b.append(" --profile ").append(profile);
    if (caFile != null) b.append(" --s3-ca-file ").append(caFile);
    if (passwordFile != null) {
      b.append(" --password-file ").append(passwordFile);
    } else {
      b.insert(0, "ROADIE_PASSWORD=\"$" + passwordEnv + "\" ");
    }
    return b.toString();
  }
}
