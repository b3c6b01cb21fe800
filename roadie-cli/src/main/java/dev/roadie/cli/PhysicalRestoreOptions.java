package dev.roadie.cli;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.postgres.physical.PhysicalBackup;
import dev.roadie.postgres.physical.PhysicalRestore;
import dev.roadie.postgres.physical.PhysicalSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of {@code restore --pgdata} for physical PostgreSQL snapshots (a mixin of
 * RestoreCommand).
 */
final class PhysicalRestoreOptions {
  @Option(
      names = "--pgdata",
      paramLabel = "DIR",
      description =
          "postgres physical: the data directory to restore into and set up for recovery.")
  Path pgdata;

  @Option(
      names = "--target-time",
      paramLabel = "TIME",
      description = "postgres physical: recover to this time (ISO-8601 with offset).")
  String targetTime;

  @Option(
      names = "--target-lsn",
      paramLabel = "LSN",
      description = "postgres physical: recover to this WAL position (e.g. 0/3000128).")
  String targetLsn;

  @Option(
      names = "--target-xid",
      paramLabel = "XID",
      description = "postgres physical: recover to the commit of this transaction.")
  String targetXid;

  @Option(
      names = "--target-name",
      paramLabel = "NAME",
      description = "postgres physical: recover to this restore point (pg_create_restore_point).")
  String targetName;

  @Option(
      names = "--target-action",
      paramLabel = "promote|pause|shutdown",
      defaultValue = "promote",
      description =
          "postgres physical: what the server does at the target (default: ${DEFAULT-VALUE}).")
  String targetAction;

  @Option(
      names = "--target-timeline",
      paramLabel = "latest|current|N",
      description = "postgres physical: the timeline to recover along (default: latest).")
  String targetTimeline;

  @Option(
      names = "--force",
      description =
          "file: replace entries of DIR whose type is in the way of the snapshot's; "
              + "postgres physical: restore into a non-empty directory, overwriting the backup's files.")
  boolean force;

  @Option(
      names = "--delta",
      description =
          "postgres physical: rewrite only what differs from the backup; remove files it does not have.")
  boolean delta;

  @Option(
      names = "--archive-mode",
      paramLabel = "preserve|off",
      defaultValue = "preserve",
      description =
          "postgres physical: off writes archive_mode = off, so a restored copy does not archive into the same WAL archive.")
  String archiveMode;

  @Option(
      names = "--restore-command",
      paramLabel = "CMD",
      description =
          "postgres physical: restore_command to write instead of roadie's own wal-fetch line.")
  String restoreCommand;

  @Option(
      names = "--tablespace-map",
      paramLabel = "OLD=NEW",
      description =
          "postgres physical: restore the tablespace whose original location (or OID) is OLD into directory "
              + "NEW (repeatable); without it a tablespace goes back to its original location, which must be empty.")
  List<String> tablespaceMap = new ArrayList<>();

  boolean requested() {
    return pgdata != null;
  }

  /**
   * What SNAPSHOT names. {@code latest} with --target-time or --target-lsn is the newest physical
   * backup (of the cluster of the newest one the filter accepts) whose recoverable window holds the
   * target, not simply the newest: a backup that ended after the target cannot go back to it.
   */
  SnapshotRef resolve(Repository r, String spec, SnapshotFilter filter) throws java.io.IOException {
    if (!"latest".equals(spec) || (targetTime == null && targetLsn == null))
      return r.resolve(spec, filter);
    SnapshotFilter physical =
        filter.kind() != null
            ? filter
            : new SnapshotFilter(filter.target(), PhysicalBackup.KIND, filter.tags());
    SnapshotRef newest = r.resolve(spec, physical);
    if (!PhysicalBackup.KIND.equals(newest.snapshot().kind()))
      return newest; // the restore names the kind it needs
    Object cluster = newest.snapshot().source().get("systemIdentifier");
    List<SnapshotRef> candidates =
        new ArrayList<>(
            r.snapshots(null).stream()
                .filter(
                    s ->
                        physical.matches(s.snapshot())
                            && java.util.Objects.equals(
                                cluster, s.snapshot().source().get("systemIdentifier")))
                .toList());
    java.util.Collections.reverse(candidates);
    PhysicalRestore.Pick pick =
        new PhysicalRestore(r, new Progress())
            .newestCovering(
                candidates,
                new PhysicalRestore.Target(targetTime, targetLsn, null, null, false),
                targetTimeline);
    System.out.println(
        "restoring snapshot "
            + pick.ref().id().shortHex()
            + " ("
            + pick.ref().snapshot().time()
            + "), the newest base backup recoverable to "
            + (targetTime != null ? targetTime : targetLsn)
            + (pick.passedOver().isEmpty()
                ? ""
                : "; newer, passed over: " + String.join("; ", pick.passedOver())));
    return pick.ref();
  }

  /**
   * The options of a restore into --pgdata. With --pgdata, --target is the recovery target
   * 'immediate', not a directory; without --restore-command, recovery runs roadie's own wal-fetch.
   */
  PhysicalSource.RestoreOptions options(
      SnapshotRef ref, RepoOptions repo, Path targetDir, Integer jobs) {
    boolean immediate = false;
    if (targetDir != null) {
      if (!targetDir.toString().equals("immediate")) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "with --pgdata, --target takes only 'immediate' (recovery ends as "
                + "soon as the backup is consistent); the files go to --pgdata DIR");
      }
      immediate = true;
    }
    if (!archiveMode.equals("preserve") && !archiveMode.equals("off")) {
      throw new RoadieException(ErrorCode.USAGE, "--archive-mode takes preserve or off");
    }
    String command = restoreCommand != null ? restoreCommand : restoreCommand(repo, ref);
    return new PhysicalSource.RestoreOptions(
        new PhysicalRestore.Target(targetTime, targetLsn, targetXid, targetName, immediate),
        targetAction,
        targetTimeline,
        force,
        delta,
        jobs != null ? jobs : 8,
        command,
        archiveMode.equals("off"),
        tablespaceMap());
  }

  private java.util.Map<String, String> tablespaceMap() {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String entry : tablespaceMap) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1 || !Path.of(entry.substring(eq + 1)).isAbsolute()) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "--tablespace-map takes OLD=NEW (OLD: the original location or "
                + "the OID; NEW: an absolute directory), not '"
                + entry
                + "'");
      }
      m.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return m;
  }

  /**
   * roadie's own restore_command: the launcher's absolute path, the repository, and the password
   * file's path (never the password) in the command's environment.
   */
  private static String restoreCommand(RepoOptions repo, SnapshotRef ref) {
    String launcher = System.getenv("ROADIE_LAUNCHER");
    if (launcher == null || launcher.isBlank()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "restore_command needs the roadie launcher's path, which is known "
              + "only when roadie runs through its launcher script; run it that way, or pass --restore-command CMD");
    }
    Path passwordFile = repo.passwordFile;
    if (passwordFile == null && System.getenv("ROADIE_PASSWORD_FILE") != null) {
      passwordFile = Path.of(System.getenv("ROADIE_PASSWORD_FILE"));
    }
    if (passwordFile == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "restore_command needs the repository password in a file that the "
              + "PostgreSQL server's user can read (its path goes into postgresql.auto.conf, never the password): "
              + "pass --password-file FILE or set ROADIE_PASSWORD_FILE, or pass --restore-command CMD");
    }
    if (!Files.isReadable(passwordFile)) {
      throw new RoadieException(
          ErrorCode.USAGE, "password file " + passwordFile + " is not readable");
    }
    String location = repo.location();
    if (location != null && !location.contains("://"))
      location = Path.of(location).toAbsolutePath().normalize().toString();
    List<String> words = new ArrayList<>();
    words.add("ROADIE_REPOSITORY=" + PhysicalRestore.shellQuote(location));
    words.add(
        "ROADIE_PASSWORD_FILE="
            + PhysicalRestore.shellQuote(passwordFile.toAbsolutePath().normalize().toString()));
    words.add(
        PhysicalRestore.shellQuote(Path.of(launcher).toAbsolutePath().normalize().toString()));
    words.add("wal-fetch");
    for (String option : repo.backendArguments()) words.add(PhysicalRestore.shellQuote(option));
    words.add("--system-id=" + ref.snapshot().source().get("systemIdentifier"));
    words.add("%f");
    words.add("%p");
    return String.join(" ", words);
  }
}
