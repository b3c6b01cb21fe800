/**
 * The {@code file} source: files, directories and symlinks, or standard input as one named stream.
 * {@link dev.roadie.files.FileSource} is its {@link dev.roadie.core.source.SourceProvider}; callers
 * reach it through {@link dev.roadie.core.source.Sources} with {@link
 * dev.roadie.files.FileBackupOptions} and {@link dev.roadie.files.FileRestoreOptions}.
 */
package dev.roadie.files;
