package dev.roadie.files;

import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.VerifyRequest;

/**
 * How a {@code file} snapshot is restored, and which part of it a verification compares.
 *
 * @param include the one file or directory of the snapshot to restore ({@code data/sub}); null for
 *     all of it
 * @param force replace entries of the target directory whose type is in the way of the snapshot's
 *     (anything but a directory where the snapshot has a directory, a directory where it has a file
 *     or symlink); without it such entries refuse the restore before anything is written
 */
public record FileRestoreOptions(String include, boolean force)
    implements RestoreRequest.Options, VerifyRequest.Options {
  public static final FileRestoreOptions DEFAULTS = new FileRestoreOptions(null, false);
}
