package dev.roadie.cli;

import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.physical.PhysicalRestore;
import dev.roadie.postgres.physical.PhysicalVerify;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code restore_command} of a physical snapshot recovered in scratch space (verify, drill):
 * this roadie's {@code wal-fetch} with the repository, its storage options, and a copy of the
 * password in a file of the scratch directory (0600; the directory is private and removed with it),
 * never the password itself in the command; roadie started as it was started now ({@link
 * Relaunch}).
 */
final class ScratchRestoreCommand implements PhysicalVerify.RestoreCommand {
  private final String location;
  private final List<String> backendArguments;
  private final char[] password;

  ScratchRestoreCommand(String location, List<String> backendArguments, char[] password) {
    this.location =
        location != null && !location.contains("://")
            ? Path.of(location).toAbsolutePath().normalize().toString()
            : location;
    this.backendArguments = List.copyOf(backendArguments);
    this.password = password.clone();
  }

  @Override
  public String forScratch(Path dir, SnapshotRef ref) throws IOException {
    Path passwordFile = dir.resolve("repository-password");
    Files.writeString(passwordFile, "", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(
        passwordFile,
        new String(password) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    List<String> words = new ArrayList<>();
    words.add("ROADIE_REPOSITORY=" + PhysicalRestore.shellQuote(location));
    words.add("ROADIE_PASSWORD_FILE=" + PhysicalRestore.shellQuote(passwordFile.toString()));
    for (String w : Relaunch.command()) words.add(PhysicalRestore.shellQuote(w));
    words.add("wal-fetch");
    for (String option : backendArguments) words.add(PhysicalRestore.shellQuote(option));
    words.add("--system-id=" + ref.snapshot().source().get("systemIdentifier"));
    words.add("%f");
    words.add("%p");
    return String.join(" ", words);
  }
}
