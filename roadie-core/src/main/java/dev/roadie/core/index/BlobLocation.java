package dev.roadie.core.index;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.util.List;
import java.util.Objects;

/**
 * Where a blob lives: its pack, its byte range in that pack, and the length of its plaintext once
 * decrypted and decompressed (so readers can size buffers before fetching it), and for a delta blob
 * the ids of its one or two bases ({@code bases}, empty for a blob stored in full).
 *
 * <p>Invariants: {@code offset}, {@code length} and {@code rawLength} are non-negative. This is the
 * value handed out by {@link BlobIndex}; the index itself does not keep these objects.
 */
public record BlobLocation(
    Id blobId, BlobType type, Id packId, long offset, int length, int rawLength, List<Id> bases) {
  /** A blob stored in full. */
  public BlobLocation(Id blobId, BlobType type, Id packId, long offset, int length, int rawLength) {
    this(blobId, type, packId, offset, length, rawLength, List.of());
  }

  public BlobLocation {
    Objects.requireNonNull(blobId, "blobId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(packId, "packId");
    if (offset < 0 || length < 0 || rawLength < 0) {
      throw new IllegalArgumentException(
          "negative offset/length/rawLength: " + offset + "/" + length + "/" + rawLength);
    }
    bases = IndexFile.checkBases(bases);
  }

  /** Whether the blob is a delta (stored against bases). */
  public boolean isDelta() {
    return !bases.isEmpty();
  }
}
