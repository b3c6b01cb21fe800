package dev.roadie.files;

import dev.roadie.core.source.SourceMetadata;

/**
 * The {@code source} object of a {@code file} snapshot. Snapshots written before it have {@code
 * {}}: every field is null there.
 *
 * @param unchangedFiles files whose content was taken from the parent snapshot without reading them
 *     (size, mtime, ctime and inode unchanged); their bytes are not in the snapshot's {@code
 *     bytesRead}
 * @param unchangedBytes the size of those files
 */
public record FileMetadata(Long unchangedFiles, Long unchangedBytes) implements SourceMetadata {}
